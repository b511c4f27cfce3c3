"""The registry reads and writes its database off the event loop: one slow query there would
stall every registrar's and member's request, the blind signatures among them."""

from __future__ import annotations

import secrets
import uuid as uuids
from pathlib import Path

from loop_guard import statements_on_the_loop
from nacl.signing import SigningKey
from starlette.testclient import TestClient
from typer.testing import CliRunner

from hramada.cli.main import app as cli
from hramada.election import registrations as reg
from hramada.protocol.canonical import decode
from hramada.registry import member
from hramada.registry import registry_store as store
from hramada.registry.enrol import record
from hramada.registry.service import create_app

PASSWORD = "a long registrar password"


def test_no_request_touches_the_database_on_the_event_loop(tmp_path: Path) -> None:
    data, keys, election = tmp_path / "registry", tmp_path / "keys", str(uuids.uuid4())
    made = CliRunner().invoke(cli, ["registry", "keygen", "--out", str(keys), "--bits", "2048"])
    assert made.exit_code == 0, made.output
    engine = store.open_database(data, None)
    registrar, admin = SigningKey.generate(), SigningKey.generate()
    store.add_registrar(engine, "ala", "registrar", PASSWORD, registrar.verify_key.encode().hex())
    store.add_registrar(engine, "root", "admin", PASSWORD, admin.verify_key.encode().hex())
    store.add_election(engine, data, election, keys)
    key = decode((keys / "registry_key.json").read_bytes(), reg.RegistryKey, "registry key")
    device = SigningKey.generate()
    member_key = device.verify_key.encode().hex()
    app = create_app(engine, data, workers=0)
    with TestClient(app) as client, statements_on_the_loop(engine) as on_loop:
        sessions: dict[str, dict[str, str]] = {}
        for name in ("ala", "root"):
            who = {"name": name, "password": PASSWORD}
            login = client.post("/api/registry/login", json=who)
            assert login.status_code == 200, login.text
            sessions[name] = {"authorization": f"Bearer {login.json()['token']}"}
        tag, nonce = secrets.token_hex(64), member.challenge(client)
        body = {
            "tag": tag,
            "member_key": member_key,
            "challenge": nonce,
            "record": record(registrar, nonce, tag, member_key),
        }
        enrolled = client.post("/api/registry/members", json=body, headers=sessions["ala"])
        assert enrolled.status_code == 201, enrolled.text
        assert client.get("/api/registry").json()["members"] == 1
        assert client.get(f"/api/registry/elections/{election}").json()["issued"] == 0
        request = member.prepare(election, "Ed25519", key)
        ask = member.request_body(client, device, election, request)
        signed = client.post(f"/api/registry/elections/{election}/signature", json=ask)
        assert signed.status_code == 200, signed.text
        again = member.request_body(client, device, election, request)
        twice = client.post(f"/api/registry/elections/{election}/signature", json=again)
        assert twice.status_code == 409, twice.text
        statement = client.post(
            f"/api/registry/elections/{election}/statement", headers=sessions["root"]
        )
        assert statement.status_code == 200, statement.text
        assert client.get(f"/api/registry/elections/{election}").json()["issued"] == 1
    assert on_loop == []
