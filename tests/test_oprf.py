"""RFC 9497 OPRF(ristretto255, SHA-512): every test vector of the base and verifiable modes,
input validation, and the protocol's round trip with random blinds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hramada.crypto import oprf

VECTORS = json.loads(
    (Path(__file__).parent / "vectors/rfc9497_ristretto255_sha512.json").read_text()
)
SUITES = {0: oprf.OPRF, 1: oprf.VOPRF}


def _cases(mode: int) -> list[tuple[dict, dict]]:
    return [(s, v) for s in VECTORS if s["mode"] == mode for v in s["vectors"]]


def _split(field: str) -> list[bytes]:
    return [bytes.fromhex(x) for x in field.split(",")]


def test_vector_file_holds_every_case() -> None:
    assert len(_cases(0)) == 2 and len(_cases(1)) == 3


@pytest.mark.parametrize("mode", [0, 1])
def test_context_and_dst(mode: int) -> None:
    suite = next(s for s in VECTORS if s["mode"] == mode)
    assert b"HashToGroup-" + SUITES[mode].context == bytes.fromhex(suite["groupDST"])


@pytest.mark.parametrize(("suite", "vector"), _cases(0))
def test_rfc9497_oprf_vectors(suite: dict, vector: dict) -> None:
    s = oprf.OPRF
    sk, _ = s.derive_key_pair(bytes.fromhex(suite["seed"]), bytes.fromhex(suite["keyInfo"]))
    assert sk.hex() == suite["skSm"]
    (x,), (r,) = _split(vector["Input"]), _split(vector["Blind"])
    blind, blinded = s.blind(x, blind=r)
    assert blinded.hex() == vector["BlindedElement"]
    evaluated = oprf.blind_evaluate(sk, blinded)
    assert evaluated.hex() == vector["EvaluationElement"]
    assert oprf.finalize(x, blind, evaluated).hex() == vector["Output"]
    assert s.evaluate(sk, x).hex() == vector["Output"]


@pytest.mark.parametrize(("suite", "vector"), _cases(1))
def test_rfc9497_voprf_vectors(suite: dict, vector: dict) -> None:
    s = oprf.VOPRF
    sk, pk = s.derive_key_pair(bytes.fromhex(suite["seed"]), bytes.fromhex(suite["keyInfo"]))
    assert (sk.hex(), pk.hex()) == (suite["skSm"], suite["pkSm"])
    inputs, blinds = _split(vector["Input"]), _split(vector["Blind"])
    blinded = [s.blind(x, blind=r)[1] for x, r in zip(inputs, blinds, strict=True)]
    assert [b.hex() for b in blinded] == vector["BlindedElement"].split(",")
    r = bytes.fromhex(vector["Proof"]["r"])
    evaluated, proof = s.blind_evaluate_verifiable(sk, pk, blinded, r=r)
    assert [e.hex() for e in evaluated] == vector["EvaluationElement"].split(",")
    assert proof.hex() == vector["Proof"]["proof"]
    outputs = s.finalize_verifiable(inputs, blinds, evaluated, blinded, pk, proof)
    assert [o.hex() for o in outputs] == vector["Output"].split(",")


@pytest.mark.parametrize(
    ("msg", "length", "want"),
    [
        (b"", 0x20, "6b9a7312411d92f921c6f68ca0b6380730a1a4d982c507211a90964c394179ba"),
        (b"abc", 0x20, "0da749f12fbe5483eb066a5f595055679b976e93abe9be6f0f6318bce7aca8dc"),
        (
            b"abc",
            0x80,
            "7f1dddd13c08b543f2e2037b14cefb255b44c83cc397c1786d975653e36a6b11"
            "bdd7732d8b38adb4a0edc26a0cef4bb45217135456e58fbca1703cd6032cb134"
            "7ee720b87972d63fbf232587043ed2901bce7f22610c0419751c065922b48843"
            "1851041310ad659e4b23520e1772ab29dcdeb2002222a363f0c2b1c972b3efe1",
        ),
    ],
)
def test_expand_message_xmd_sha512_rfc9380_vectors(msg: bytes, length: int, want: str) -> None:
    # RFC 9380 appendix K.3, expand_message_xmd(SHA-512).
    dst = b"QUUX-V01-CS02-with-expander-SHA512-256"
    assert oprf.expand_message_xmd(msg, dst, length).hex() == want


NON_CANONICAL = [
    bytes(32),  # the identity
    bytes([0xED]) + b"\xff" * 30 + b"\x7f",  # p itself: a non-canonical field element
    bytes([1]) + bytes(31),  # a negative field element (odd): not a valid encoding
    b"\xff" * 32,
    bytes(31),  # too short
    bytes(33),
]


@pytest.mark.parametrize("bad", NON_CANONICAL)
def test_bad_elements_are_refused(bad: bytes) -> None:
    with pytest.raises(oprf.InputValidationError):
        oprf.deserialize_element(bad)
    sk, _ = oprf.generate_key_pair()
    with pytest.raises(oprf.InputValidationError):
        oprf.blind_evaluate(sk, bad)


@pytest.mark.parametrize(
    "bad",
    [oprf.ORDER.to_bytes(32, "little"), b"\xff" * 32, bytes(31), (2**255).to_bytes(33, "little")],
)
def test_out_of_range_scalars_are_refused(bad: bytes) -> None:
    with pytest.raises(oprf.InputValidationError):
        oprf.deserialize_scalar(bad)


def test_proof_with_out_of_range_scalar_is_refused() -> None:
    s = oprf.VOPRF
    sk, pk = oprf.generate_key_pair()
    blind, blinded = s.blind(b"x")
    (evaluated,), proof = s.blind_evaluate_verifiable(sk, pk, [blinded])
    bad = proof[:32] + (int.from_bytes(proof[32:], "little") + oprf.ORDER).to_bytes(32, "little")
    with pytest.raises(oprf.InputValidationError):
        s.finalize_verifiable([b"x"], [blind], [evaluated], [blinded], pk, bad)


@settings(max_examples=25, deadline=None)
@given(st.binary(max_size=80), st.binary(min_size=1, max_size=80))
def test_voprf_round_trip_and_wrong_key_detected(x: bytes, other: bytes) -> None:
    s = oprf.VOPRF
    sk, pk = oprf.generate_key_pair()
    blind, blinded = s.blind(x)
    (evaluated,), proof = s.blind_evaluate_verifiable(sk, pk, [blinded])
    (out,) = s.finalize_verifiable([x], [blind], [evaluated], [blinded], pk, proof)
    assert out == s.evaluate(sk, x)
    assert oprf.finalize(x, blind, evaluated) == out
    # A server that evaluates with another key is caught by the proof against its public key.
    sk2, _ = oprf.generate_key_pair()
    wrong, proof2 = s.blind_evaluate_verifiable(sk2, pk, [blinded])
    with pytest.raises(oprf.VerifyError):
        s.finalize_verifiable([x], [blind], wrong, [blinded], pk, proof2)
    with pytest.raises(oprf.VerifyError):
        s.finalize_verifiable([x], [blind], wrong, [blinded], pk, proof)
    # A different input gives a different, unrelated output.
    if other != x:
        assert s.evaluate(sk, other) != out


def test_blinded_element_hides_the_input() -> None:
    s = oprf.OPRF
    assert s.blind(b"MP1234567")[1] != s.blind(b"MP1234567")[1]


scalars = st.integers(0, oprf.ORDER - 1)


@settings(max_examples=40, deadline=None)
@given(scalars, scalars)
def test_scalar_arithmetic_matches_integers_mod_the_order(a: int, b: int) -> None:
    sa, sb = oprf.scalar_from_int(a), oprf.scalar_from_int(b)
    q = oprf.ORDER
    assert int.from_bytes(oprf.scalar_add(sa, sb), "little") == (a + b) % q
    assert int.from_bytes(oprf.scalar_sub(sa, sb), "little") == (a - b) % q
    assert int.from_bytes(oprf.scalar_mul(sa, sb), "little") == a * b % q
    if a:
        assert int.from_bytes(oprf.scalar_invert(sa), "little") == pow(a, -1, q)
    else:
        with pytest.raises(oprf.InputValidationError):
            oprf.scalar_invert(sa)


@settings(max_examples=25, deadline=None)
@given(scalars, scalars)
def test_group_operations_are_a_homomorphism_from_the_scalars(a: int, b: int) -> None:
    sa, sb = oprf.scalar_from_int(a), oprf.scalar_from_int(b)
    pa, pb = oprf.public_key(sa), oprf.public_key(sb)
    assert oprf.add(pa, pb) == oprf.public_key(oprf.scalar_add(sa, sb))
    assert oprf.mul(sa, pb) == oprf.mul(sb, pa) == oprf.public_key(oprf.scalar_mul(sa, sb))
    assert (pa == oprf.IDENTITY) == (a == 0)
