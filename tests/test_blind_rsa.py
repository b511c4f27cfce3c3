"""RFC 9474 blind RSA signatures: the RFC's test vectors, and properties of the protocol."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hramada.crypto import blind_rsa as br

VECTORS = json.loads((Path(__file__).parent / "vectors" / "rfc9474_vectors.json").read_text())


def _int(h: str) -> int:
    return int(h, 16)


def _bytes(h: str) -> bytes:
    return bytes.fromhex(h.removeprefix("0x"))


def _vector_key(v: dict[str, str]) -> br.PrivateKey:
    p, q, n, e, d = (_int(v[k]) for k in ("p", "q", "n", "e", "d"))
    assert p * q == n
    numbers = rsa.RSAPrivateNumbers(
        p=p,
        q=q,
        d=d,
        dmp1=rsa.rsa_crt_dmp1(d, p),
        dmq1=rsa.rsa_crt_dmq1(d, q),
        iqmp=rsa.rsa_crt_iqmp(p, q),
        public_numbers=rsa.RSAPublicNumbers(e, n),
    )
    return br.PrivateKey(numbers.private_key())


def test_all_four_variants_have_a_vector() -> None:
    assert {v["name"] for v in VECTORS} == set(br.VARIANTS)


@pytest.mark.parametrize("v", VECTORS, ids=[v["name"] for v in VECTORS])
def test_rfc9474_vector(v: dict[str, str]) -> None:
    variant = br.VARIANTS[v["name"]]
    sk = _vector_key(v)
    pk = sk.public
    msg = _bytes(v["msg"])
    prefix = _bytes(v["msg_prefix"]) if v["msg_prefix"] else None
    input_msg = br.prepare(variant, msg, prefix)
    assert input_msg == _bytes(v["input_msg"])
    salt = _bytes(v["salt"]) if v["salt"] else b""
    if "encoded_msg" in v:
        encoded = br.emsa_pss_encode(input_msg, int(pk.n.bit_length()) - 1, salt)
        assert encoded == _bytes(v["encoded_msg"])
    inv = _int(v["inv"])
    r = pow(inv, -1, int(pk.n))
    blinded = br.blind(variant, pk, input_msg, salt=salt, r=r)
    assert blinded.blinded_msg == _bytes(v["blinded_msg"])
    assert int.from_bytes(blinded.inv, "big") == inv
    blind_sig = br.blind_sign(sk, blinded.blinded_msg)
    assert blind_sig == _bytes(v["blind_sig"])
    sig = br.finalize(variant, pk, input_msg, blind_sig, blinded.inv)
    assert sig == _bytes(v["sig"])
    assert br.verify(variant, pk, input_msg, sig)
    assert not br.verify(variant, pk, input_msg + b"x", sig)


@cache
def _key(i: int) -> br.PrivateKey:
    return br.generate_key(2048)


_SLOW = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SLOW
@given(msg=st.binary(max_size=200), variant=st.sampled_from(list(br.VARIANTS.values())))
def test_round_trip_and_wrong_message(msg: bytes, variant: br.Variant) -> None:
    sk = _key(0)
    input_msg = br.prepare(variant, msg)
    blinded = br.blind(variant, sk.public, input_msg)
    sig = br.finalize(
        variant, sk.public, input_msg, br.blind_sign(sk, blinded.blinded_msg), blinded.inv
    )
    assert br.verify(variant, sk.public, input_msg, sig)
    assert not br.verify(variant, sk.public, input_msg + b"\x00", sig)
    assert not br.verify(variant, _key(1).public, input_msg, sig)
    if variant.randomized:
        assert input_msg[32:] == msg
        assert not br.verify(variant, sk.public, msg, sig)


@_SLOW
@given(msg=st.binary(max_size=64))
def test_blinding_hides_the_message(msg: bytes) -> None:
    """Two blindings of one message differ: the signer cannot recognise a message it saw."""
    v = br.PSS_DETERMINISTIC
    pk = _key(0).public
    assert br.blind(v, pk, msg).blinded_msg != br.blind(v, pk, msg).blinded_msg


def test_signature_from_another_key_is_refused_at_finalize() -> None:
    v = br.PSS_RANDOMIZED
    sk, other = _key(0), _key(1)
    input_msg = br.prepare(v, b"m")
    while True:  # the other key must be able to sign it, and its answer must be below n
        blinded = br.blind(v, sk.public, input_msg)
        if int.from_bytes(blinded.blinded_msg, "big") >= other.public.n:
            continue
        forged = br.blind_sign(other, blinded.blinded_msg)
        if int.from_bytes(forged, "big") < sk.public.n:
            break
    with pytest.raises(br.BlindRSAError, match="invalid signature"):
        br.finalize(v, sk.public, input_msg, forged, blinded.inv)


@_SLOW
@given(data=st.binary(max_size=300))
def test_malformed_blinded_messages_are_refused(data: bytes) -> None:
    sk = _key(0)
    if len(data) == sk.public.size:
        return
    with pytest.raises(br.BlindRSAError):
        br.blind_sign(sk, data)


def test_out_of_range_blinded_message_is_refused() -> None:
    sk = _key(0)
    with pytest.raises(br.BlindRSAError, match="out of range"):
        br.blind_sign(sk, b"\xff" * sk.public.size)
    with pytest.raises(br.BlindRSAError, match="out of range"):
        br.blind_sign(sk, br._i2osp(sk.public.n, sk.public.size))


@_SLOW
@given(sig=st.binary(max_size=300))
def test_garbage_signatures_do_not_verify(sig: bytes) -> None:
    assert not br.verify(br.PSS_RANDOMIZED, _key(0).public, b"m", sig)


def test_finalize_refuses_wrong_sizes_and_ranges() -> None:
    v, pk = br.PSS_RANDOMIZED, _key(0).public
    good = bytes(pk.size)
    with pytest.raises(br.BlindRSAError):
        br.finalize(v, pk, b"m", good[1:], good)
    with pytest.raises(br.BlindRSAError, match="out of range"):
        br.finalize(v, pk, b"m", b"\xff" * pk.size, good)


def test_public_key_round_trips_and_weak_keys_are_refused() -> None:
    pk = _key(0).public
    assert br.PublicKey.from_der(pk.to_der()) == pk
    assert len(pk.fingerprint()) == 64
    with pytest.raises(br.BlindRSAError):
        br.PublicKey.from_der(b"\x30\x00")
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(br.BlindRSAError, match="2048"):
        br.PublicKey(small.public_key())
    sk = _key(0)
    assert br.PrivateKey.from_pem(sk.to_pem()).public == pk


def test_prefix_and_key_size_are_checked() -> None:
    with pytest.raises(br.BlindRSAError):
        br.prepare(br.PSS_RANDOMIZED, b"m", b"short")
    with pytest.raises(br.BlindRSAError):
        br.generate_key(1024)
