"""Signed, hash-chained publications of the report: any later edit breaks the chain."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

GENESIS = "0" * 64


@dataclass(frozen=True)
class Publication:
    body: str  # canonical JSON: {"seq", "prev", "time", "report"}
    hash: str  # SHA-256 of body
    signature: str  # Ed25519 over the hash, hex


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def publish(
    key: SigningKey, previous: Publication | None, time: str, report: dict[str, Any]
) -> Publication:
    """The next publication after `previous` (None for the first)."""
    seq = 0 if previous is None else json.loads(previous.body)["seq"] + 1
    prev = GENESIS if previous is None else previous.hash
    body = canonical({"seq": seq, "prev": prev, "time": time, "report": report})
    digest = hashlib.sha256(body.encode()).hexdigest()
    return Publication(body, digest, key.sign(bytes.fromhex(digest)).signature.hex())


def verify_chain(public_key: bytes, chain: list[Publication]) -> list[str]:
    """The problems of a chain under `public_key`, first to last; empty when it holds."""
    problems, prev, verifier = [], GENESIS, VerifyKey(public_key)
    for position, p in enumerate(chain):
        where = f"publication {position}"
        if hashlib.sha256(p.body.encode()).hexdigest() != p.hash:
            problems.append(f"{where}: its body does not hash to {p.hash}")
        try:
            verifier.verify(bytes.fromhex(p.hash), bytes.fromhex(p.signature))
        except (BadSignatureError, ValueError):
            problems.append(f"{where}: bad signature")
        body = json.loads(p.body)
        if body.get("seq") != position:
            problems.append(f"{where}: sequence number {body.get('seq')}, expected {position}")
        if body.get("prev") != prev:
            problems.append(f"{where}: does not follow the previous publication")
        prev = p.hash
    return problems
