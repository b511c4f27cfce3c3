"""The member page's registration module (booth/js/member/registration.js, blindrsa-ts inside),
run by node against our Python: the credential, the registration message and the signed request
are byte for byte what Python makes and checks; our blind signature finalizes there and the
registration it gives verifies here; a signature under another key is refused there."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from nacl.signing import VerifyKey
from node_driver import Node
from server_harness import cli

from hramada.crypto import blind_rsa as br
from hramada.crypto.credentials import derive_secret
from hramada.crypto.groups import get_group
from hramada.election import registrations as reg
from hramada.observe.pvt import tokens
from hramada.protocol.canonical import decode
from hramada.registry import member_code
from hramada.registry.messages import request_message

UUID = "Hk5XJ3FmVdzq4W"


@pytest.fixture(scope="module")
def node() -> Iterator[Node]:
    driver = Node("member_registration_driver.mjs")
    yield driver
    driver.close()


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[reg.RegistryKey, br.PrivateKey]:
    folder: Path = tmp_path_factory.mktemp("registry")
    cli("registry", "keygen", "--out", folder, "--bits", "2048")
    public = decode((folder / "registry_key.json").read_bytes(), reg.RegistryKey, "key")
    return public, br.PrivateKey.from_pem((folder / "blind.key").read_bytes())


@pytest.mark.parametrize("group_name", ["Ed25519", "BELENIOS-2048"])
def test_the_page_s_registration_verifies_here(
    node: Node, keys: tuple[reg.RegistryKey, br.PrivateKey], group_name: str
) -> None:
    public, private = keys
    made = node("prepare", uuid=UUID, group=group_name, registry=msgspec.to_builtins(public))
    assert "error" not in made, made
    group = get_group(group_name)
    assert made["public"] == group.encode(
        group.g_pow(derive_secret(made["credential"], UUID, group.q))
    )
    input_msg = bytes.fromhex(made["input_msg"])
    assert input_msg[32:] == reg.registration_message(UUID, made["public"])

    code = member_code.new_code()
    challenge = "ab" * 32
    body = node("request", id=made["id"], code=code, uuid=UUID, challenge=challenge)
    blinded = base64.b64decode(body["blinded"])
    assert body["member_key"] == member_code.member_key(code).verify_key.encode().hex()
    VerifyKey(bytes.fromhex(body["member_key"])).verify(
        request_message(UUID, challenge, blinded), bytes.fromhex(body["signature"])
    )  # what the registry checks

    answer = base64.b64encode(br.blind_sign(private, blinded)).decode()
    posted = node("finish", id=made["id"], blind_signature=answer)
    assert "error" not in posted, posted
    registration = msgspec.convert(posted, reg.Registration)
    assert registration.credential == made["public"]
    prefix, signature = reg.decode_registration(registration)
    reg.check_registration(UUID, reg.blind_key(public), registration.credential, prefix, signature)
    assert prefix == input_msg[:32]


def test_a_signature_under_another_key_is_refused_there(
    node: Node, keys: tuple[reg.RegistryKey, br.PrivateKey]
) -> None:
    public, _ = keys
    made = node("prepare", uuid=UUID, group="Ed25519", registry=msgspec.to_builtins(public))
    blinded = bytes.fromhex(node("blinded", id=made["id"])["blinded"])
    other = br.generate_key(2048)
    while int.from_bytes(blinded) >= other.public.n:  # the other key must be able to sign it
        other = br.generate_key(2048)
    forged = base64.b64encode(br.blind_sign(other, blinded)).decode()
    assert "error" in node("finish", id=made["id"], blind_signature=forged)


def test_the_page_s_tabulation_token_is_accepted_here(
    node: Node, keys: tuple[reg.RegistryKey, br.PrivateKey]
) -> None:
    """The member page's token for a parallel vote tabulation: the same message as
    registry/member.py's, and the token our tabulation checks; a wrong answer is refused."""
    public, private = keys
    made = node("prepareToken", uuid=UUID, registry=msgspec.to_builtins(public))
    assert "error" not in made, made
    nonce = bytes.fromhex(made["nonce"])
    assert bytes.fromhex(made["input_msg"])[32:] == tokens.token_message(UUID, nonce)
    code = member_code.new_code()
    body = node("request", id=made["id"], code=code, uuid=UUID, challenge="cd" * 32)
    blinded = base64.b64decode(body["blinded"])
    VerifyKey(bytes.fromhex(body["member_key"])).verify(
        request_message(UUID, "cd" * 32, blinded), bytes.fromhex(body["signature"])
    )
    answer = base64.b64encode(br.blind_sign(private, blinded)).decode()
    token = node("finishToken", id=made["id"], blind_signature=answer)["token"]
    assert tokens.check_token(token, UUID, reg.blind_key(public)) == nonce
    other = br.generate_key(2048)
    while int.from_bytes(blinded) >= other.public.n:  # the other key must be able to sign it
        other = br.generate_key(2048)
    forged = base64.b64encode(br.blind_sign(other, blinded)).decode()
    assert "error" in node("finishToken", id=made["id"], blind_signature=forged)
