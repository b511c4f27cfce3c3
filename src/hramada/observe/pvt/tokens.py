"""One-time submission codes (coordinators hand them out) and tokens (the exile registry
blind-signs them); the server keeps only their hashes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets

from hramada.crypto import blind_rsa
from hramada.election.registrations import VARIANT

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed on phones


def new_code() -> str:
    """A fresh code of 20 symbols (100 bits) in groups of five."""
    symbols = "".join(secrets.choice(ALPHABET) for _ in range(20))
    return "-".join(symbols[i : i + 5] for i in range(0, 20, 5))


def normalize(code: str) -> str:
    return "".join(c for c in code.upper() if c.isalnum())


def code_hash(election: str, code: str) -> str:
    """What is stored of a code: SHA-256 over the election and the normalized code (the code
    holds 100 random bits, so no slow hash is needed against guessing)."""
    return hashlib.sha256(f"hramada-pvt\0{election}\0{normalize(code)}".encode()).hexdigest()


# -- tokens from the exile registry -----------------------------------------------------------
# A member's device asks the registry for one blind signature (RFC 9474) over a random nonce
# under the PVT's registry key: the registry learns that the member asked, never the nonce, so
# the token that reaches the PVT names nobody. The PVT accepts each nonce once.

TOKEN_PREFIX = "T1."
MESSAGE_PREFIX = b"hramada-pvt-token/1\n"
NONCE_BYTES = 32
_PREFIX_BYTES = 32  # RSABSSA's random message prefix


def token_message(uuid: str, nonce: bytes) -> bytes:
    """What the registry blind-signs: a fixed prefix, the PVT's UUID at the registry, a nonce."""
    return MESSAGE_PREFIX + uuid.encode() + b"\n" + nonce.hex().encode()


def is_token(text: str) -> bool:
    return text.strip().startswith(TOKEN_PREFIX)


def make_token(input_msg: bytes, nonce: bytes, signature: bytes) -> str:
    """The token the voter submits: RSABSSA's message prefix, the nonce and the signature."""
    raw = input_msg[:_PREFIX_BYTES] + nonce + signature
    return TOKEN_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def check_token(text: str, uuid: str, key: blind_rsa.PublicKey) -> bytes:
    """The nonce of a token the registry signed for this PVT; ValueError for any other."""
    body = text.strip().removeprefix(TOKEN_PREFIX)
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("the token is not base64") from None
    if len(raw) != _PREFIX_BYTES + NONCE_BYTES + key.size:
        raise ValueError("the token has the wrong length")
    prefix, nonce = raw[:_PREFIX_BYTES], raw[_PREFIX_BYTES : _PREFIX_BYTES + NONCE_BYTES]
    signature = raw[_PREFIX_BYTES + NONCE_BYTES :]
    if not blind_rsa.verify(VARIANT, key, prefix + token_message(uuid, nonce), signature):
        raise ValueError("the registry did not sign this token")
    return nonce


def token_hash(election: str, nonce: bytes) -> str:
    """What is stored of a spent token: SHA-256 over the election and its nonce."""
    return hashlib.sha256(f"hramada-pvt-token\0{election}\0{nonce.hex()}".encode()).hexdigest()
