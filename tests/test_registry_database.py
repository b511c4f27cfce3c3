"""The registry's database work: off the event loop (one slow query there would stall every
registrar's and member's request, the blind signatures among them), and a database locked past
its timeout answered with a clear 503 that changed nothing."""

from __future__ import annotations

import secrets
import sqlite3
import uuid as uuids
from dataclasses import dataclass
from pathlib import Path

import pytest
from loop_guard import statements_on_the_loop
from nacl.signing import SigningKey
from sqlalchemy import Engine
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


@dataclass
class Registry:
    data: Path
    engine: Engine
    election: str
    key: reg.RegistryKey
    registrar: SigningKey


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    """A registry with a registrar `ala`, an admin `root` and one election's keys."""
    data, keys, election = tmp_path / "registry", tmp_path / "keys", str(uuids.uuid4())
    made = CliRunner().invoke(cli, ["registry", "keygen", "--out", str(keys), "--bits", "2048"])
    assert made.exit_code == 0, made.output
    engine = store.open_database(data, None)
    registrar, admin = SigningKey.generate(), SigningKey.generate()
    store.add_registrar(engine, "ala", "registrar", PASSWORD, registrar.verify_key.encode().hex())
    store.add_registrar(engine, "root", "admin", PASSWORD, admin.verify_key.encode().hex())
    store.add_election(engine, data, election, keys)
    key = decode((keys / "registry_key.json").read_bytes(), reg.RegistryKey, "registry key")
    return Registry(data, engine, election, key, registrar)


def login(client: TestClient, name: str) -> dict[str, str]:
    answer = client.post("/api/registry/login", json={"name": name, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"authorization": f"Bearer {answer.json()['token']}"}


def enrolment(client: TestClient, registrar: SigningKey, member_key: str) -> dict[str, str]:
    """A new member's enrolment, under a fresh challenge (any 64-byte tag will do here)."""
    tag, nonce = secrets.token_hex(64), member.challenge(client)
    record_hex = record(registrar, nonce, tag, member_key)
    return {"tag": tag, "member_key": member_key, "challenge": nonce, "record": record_hex}


def test_no_request_touches_the_database_on_the_event_loop(registry: Registry) -> None:
    engine, data, election, key = registry.engine, registry.data, registry.election, registry.key
    device = SigningKey.generate()
    member_key = device.verify_key.encode().hex()
    app = create_app(engine, data, workers=0)
    with TestClient(app) as client, statements_on_the_loop(engine) as on_loop:
        sessions = {name: login(client, name) for name in ("ala", "root")}
        body = enrolment(client, registry.registrar, member_key)
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


def test_a_locked_database_is_a_503_that_changes_nothing(registry: Registry) -> None:
    member_key = SigningKey.generate().verify_key.encode().hex()
    with TestClient(create_app(registry.engine, registry.data, workers=0)) as client:
        session = login(client, "ala")
        body = enrolment(client, registry.registrar, member_key)
        holder = sqlite3.connect(registry.data / store.SQLITE_FILE)
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock past the timeout
        try:
            refused = client.post("/api/registry/members", json=body, headers=session)
        finally:
            holder.rollback()
            holder.close()
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["check"] == "database"
        assert client.get("/api/registry").json()["members"] == 0
        again = enrolment(client, registry.registrar, member_key)
        enrolled = client.post("/api/registry/members", json=again, headers=session)
        assert enrolled.status_code == 201, enrolled.text
