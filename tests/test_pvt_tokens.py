"""One-time tokens from the exile registry for the parallel vote tabulation: a member gets one
from the real registry (a blind signature over a random nonce, one per member), the tabulation
accepts it once and refuses altered, replayed and foreign tokens, changing nothing; neither
side's database holds what would link the token to the member."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey
from server_harness import HRAMADA, free_port
from starlette.testclient import TestClient
from test_pvt_service import setup, state_of, submit
from typer.testing import CliRunner

from hramada.cli.main import app as cli
from hramada.crypto import blind_rsa
from hramada.election import registrations as reg
from hramada.election.setup import new_uuid
from hramada.observe.pvt import tokens
from hramada.protocol.canonical import decode
from hramada.registry import member
from hramada.registry import registry_store as store
from hramada.registry.enrol import record
from hramada.registry.member_code import member_key, new_code
from hramada.registry.service import create_app
from hramada.server.pvt_app import create_pvt_app
from hramada.server.pvt_store import PvtStore

PASSWORD = "a long registrar password"


@dataclass
class Registry:
    data: Path
    keys: Path
    uuid: str
    key: reg.RegistryKey
    registrar: SigningKey


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    """A registry that issues for one tabulation (its UUID there), with a registrar `ala`."""
    data, keys, uuid = tmp_path / "registry", tmp_path / "keys", new_uuid()
    made = CliRunner().invoke(cli, ["registry", "keygen", "--out", str(keys), "--bits", "2048"])
    assert made.exit_code == 0, made.output
    engine = store.open_database(data, None)
    registrar = SigningKey.generate()
    store.add_registrar(engine, "ala", "registrar", PASSWORD, registrar.verify_key.encode().hex())
    store.add_election(engine, data, uuid, keys)
    engine.dispose()
    key = decode((keys / "registry_key.json").read_bytes(), reg.RegistryKey, "registry key")
    return Registry(data, keys, uuid, key, registrar)


def enrol(http: httpx.Client, registry: Registry, device: SigningKey) -> None:
    """The registrar enrols a member (any 64-byte tag stands for the custodians' here)."""
    login = http.post("/api/registry/login", json={"name": "ala", "password": PASSWORD})
    assert login.status_code == 200, login.text
    tag, nonce = secrets.token_hex(64), member.challenge(http)
    key = device.verify_key.encode().hex()
    signed = record(registry.registrar, nonce, tag, key)
    body = {"tag": tag, "member_key": key, "challenge": nonce, "record": signed}
    headers = {"authorization": f"Bearer {login.json()['token']}"}
    enrolled = http.post("/api/registry/members", json=body, headers=headers)
    assert enrolled.status_code == 201, enrolled.text


def bind(pvt: Path, registry: Registry) -> None:
    key_file = str(registry.keys / "registry_key.json")
    bound = CliRunner().invoke(
        cli, ["pvt", "registry", registry.uuid, key_file, "--data", str(pvt)]
    )
    assert bound.exit_code == 0, bound.output
    assert bound.output.strip() == reg.binding(registry.key)


def altered(token: str) -> str:
    body = token.removeprefix(tokens.TOKEN_PREFIX)
    flip = "A" if body[40] != "A" else "B"  # a byte of the nonce
    return tokens.TOKEN_PREFIX + body[:40] + flip + body[41:]


def foreign(uuid: str) -> str:
    """A well-formed token signed by a key that is not the registry's for this tabulation."""
    other = blind_rsa.generate_key(2048)
    nonce = secrets.token_bytes(tokens.NONCE_BYTES)
    msg = blind_rsa.prepare(reg.VARIANT, tokens.token_message(uuid, nonce))
    blinded = blind_rsa.blind(reg.VARIANT, other.public, msg)
    sig = blind_rsa.finalize(
        reg.VARIANT,
        other.public,
        msg,
        blind_rsa.blind_sign(other, blinded.blinded_msg),
        blinded.inv,
    )
    return tokens.make_token(msg, nonce, sig)


def test_a_member_token_counts_once_and_links_to_nobody(tmp_path: Path, registry: Registry) -> None:
    pvt = tmp_path / "pvt"
    setup(pvt).engine.dispose()
    bind(pvt, registry)
    device = SigningKey.generate()
    engine = store.open_database(registry.data, None)
    with TestClient(create_app(engine, registry.data, workers=0)) as http:
        enrol(http, registry, device)
        token = member.pvt_token(http, device, registry.uuid)
        with pytest.raises(httpx.HTTPStatusError) as twice:  # one token per member
            member.pvt_token(http, device, registry.uuid)
        assert twice.value.response.status_code == 409
    engine.dispose()
    pvt_store = PvtStore.open(pvt)
    with TestClient(create_pvt_app(pvt)) as client:
        assert submit(client, token, "101", "Tsikhanouskaya")[0] == 201
        after = state_of(pvt_store)
        refusals = {
            "again": (token, 409, "already been used"),
            "altered": (altered(token), 403, "not valid"),
            "foreign": (foreign(registry.uuid), 403, "did not sign"),
            "other tabulation": (foreign(new_uuid()), 403, "not valid"),
            "cut": (token[:-12], 403, "wrong length"),
        }
        for case, (sent, status, message) in refusals.items():
            got, body = submit(client, sent, "102", "Lukashenka")
            assert got == status and message in body["error"]["message"], (case, body)
            assert state_of(pvt_store) == after, f"{case} changed the store"
    pvt_store.engine.dispose()
    nonce = tokens.check_token(token, registry.uuid, reg.blind_key(registry.key)).hex()
    kept_by_registry = b"".join(p.read_bytes() for p in registry.data.rglob("*") if p.is_file())
    assert nonce.encode() not in kept_by_registry and token.encode() not in kept_by_registry
    kept_by_pvt = b"".join(p.read_bytes() for p in pvt.rglob("*") if p.is_file())
    key = device.verify_key.encode()
    assert key not in kept_by_pvt and key.hex().encode() not in kept_by_pvt


def test_a_tabulation_without_a_registry_refuses_tokens(tmp_path: Path, registry: Registry) -> None:
    pvt = tmp_path / "pvt"
    setup(pvt).engine.dispose()
    with TestClient(create_pvt_app(pvt)) as client:
        got, body = submit(client, foreign(registry.uuid), "101", "Lukashenka")
    assert got == 403 and "accepts no registry tokens" in body["error"]["message"], body


def test_the_members_command_gets_a_token_from_a_running_registry(registry: Registry) -> None:
    port = free_port()
    args = ["registry", "serve", "--data", str(registry.data), "--port", str(port)]
    server = subprocess.Popen([*HRAMADA, *args], stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/api/registry", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and server.poll() is None
                time.sleep(0.2)
        code = new_code()
        with httpx.Client(base_url=url) as http:
            enrol(http, registry, member_key(code))
        command = [*HRAMADA, "pvt", "token", "--registry", url, "--uuid", registry.uuid]
        env = dict(os.environ, HRAMADA_MEMBER_CODE=code)
        first = subprocess.run(command, capture_output=True, text=True, env=env)
        assert first.returncode == 0, first.stderr
        made = first.stdout.strip()
        nonce = tokens.check_token(made, registry.uuid, reg.blind_key(registry.key))
        assert len(nonce) == tokens.NONCE_BYTES
        second = subprocess.run(command, capture_output=True, text=True, env=env)
        assert second.returncode == 1 and "the registry refused" in second.stderr
        env["HRAMADA_MEMBER_CODE"] = new_code()  # a member the registry does not know
        stranger = subprocess.run(command, capture_output=True, text=True, env=env)
        assert stranger.returncode == 1 and "no enrolled member" in stranger.stderr
    finally:
        server.terminate()
        server.wait(30)


KEY = blind_rsa.generate_key(2048)


@settings(max_examples=200, deadline=None)
@given(
    st.text(max_size=700)
    | st.binary(max_size=520).map(
        lambda b: tokens.TOKEN_PREFIX + base64.urlsafe_b64encode(b).decode()
    )
)
def test_anything_but_a_signed_token_is_a_value_error(text: str) -> None:
    """Whatever a client sends as a token, checking it raises ValueError (a 403), never
    anything else."""
    with pytest.raises(ValueError):
        tokens.check_token(text, "any", KEY.public)
