"""Our RFC 9474 blind signatures against @cloudflare/blindrsa-ts (node), in both directions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from node_driver import Node

from hramada.crypto import blind_rsa as br

VARIANTS = list(br.VARIANTS.values())


@pytest.fixture(scope="module")
def node() -> Iterator[Node]:
    driver = Node("blindrsa_driver.mjs")
    yield driver
    driver.close()


@pytest.fixture(scope="module")
def ours() -> br.PrivateKey:
    return br.generate_key(2048)


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.name for v in VARIANTS])
def test_their_blinding_our_signature(node: Node, ours: br.PrivateKey, variant: br.Variant) -> None:
    """They prepare and blind, we sign, they finalize; the signature verifies with ours too."""
    spki = ours.public.to_der().hex()
    msg = b"election-uuid|public-credential"
    blinded = node("blind", variant=variant.name, spki=spki, msg=msg.hex())
    input_msg = bytes.fromhex(blinded["input_msg"])
    assert input_msg.endswith(msg) and len(input_msg) == len(msg) + (32 * variant.randomized)
    blind_sig = br.blind_sign(ours, bytes.fromhex(blinded["blinded_msg"]))
    final = node(
        "finalize",
        variant=variant.name,
        spki=spki,
        input_msg=blinded["input_msg"],
        blind_sig=blind_sig.hex(),
        inv=blinded["inv"],
    )
    assert "error" not in final, final
    sig = bytes.fromhex(final["sig"])
    assert br.verify(variant, ours.public, input_msg, sig)
    assert not br.verify(variant, ours.public, input_msg + b"!", sig)


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.name for v in VARIANTS])
def test_our_blinding_their_signature(node: Node, variant: br.Variant) -> None:
    """We prepare and blind under their key, they sign, we finalize; they verify the result."""
    keys = node("keygen", bits=2048)
    pk = br.PublicKey.from_der(bytes.fromhex(keys["spki"]))
    input_msg = br.prepare(variant, b"another message")
    blinded = br.blind(variant, pk, input_msg)
    signed = node(
        "sign", variant=variant.name, pkcs8=keys["pkcs8"], blinded_msg=blinded.blinded_msg.hex()
    )
    sig = br.finalize(variant, pk, input_msg, bytes.fromhex(signed["blind_sig"]), blinded.inv)
    check = node(
        "verify", variant=variant.name, spki=keys["spki"], input_msg=input_msg.hex(), sig=sig.hex()
    )
    assert check == {"ok": True}
    wrong = node(
        "verify",
        variant=variant.name,
        spki=keys["spki"],
        input_msg=(input_msg + b"!").hex(),
        sig=sig.hex(),
    )
    assert wrong == {"ok": False}


def test_they_refuse_a_signature_from_the_wrong_key(node: Node, ours: br.PrivateKey) -> None:
    """A signer answering with another key is caught by their finalize, as by ours."""
    variant = br.PSS_RANDOMIZED
    other = br.PrivateKey(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    while other.public.n < ours.public.n:  # else it may refuse the blinded message outright
        other = br.PrivateKey(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    spki = ours.public.to_der().hex()
    blinded = node("blind", variant=variant.name, spki=spki, msg="00")
    bad = br.blind_sign(other, bytes.fromhex(blinded["blinded_msg"]))
    final = node(
        "finalize",
        variant=variant.name,
        spki=spki,
        input_msg=blinded["input_msg"],
        blind_sig=bad.hex(),
        inv=blinded["inv"],
    )
    assert "error" in final
