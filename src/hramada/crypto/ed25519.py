"""The prime-order subgroup of edwards25519 through libsodium, in Belenios's byte-reversed hex."""

from __future__ import annotations

import re

from nacl import _sodium  # libsodium's raw bindings

from hramada.crypto.group import Element, FixedBase, Group, GroupError, PlainBase

_ffi, _lib = _sodium.ffi, _sodium.lib
_HEX64 = re.compile(r"[0-9a-f]{64}")
_IDENTITY = bytes([1]) + bytes(31)
_Q = 2**252 + 27742317777372353535851937790883648493


class _Ed25519Base(FixedBase):
    """libsodium's precomputed tables for the standard base point."""

    def __init__(self, group: Ed25519Group) -> None:
        self.group = group

    def pow(self, k: int) -> Element:
        k %= _Q
        out = _ffi.new("unsigned char[32]")
        if k == 0 or _lib.crypto_scalarmult_ed25519_base_noclamp(out, k.to_bytes(32, "little")):
            return _IDENTITY
        return bytes(out)


class Ed25519Group(Group):
    """Points are RFC 8032 compressed bytes internally and reversed hex on the wire."""

    name = "Ed25519"
    q = _Q
    one = _IDENTITY

    def __init__(self) -> None:
        self.g = bytes.fromhex("6666666666666666666666666666666666666666666666666666666666666658")[
            ::-1
        ]

    def encode(self, x: Element) -> str:
        return bytes(x)[::-1].hex()

    def decode(self, s: str) -> Element:
        if not isinstance(s, str) or not _HEX64.fullmatch(s):
            raise GroupError(f"not a 64-digit lowercase hex Ed25519 point: {str(s)[:40]!r}")
        b = bytes.fromhex(s)[::-1]
        # Canonical encoding, on the curve, in the prime-order subgroup; the identity too,
        # as Belenios accepts it (the tally of an election without ballots is made of it).
        if b != _IDENTITY and _lib.crypto_core_ed25519_is_valid_point(b) != 1:
            raise GroupError("not a point of the prime-order subgroup of Ed25519")
        return b

    def decode_unchecked(self, s: str) -> Element:
        return bytes.fromhex(s)[::-1]

    def mul(self, a: Element, b: Element) -> Element:
        out = _ffi.new("unsigned char[32]")
        if _lib.crypto_core_ed25519_add(out, a, b):
            raise GroupError("invalid Ed25519 point in addition")
        return bytes(out)

    def inv(self, a: Element) -> Element:
        out = _ffi.new("unsigned char[32]")
        if _lib.crypto_core_ed25519_sub(out, _IDENTITY, a):
            raise GroupError("invalid Ed25519 point in negation")
        return bytes(out)

    def pow(self, a: Element, k: int) -> Element:
        k %= _Q
        out = _ffi.new("unsigned char[32]")
        # libsodium refuses (-1) exactly when the product is the identity.
        if k == 0 or _lib.crypto_scalarmult_ed25519_noclamp(out, k.to_bytes(32, "little"), a):
            return _IDENTITY
        return bytes(out)

    def fixed_base(self, base: Element) -> FixedBase:
        if base == self.g:
            return _Ed25519Base(self)
        return PlainBase(self, base)  # libsodium has no cheaper way

    def element_key(self, x: Element) -> int:
        return int.from_bytes(x, "big")  # Belenios orders points by their RFC 8032 bytes
