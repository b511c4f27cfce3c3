"""One-time submission codes: coordinators hand them out; the server keeps only their hashes."""

from __future__ import annotations

import hashlib
import secrets

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
