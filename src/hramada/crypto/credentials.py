"""Voter credentials: generation with checksum and derivation of the signing key (Belenios)."""

from __future__ import annotations

import hashlib
import secrets

BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_TOKEN = 14  # random characters of a checksummed credential
_FULL = (5, 6, 5, 6)  # group sizes of the newer 22-character credentials


class CredentialError(ValueError):
    """A private credential is mistyped or of an unknown format."""


def _b58_value(s: str) -> int:
    n = 0
    for ch in s:
        i = BASE58.find(ch)
        if i < 0:
            raise CredentialError(f"character {ch!r} is not Base58")
        n = n * 58 + i
    return n


def generate_credential() -> str:
    """A fresh credential XXX-XXX-XXX-XXX-XXX: 14 random Base58 characters and a checksum."""
    token = "".join(secrets.choice(BASE58) for _ in range(_TOKEN))
    check = BASE58[53 - _b58_value(token) % 53]
    raw = token + check
    return "-".join(raw[i : i + 3] for i in range(0, 15, 3))


def _is_checksummed(raw: str) -> bool:
    return len(raw) == _TOKEN + 1 and (_b58_value(raw[:_TOKEN]) + _b58_value(raw[_TOKEN])) % 53 == 0


def derive_secret(credential: str, uuid: str, q: int) -> int:
    """The signing key of a credential, as Belenios derives it for this election.

    The checksummed form goes through PBKDF2 in its dashed spelling, typed with or without
    dashes. The 22-character form (Belenios >= 2.4) is hashed.
    """
    parts = credential.split("-")
    for part in parts:
        _b58_value(part)
    raw = "".join(parts)
    if [len(p) for p in parts] in ([3] * 5, [15]) and _is_checksummed(raw):
        # Always the dashed spelling the voter was given: Belenios derives another key from
        # the dash-less one, whose ballots would then be refused as ineligible.
        dashed = "-".join(raw[i : i + 3] for i in range(0, 15, 3))
        derived = hashlib.pbkdf2_hmac("sha256", dashed.encode(), uuid.encode(), 1000, 32)
        return int.from_bytes(derived, "big") % q
    if tuple(len(p) for p in parts) == _FULL:
        prefix = f"derive_credential|{uuid}"
        hexes = "".join(
            hashlib.sha256(f"{prefix}|{i}|{credential}".encode()).hexdigest() for i in (0, 1)
        )
        return int(hexes, 16) % q
    raise CredentialError("not a valid credential (mistyped? check every character)")
