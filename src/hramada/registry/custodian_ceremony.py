"""The custodians' key ceremony, with no dealer, by files passed between them: `init` makes each
custodian's transport key, `deal` a random polynomial with a share sealed to every custodian,
`join` checks and sums the shares received. No one ever holds the joint key."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox
from sqlalchemy import Engine

from hramada.crypto import oprf
from hramada.crypto.threshold_oprf import KeyShare, check_parameters, deal, joint_share
from hramada.protocol.secret_files import private_folder, write_secret
from hramada.registry.custodian_store import Custodian, save_custodian

SUITE = "ristretto255-SHA512"
CEREMONY_FILE = "ceremony.json"
TRANSPORT_FILE = "transport.key"


class CeremonyError(Exception):
    """A file of the ceremony that does not fit: the message says which and why."""


def _ceremony(data: Path) -> dict[str, int]:
    try:
        state: dict[str, int] = json.loads((data / CEREMONY_FILE).read_text())
    except OSError:
        raise CeremonyError(f"{data} has no ceremony under way: run `custodian init`") from None
    return state


def init(data: Path, index: int, custodians: int, threshold: int) -> dict[str, Any]:
    """Start: a transport key pair (private part 0600) and the public card to send to the others."""
    try:
        check_parameters(threshold, custodians)
    except oprf.OprfError as e:
        raise CeremonyError(str(e)) from None
    if not 1 <= index <= custodians:
        raise CeremonyError(f"the index runs from 1 to {custodians}")
    private_folder(data)
    if (data / CEREMONY_FILE).exists():
        raise CeremonyError(f"{data} already has a ceremony under way or done")
    transport = PrivateKey.generate()
    write_secret(data / TRANSPORT_FILE, bytes(transport).hex() + "\n")
    state = {"index": index, "custodians": custodians, "threshold": threshold}
    (data / CEREMONY_FILE).write_text(json.dumps(state) + "\n")
    return {"suite": SUITE, **state, "transport_key": bytes(transport.public_key).hex()}


def _field(doc: dict[str, Any], name: str, kind: type) -> Any:
    value = doc.get(name) if isinstance(doc, dict) else None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise CeremonyError(f"a ceremony file lacks a valid {name!r}")
    return value


def deal_to(data: Path, cards: list[dict[str, Any]]) -> dict[str, Any]:
    """This custodian's dealing: commitments to a random polynomial, a share sealed to each card."""
    state = _ceremony(data)
    n, k = state["custodians"], state["threshold"]
    keys: dict[int, bytes] = {}
    for card in cards:
        if card.get("suite") != SUITE or (card.get("custodians"), card.get("threshold")) != (n, k):
            raise CeremonyError(f"a card is not for this ceremony ({k} of {n}, {SUITE})")
        index = _field(card, "index", int)
        keys[index] = bytes.fromhex(_field(card, "transport_key", str))
    if sorted(keys) != list(range(1, n + 1)) or len(cards) != n:
        raise CeremonyError(f"need exactly one card from each custodian 1..{n}")
    dealing = deal(k, n)
    sealed = {
        str(s.index): SealedBox(PublicKey(keys[s.index])).encrypt(s.secret).hex()
        for s in dealing.shares
    }
    return {
        "suite": SUITE,
        "dealer": state["index"],
        "custodians": n,
        "threshold": k,
        "commitments": [c.hex() for c in dealing.commitments],
        "shares": sealed,
    }


def join(engine: Engine, data: Path, dealings: list[dict[str, Any]]) -> Custodian:
    """Finish: open this custodian's sealed shares, check each against its dealer's commitments,
    keep their sum as the key share (0600) and the summed commitments; forget the transport key."""
    state = _ceremony(data)
    me, n, k = state["index"], state["custodians"], state["threshold"]
    try:
        secret_key = bytes.fromhex((data / TRANSPORT_FILE).read_text().strip())
    except OSError:
        raise CeremonyError(f"{data} has already joined (or lost its transport key)") from None
    transport = SealedBox(PrivateKey(secret_key))
    received: dict[int, tuple[KeyShare, list[bytes]]] = {}
    for d in dealings:
        if d.get("suite") != SUITE or (d.get("custodians"), d.get("threshold")) != (n, k):
            raise CeremonyError(f"a dealing is not for this ceremony ({k} of {n}, {SUITE})")
        dealer = _field(d, "dealer", int)
        try:
            secret = transport.decrypt(bytes.fromhex(_field(d, "shares", dict)[str(me)]))
            commitments = [bytes.fromhex(c) for c in _field(d, "commitments", list)]
        except (KeyError, ValueError, TypeError, CryptoError):
            raise CeremonyError(
                f"dealer {dealer}'s file holds no share for custodian {me}"
            ) from None
        if len(secret) != oprf.SCALAR_BYTES:
            raise CeremonyError(f"dealer {dealer}'s share for custodian {me} is malformed")
        received[dealer] = (KeyShare(me, secret), commitments)
    if sorted(received) != list(range(1, n + 1)) or len(dealings) != n:
        raise CeremonyError(f"need exactly one dealing from each custodian 1..{n}")
    try:
        joint = joint_share(me, k, received)
    except oprf.OprfError as e:
        raise CeremonyError(str(e)) from None
    custodian = Custodian(joint.shares[0], n, k, joint.commitments)
    save_custodian(engine, data, custodian)
    (data / TRANSPORT_FILE).unlink()
    return custodian


def fingerprint(commitments: list[bytes]) -> str:
    """What the custodians read to each other to confirm they hold shares of the same key."""
    return hashlib.sha256(b"".join(commitments)).hexdigest()
