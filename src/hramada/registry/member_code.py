"""The member's code: 130 random bits the member writes down, and the member key derived from it
(the Python twin of the member page's booth/js/member/code.js)."""

from __future__ import annotations

import hashlib
import secrets

from nacl.signing import SigningKey

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's Base32: no I, L, O or U
RANDOM = 26  # random characters (5 bits each: 130 bits)
CHECK = 2  # then two check characters: a typo goes unnoticed once in 1024
GROUP = 4  # shown as 7 groups of 4
CHECK_PREFIX = b"hramada-member-code/1\n"
KEY_PREFIX = b"hramada-member-key/1\n"
_READ_AS = str.maketrans("OIL", "011", " -\t\n")  # what a reader may write for 0 and 1


class CodeError(ValueError):
    """A code that cannot be right: `kind` is "format" (length, characters) or "checksum"."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _check(payload: str) -> str:
    digest = hashlib.sha256(CHECK_PREFIX + payload.encode()).digest()
    return "".join(ALPHABET[b % 32] for b in digest[:CHECK])


def _grouped(raw: str) -> str:
    return "-".join(raw[i : i + GROUP] for i in range(0, len(raw), GROUP))


def new_code() -> str:
    """A fresh code, XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX."""
    payload = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM))
    return _grouped(payload + _check(payload))


def normalize(text: str) -> str:
    """The code as written (any case, spaces or dashes, O for 0, I or L for 1), in its
    canonical grouped spelling; CodeError when it cannot be a code."""
    raw = text.upper().translate(_READ_AS)
    if len(raw) != RANDOM + CHECK or any(c not in ALPHABET for c in raw):
        raise CodeError("format", f"a code is {RANDOM + CHECK} letters and digits")
    if _check(raw[:RANDOM]) != raw[RANDOM:]:
        raise CodeError("checksum", "the code is mistyped: its check characters are wrong")
    return _grouped(raw)


def member_key(code: str) -> SigningKey:
    """The member's Ed25519 key: its seed, a domain-separated SHA-256 of the code's random part."""
    payload = normalize(code).replace("-", "")[:RANDOM]
    return SigningKey(hashlib.sha256(KEY_PREFIX + payload.encode()).digest())


def shown_key(key: SigningKey) -> str:
    """The public key as the member shows it to the registrar: 64 hex digits in groups of 4."""
    return _grouped(key.verify_key.encode().hex())
