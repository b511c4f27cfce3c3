"""Our RFC 9497 OPRF against Cloudflare's voprf-ts (node): their client blinds, our server
evaluates, their client finalizes to our value; the reverse; and the threshold custodians'
combined answer finalized by their client."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from node_driver import Node

from hramada.crypto import oprf
from hramada.crypto import threshold_oprf as t
from hramada.crypto.oprf import OPRF, VOPRF

ROOT = Path(__file__).resolve().parents[1]
NODE = shutil.which("node")
# Under CI a missing node is a failure, not a skip.
pytestmark = pytest.mark.skipif(NODE is None and not os.environ.get("CI"), reason="no node")
INPUTS = [b"", b"MP1234567", "\u041a\u041d 7654321".encode(), bytes(range(256))]


@pytest.fixture(scope="module")
def peer() -> Iterator[Node]:
    p = Node("voprf_driver.mjs")
    yield p
    p.close()


@pytest.mark.parametrize("mode", [0, 1])
def test_same_derived_keys(peer: Node, mode: int) -> None:
    seed, info = bytes(range(32)), b"hramada custodians"
    sk, pk = (OPRF, VOPRF)[mode].derive_key_pair(seed, info)
    assert peer("keypair", mode=mode, seed=seed.hex(), info=info.hex()) == {
        "sk": sk.hex(),
        "pk": pk.hex(),
    }


@pytest.mark.parametrize("mode", [0, 1])
def test_their_client_our_server(peer: Node, mode: int) -> None:
    suite = (OPRF, VOPRF)[mode]
    sk, pk = oprf.generate_key_pair()
    hexes = [x.hex() for x in INPUTS]
    blinded = peer("blind", mode=mode, pk=pk.hex(), inputs=hexes)
    elements = [bytes.fromhex(b) for b in blinded["blinded"]]
    if mode == 0:
        evaluated, proof = [oprf.blind_evaluate(sk, b) for b in elements], None
    else:
        evaluated, p = suite.blind_evaluate_verifiable(sk, pk, elements)
        proof = p.hex()
    out = peer(
        "finalize",
        mode=mode,
        pk=pk.hex(),
        state=blinded["state"],
        evaluated=[e.hex() for e in evaluated],
        proof=proof,
    )
    assert out["outputs"] == [suite.evaluate(sk, x).hex() for x in INPUTS]
    for x in INPUTS:
        assert peer("direct", mode=mode, sk=sk.hex(), input=x.hex())["output"] == (
            suite.evaluate(sk, x).hex()
        )


@pytest.mark.parametrize("mode", [0, 1])
def test_our_client_their_server(peer: Node, mode: int) -> None:
    suite = (OPRF, VOPRF)[mode]
    sk, pk = oprf.generate_key_pair()
    blinds, blinded = zip(*(suite.blind(x) for x in INPUTS), strict=True)
    answer = peer("evaluate", mode=mode, sk=sk.hex(), blinded=[b.hex() for b in blinded])
    evaluated = [bytes.fromhex(e) for e in answer["evaluated"]]
    if mode == 0:
        outputs = [
            oprf.finalize(x, r, e) for x, r, e in zip(INPUTS, blinds, evaluated, strict=True)
        ]
    else:
        proof = bytes.fromhex(answer["proof"])
        outputs = suite.finalize_verifiable(INPUTS, blinds, evaluated, list(blinded), pk, proof)
    assert outputs == [suite.evaluate(sk, x) for x in INPUTS]


def test_their_client_rejects_a_lying_server(peer: Node) -> None:
    _, pk = oprf.generate_key_pair()
    other, _ = oprf.generate_key_pair()
    blinded = peer("blind", mode=1, pk=pk.hex(), inputs=["00"])
    element = bytes.fromhex(blinded["blinded"][0])
    evaluated, proof = VOPRF.blind_evaluate_verifiable(other, pk, [element])
    out = peer(
        "finalize",
        mode=1,
        pk=pk.hex(),
        state=blinded["state"],
        evaluated=[evaluated[0].hex()],
        proof=proof.hex(),
    )
    assert "error" in out and "outputs" not in out


def test_their_threshold_client_with_our_custodians(peer: Node) -> None:
    """Their VOPRF client blinds; our custodians answer; a TOPPSS client written on voprf-ts
    checks each proof, names the liar, combines k answers and finalizes to our value."""
    dealing = t.deal(2, 3)
    inputs = [b"MP1234567", b"AB0000001"]
    blinded = peer("blind", mode=1, pk=dealing.public_key.hex(), inputs=[x.hex() for x in inputs])
    elements = [bytes.fromhex(b) for b in blinded["blinded"]]
    answers = []
    for s in dealing.shares:
        secret = s.secret if s.index != 1 else oprf.random_scalar()  # custodian 1 lies
        key = t.share_public_key(s.index, dealing.commitments)
        evaluated, proof = t.evaluate_share(t.KeyShare(s.index, secret), key, elements)
        answers.append(
            {"index": s.index, "evaluated": [e.hex() for e in evaluated], "proof": proof.hex()}
        )
    request = {"state": blinded["state"], "commitments": [c.hex() for c in dealing.commitments]}
    out = peer("combine", answers=answers, **request)
    sk = _interpolated_key(dealing)
    assert out == {"outputs": [VOPRF.evaluate(sk, x).hex() for x in inputs], "wrong": [1]}
    assert "not enough valid answers" in peer("combine", answers=answers[:2], **request)["error"]


def _interpolated_key(dealing: t.Dealing) -> bytes:
    chosen = [s.index for s in dealing.shares[:2]]
    acc = bytes(32)
    for s in dealing.shares[:2]:
        acc = oprf.scalar_add(acc, oprf.scalar_mul(t.lagrange_at_zero(s.index, chosen), s.secret))
    return acc
