"""The prime-order subgroup of edwards25519 through the native core (curve25519-dalek)."""

from __future__ import annotations

from collections.abc import Sequence

from hramada_native import Point, Table, multiscalar_vartime

from hramada.crypto.ed25519 import _HEX64, _Q  # the wire format and order, as on the pure path
from hramada.crypto.group import Element, FixedBase, Group, GroupError


def _scalar(k: int) -> bytes:
    """k reduced modulo q, as the 32 little-endian bytes the core takes."""
    return (k % _Q).to_bytes(32, "little")


class NativeFixedBase(FixedBase):
    """A constant-time table for secret exponents and a variable-time one for verification."""

    def __init__(self, group: Group, base: Point) -> None:
        self.group = group
        self.base = base
        self.table = Table(base)

    def __reduce__(self) -> tuple[type[NativeFixedBase], tuple[Group, Point]]:
        """Pickled as its base (process pools and Ray ship contexts); rebuilt where it lands."""
        return NativeFixedBase, (self.group, self.base)

    def pow(self, k: int) -> Element:
        return self.table.mul(_scalar(k))

    def pow_mul(self, k: int, x: Element, c: int) -> Element:
        return self.table.mul_add_vartime(_scalar(k), x, _scalar(c))

    def or_commitments(
        self, statements: Sequence[tuple[Element, Element, int]], proofs: Sequence[tuple[int, int]]
    ) -> str:
        """One call for all branches; the core encodes them with one field inversion."""
        scalars = b"".join(_scalar(c) + _scalar(r) for c, r in proofs)
        return self.table.or_commitments(self._branches(statements), scalars)

    def or_verify_decimal(
        self,
        statements: Sequence[tuple[Element, Element, int]],
        proofs: Sequence[tuple[str, str]],
        prefix: str,
    ) -> bool | None:
        """Parse, recompute, encode, hash and compare in the core."""
        return self.table.or_verify(prefix, self._branches(statements), proofs)

    def _branches(
        self, statements: Sequence[tuple[Element, Element, int]]
    ) -> list[tuple[Point, Point, Point | None]]:
        """(alpha, beta, g^-m), or None for m = 0, as the core takes a branch."""
        shift = self.group.g_pow_small
        return [(a, b, None if m == 0 else shift(-m)) for a, b, m in statements]


class Ed25519NativeGroup(Group):
    """Points are decoded, checked handles (`hramada_native.Point`); reversed hex on the wire."""

    name = "Ed25519"
    q = _Q

    def __init__(self) -> None:
        self.g = Point.base()
        self.one = Point.identity()

    def encode(self, x: Element) -> str:
        return x.hex()

    def decode(self, s: str) -> Element:
        # Canonical encoding, on the curve, in the prime-order subgroup; the identity too. The
        # core reads only 64 lowercase hex digits; the message for others is the pure path's.
        try:
            return Point.from_hex(s)
        except (ValueError, TypeError) as e:
            if not isinstance(s, str) or not _HEX64.fullmatch(s):
                raise GroupError(
                    f"not a 64-digit lowercase hex Ed25519 point: {str(s)[:40]!r}"
                ) from None
            raise GroupError(str(e)) from None

    def decode_unchecked(self, s: str) -> Element:
        return Point.from_hex_unchecked(s)

    def mul(self, a: Element, b: Element) -> Element:
        return a + b

    def inv(self, a: Element) -> Element:
        return -a

    def pow(self, a: Element, k: int) -> Element:
        return a.mul(_scalar(k))

    def pow2(self, a: Element, k: int, b: Element, c: int) -> Element:
        return multiscalar_vartime([_scalar(k), _scalar(c)], [a, b])

    def fixed_base(self, base: Element) -> FixedBase:
        return NativeFixedBase(self, base)

    def element_key(self, x: Element) -> int:
        return int.from_bytes(x.to_bytes(), "big")  # Belenios orders points by their bytes
