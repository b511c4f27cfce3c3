"""What a seizer does with everything it took: read every file, dump every SQLite database, and
look for a member's name, document or phone, plain or hashed, or keyed under any key it found."""

from __future__ import annotations

import base64
import hashlib
import hmac
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from hramada.registry import enrol

HASHES = ("md5", "sha1", "sha256", "sha512")


def dump(path: Path) -> str:
    """A SQLite database as SQL text (sqlite3's iterdump)."""
    with sqlite3.connect(path) as db:
        return "\n".join(db.iterdump())


def _encodings(digest: bytes) -> set[str]:
    b64 = base64.b64encode(digest).decode()
    return {digest.hex(), digest.hex().upper(), b64, b64.rstrip("="),
            base64.urlsafe_b64encode(digest).decode().rstrip("=")}  # fmt: skip


def forms(text: str, document: bool = False) -> set[str]:
    """A name, phone or document number as a seizer would look for it: plain, upper case, without
    spaces and hyphens (a document also normalized, as our OPRF input and without its prefix),
    and as MD5/SHA-1/SHA-256/SHA-512 of each in hex and base64."""
    plain = {text, text.upper(), text.replace(" ", "").replace("-", "")}
    found = set(plain)
    inputs = {p.encode() for p in plain}
    if document:
        normalized = enrol.normalize(text)
        inputs |= {normalized, normalized.removeprefix(enrol.DOCUMENT_PREFIX)}
        found.add(normalized.removeprefix(enrol.DOCUMENT_PREFIX).decode())
    for p in inputs:
        for h in HASHES:
            found |= _encodings(hashlib.new(h, p).digest())
    return found


def keyed_forms(document: str, keys: Iterable[bytes]) -> set[str]:
    """HMACs of a document number (as typed and normalized) under every key a seizer found."""
    normalized = enrol.normalize(document)
    inputs = {document.encode(), normalized, normalized.removeprefix(enrol.DOCUMENT_PREFIX)}
    return {
        form
        for key in keys
        for text in inputs
        for h in HASHES
        for form in _encodings(hmac.new(key, text, h).digest())
    }
