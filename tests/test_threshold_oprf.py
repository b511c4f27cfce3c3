"""Threshold VOPRF: any k of n custodians give the single-key value, a wrong answer is caught and
named, and fewer than k answers cannot finish."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hramada.crypto import oprf
from hramada.crypto import threshold_oprf as t
from hramada.crypto.oprf import VOPRF


def _answers(dealing: t.Dealing, indices: list[int], blinded: list[bytes]) -> dict:
    keys = {s.index: t.share_public_key(s.index, dealing.commitments) for s in dealing.shares}
    by_index = {s.index: s for s in dealing.shares}
    return {i: t.evaluate_share(by_index[i], keys[i], blinded) for i in indices}


@st.composite
def _setups(draw: st.DrawFn) -> tuple[int, int, list[int]]:
    n = draw(st.integers(1, 7))
    k = draw(st.integers(1, n))
    subset = draw(st.lists(st.integers(1, n), min_size=k, max_size=n, unique=True))
    return k, n, subset


@settings(max_examples=30, deadline=None)
@given(_setups(), st.binary(max_size=40))
def test_any_k_custodians_give_the_single_key_value(setup: tuple, x: bytes) -> None:
    k, n, subset = setup
    dealing = t.deal(k, n)
    assert all(t.verify_share(s, dealing.commitments) for s in dealing.shares)
    blind, blinded = VOPRF.blind(x)
    combined = t.combine(k, [blinded], _answers(dealing, subset, [blinded]), dealing.commitments)
    assert combined.misbehaving == []
    key = _secret(dealing)
    assert oprf.finalize(x, blind, combined.evaluated[0]) == VOPRF.evaluate(key, x)
    assert oprf.public_key(key) == dealing.public_key


def _secret(dealing: t.Dealing) -> bytes:
    """Interpolate the key itself from the first k shares (only a test may do this)."""
    chosen = [s.index for s in dealing.shares[: dealing.threshold]]
    acc = bytes(32)
    for s in dealing.shares[: dealing.threshold]:
        acc = oprf.scalar_add(acc, oprf.scalar_mul(t.lagrange_at_zero(s.index, chosen), s.secret))
    return acc


def test_sharing_a_given_key_keeps_its_outputs() -> None:
    sk, pk = oprf.generate_key_pair()
    dealing = t.deal(2, 3, sk)
    assert dealing.public_key == pk
    blind, blinded = VOPRF.blind(b"MP1234567")
    combined = t.combine(2, [blinded], _answers(dealing, [3, 1], [blinded]), dealing.commitments)
    assert oprf.finalize(b"MP1234567", blind, combined.evaluated[0]) == VOPRF.evaluate(
        sk, b"MP1234567"
    )


def test_batch_of_inputs() -> None:
    dealing = t.deal(3, 5)
    inputs = [b"a", b"b", b"c"]
    blinds, blinded = zip(*(VOPRF.blind(x) for x in inputs), strict=True)
    combined = t.combine(
        3, list(blinded), _answers(dealing, [2, 4, 5], list(blinded)), dealing.commitments
    )
    key = _secret(dealing)
    for x, r, e in zip(inputs, blinds, combined.evaluated, strict=True):
        assert oprf.finalize(x, r, e) == VOPRF.evaluate(key, x)


def test_wrong_answer_is_detected_and_named() -> None:
    dealing = t.deal(2, 3)
    _, blinded = VOPRF.blind(b"doc")
    answers = _answers(dealing, [1, 2, 3], [blinded])
    # Custodian 2 answers with another scalar but a proof for its real key: caught.
    liar = t.KeyShare(2, oprf.random_scalar())
    key2 = t.share_public_key(2, dealing.commitments)
    answers[2] = t.evaluate_share(liar, key2, [blinded])
    combined = t.combine(2, [blinded], answers, dealing.commitments)
    assert combined.misbehaving == [2]
    # Custodian 3 answers with a proof for a key of its own choosing: caught too.
    answers[3] = t.evaluate_share(liar, oprf.public_key(liar.secret), [blinded])
    with pytest.raises(t.ThresholdError, match=r"wrong answers from custodians \[2, 3\]"):
        t.combine(2, [blinded], answers, dealing.commitments)


def test_fewer_than_k_cannot_finish() -> None:
    dealing = t.deal(3, 4)
    blind, blinded = VOPRF.blind(b"doc")
    with pytest.raises(t.ThresholdError, match="2 valid answers, 3 needed"):
        t.combine(3, [blinded], _answers(dealing, [1, 4], [blinded]), dealing.commitments)
    # Interpolating two answers as if k were 2 gives a value unrelated to the key's.
    ans = _answers(dealing, [1, 4], [blinded])
    acc = oprf.IDENTITY
    for i in (1, 4):
        acc = oprf.add(acc, oprf.mul(t.lagrange_at_zero(i, [1, 4]), ans[i][0][0]))
    assert oprf.finalize(b"doc", blind, acc) != VOPRF.evaluate(_secret(dealing), b"doc")


def test_tampered_share_fails_feldman_check() -> None:
    dealing = t.deal(2, 3)
    s = dealing.shares[0]
    assert not t.verify_share(t.KeyShare(s.index, oprf.random_scalar()), dealing.commitments)
    assert not t.verify_share(t.KeyShare(2, s.secret), dealing.commitments)


@pytest.mark.parametrize(("k", "n"), [(0, 3), (4, 3), (2, 256)])
def test_bad_parameters(k: int, n: int) -> None:
    with pytest.raises(t.ThresholdError):
        t.deal(k, n)


def test_malformed_answers_count_as_wrong() -> None:
    dealing = t.deal(1, 2)
    _, blinded = VOPRF.blind(b"doc")
    answers = _answers(dealing, [1, 2], [blinded])
    answers[1] = ([bytes(32)], answers[1][1])  # the identity
    answers[2] = ([], answers[2][1])  # no element
    with pytest.raises(t.ThresholdError, match=r"\[1, 2\]"):
        t.combine(1, [blinded], answers, dealing.commitments)


def test_joint_key_generation_without_a_dealer() -> None:
    k, n = 2, 3
    dealings = {d: t.deal(k, n) for d in range(1, n + 1)}
    joint = {
        i: t.joint_share(
            i, k, {d: (dl.shares[i - 1], dl.commitments) for d, dl in dealings.items()}
        )
        for i in range(1, n + 1)
    }
    commitments = joint[1].commitments
    assert all(j.commitments == commitments for j in joint.values())
    shares = [j.shares[0] for j in joint.values()]
    assert all(t.verify_share(s, commitments) for s in shares)
    key = _secret(t.Dealing(k, shares, commitments))
    assert oprf.public_key(key) == commitments[0]
    summed = bytes(32)
    for dl in dealings.values():
        summed = oprf.scalar_add(summed, _secret(dl))
    assert key == summed
    blind, blinded = VOPRF.blind(b"doc")
    answers = {
        s.index: t.evaluate_share(s, t.share_public_key(s.index, commitments), [blinded])
        for s in shares[1:]
    }
    combined = t.combine(k, [blinded], answers, commitments)
    assert oprf.finalize(b"doc", blind, combined.evaluated[0]) == VOPRF.evaluate(key, b"doc")


def test_joint_key_generation_names_a_cheating_dealer() -> None:
    dealings = {d: t.deal(2, 3) for d in (1, 2, 3)}
    received = {d: (dl.shares[0], dl.commitments) for d, dl in dealings.items()}
    received[3] = (t.KeyShare(1, oprf.random_scalar()), dealings[3].commitments)
    with pytest.raises(t.ThresholdError, match=r"dealers \[3\]"):
        t.joint_share(1, 2, received)
    received[3] = (dealings[3].shares[1], dealings[3].commitments)  # someone else's share
    with pytest.raises(t.ThresholdError, match=r"dealers \[3\]"):
        t.joint_share(1, 2, received)
