"""Canonical compact JSON exactly as Belenios writes it, and the hashes taken over it."""

from __future__ import annotations

import base64
import hashlib
from typing import Any, TypeVar

import msgspec

T = TypeVar("T")

_encoder = msgspec.json.Encoder()


class FormatError(ValueError):
    """Bytes that are not the JSON structure, or not the canonical form, they claim to be."""


def encode(obj: Any) -> bytes:
    """Compact JSON, fields in the order the protocol lists them, absent options left out.

    msgspec writes structs in field order with no whitespace and raw UTF-8, as Belenios does.
    """
    return _encoder.encode(obj)


def decode(data: bytes | str, kind: type[T], what: str) -> T:
    """Parse `data` as `kind`; raise FormatError naming `what` on any mismatch."""
    try:
        return msgspec.json.decode(data, type=kind)
    except (msgspec.ValidationError, msgspec.DecodeError) as e:
        raise FormatError(f"malformed {what}: {e}") from None
    except RecursionError:
        raise FormatError(f"malformed {what}: JSON nested too deeply") from None


def decode_canonical(data: bytes, kind: type[T], what: str) -> T:
    """Parse `data` and insist that re-serializing it gives back the very same bytes."""
    obj = decode(data, kind, what)
    if encode(obj) != data:
        raise FormatError(f"{what} is not in canonical form")
    return obj


def sha256_hex(data: bytes) -> str:
    """Names archive members and payload references."""
    return hashlib.sha256(data).hexdigest()


def sha256_b64(data: bytes) -> str:
    """The election fingerprint, ballot tracking codes and signature hashes: Base64, no padding."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode().rstrip("=")


def b64_to_hex(tracker: str) -> str:
    """The archive member name of a ballot whose tracking code is `tracker`."""
    return base64.b64decode(tracker + "=" * (-len(tracker) % 4)).hex()
