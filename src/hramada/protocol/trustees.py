"""The trustees list: "Single" keys and "Pedersen" threshold sets, and owner numbering."""

from __future__ import annotations

import msgspec

from hramada.protocol.canonical import FormatError, decode, encode
from hramada.protocol.model import ThresholdParameters, TrusteePublicKey

Trustee = TrusteePublicKey | ThresholdParameters


def decode_trustees(data: bytes) -> list[Trustee]:
    items = decode(data, list[tuple[str, msgspec.Raw]], "trustees")
    out: list[Trustee] = []
    for kind, raw in items:
        if kind == "Single":
            out.append(decode(raw, TrusteePublicKey, "Single trustee"))
        elif kind == "Pedersen":
            out.append(decode(raw, ThresholdParameters, "Pedersen trustees"))
        else:
            raise FormatError(f"unknown trustee kind {kind!r}")
    return out


def encode_trustees(trustees: list[Trustee]) -> bytes:
    return encode(
        [["Single" if isinstance(t, TrusteePublicKey) else "Pedersen", t] for t in trustees]
    )


def owners(trustees: list[Trustee]) -> list[tuple[int, int]]:
    """For each global owner number (1-based, position in the list) its (item, member) index."""
    out: list[tuple[int, int]] = []
    for i, t in enumerate(trustees):
        members = 1 if isinstance(t, TrusteePublicKey) else len(t.verification_keys)
        out += [(i, j) for j in range(members)]
    return out
