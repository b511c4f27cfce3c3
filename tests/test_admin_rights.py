"""Administrators' rights and the refusals they meet: owners and grants, a superuser who
creates accounts, true error texts, trustee keys logged once, private credentials refused."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from server_harness import ADMIN, QUESTIONS, add_admin, cli, running, set_up

from hramada.server.accounts import create_admin
from hramada.server.database import connect

SECOND = ("observer2", "another long passphrase")


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> str | None:
    if request.param == "sqlite":
        return None
    return str(request.getfixturevalue("postgres"))


def _login(client: httpx.Client, who: tuple[str, str]) -> None:
    r = client.post("/api/admin/login", json={"username": who[0], "password": who[1]})
    assert r.status_code == 200, r.text


def _draft(client: httpx.Client, name: str) -> str:
    """A new election's UUID."""
    r = client.post("/api/admin/elections", json={"name": name, "questions": QUESTIONS})
    assert r.status_code == 201, r.text
    return str(r.json()["uuid"])


def test_a_second_admin_needs_a_grant(tmp_path: Path, database: str | None) -> None:
    data = tmp_path / "server"
    add_admin(data, database)  # the first account: the superuser
    with running(data, database) as server, server.client() as owner:
        _login(owner, ADMIN)
        r = owner.post("/api/admin/accounts", json={"username": SECOND[0], "password": SECOND[1]})
        assert r.status_code == 201, r.text
        uuid = _draft(owner, "Council")
        with server.client() as other:
            _login(other, SECOND)
            # Not the owner: the election is neither listed, readable nor changeable.
            assert other.get("/api/admin/elections").json() == []
            assert other.get(f"/api/admin/elections/{uuid}").status_code == 403
            r = other.post(f"/api/admin/elections/{uuid}/trustees", json={"name": "T"})
            assert r.status_code == 403 and r.json()["error"]["check"] == "owner"
            assert all(e["election"] != uuid for e in other.get("/api/admin/log").json()["entries"])
            # Only the superuser creates accounts.
            r = other.post("/api/admin/accounts", json={"username": "x", "password": "y" * 12})
            assert r.status_code == 403
            r = other.post(f"/api/admin/elections/{uuid}/grants", json={"username": SECOND[0]})
            assert r.status_code == 403

            r = owner.post(f"/api/admin/elections/{uuid}/grants", json={"username": SECOND[0]})
            assert r.status_code == 200, r.text
            assert [e["uuid"] for e in other.get("/api/admin/elections").json()] == [uuid]
            assert other.get(f"/api/admin/elections/{uuid}").status_code == 200
            r = other.post(f"/api/admin/elections/{uuid}/trustees", json={"name": "T"})
            assert r.status_code == 201, r.text
            log = other.get("/api/admin/log").json()["entries"]
            grants = [e for e in log if e["action"] == "grant"]
            assert grants and grants[0]["detail"] == {"username": SECOND[0]}
            assert grants[0]["admin"] == ADMIN[0]


def test_the_first_account_is_the_superuser(tmp_path: Path) -> None:
    engine = connect(f"sqlite:///{tmp_path / 'db.sqlite'}")
    create_admin(engine, *ADMIN)
    create_admin(engine, *SECOND)
    from hramada.server.accounts import is_superuser

    assert is_superuser(engine, ADMIN[0]) and not is_superuser(engine, SECOND[0])


def test_refusals_say_what_failed_and_keys_are_logged_once(tmp_path: Path) -> None:
    data = tmp_path / "server"
    add_admin(data, None)
    with running(data) as server, server.client() as client:
        election = set_up(client, tmp_path, voters=2, trustees=1)
        uuid = election.uuid
        r = client.post(f"/api/admin/elections/{uuid}/trustees", json={"name": "Late"})
        assert r.status_code == 409 and r.json()["error"]["check"] == "setup fixed"
        r = client.post(f"/api/admin/elections/{uuid}/publish")
        assert r.status_code == 409 and r.json()["error"]["check"] == "not closed"
        assert client.post(f"/api/admin/elections/{uuid}/close").status_code == 200
        r = client.post(f"/api/admin/elections/{uuid}/close")
        assert r.status_code == 409 and r.json()["error"]["check"] == "already closed"
        r = client.post(f"/api/admin/elections/{uuid}/publish")
        assert r.status_code == 409 and r.json()["error"]["check"] == "decryptions missing"
        # set_up's trustee submitted once; none of these checks reads "not accepting ballots".
        keys = [d for d in client.get(f"/api/elections/{uuid}").json()["decisions"]]
        assert [d["action"] for d in keys].count("trustee key") == 1


def test_a_repeated_trustee_key_is_logged_once(tmp_path: Path) -> None:
    data = tmp_path / "server"
    add_admin(data, None)
    with running(data) as server, server.client() as client:
        _login(client, ADMIN)
        uuid = _draft(client, "K")
        link = client.post(f"/api/admin/elections/{uuid}/trustees", json={"name": "T"}).json()
        token = link["link"].rsplit("/", 1)[1]
        cli("trustee", "keygen", "--group", "Ed25519", "--out", tmp_path / "t")
        (pub,) = (tmp_path / "t").glob("*.pubkey")
        for _ in range(2):
            r = client.put(f"/api/trustee/{token}/key", content=pub.read_bytes())
            assert r.status_code == 200, r.text
        actions = [e["action"] for e in client.get("/api/admin/log").json()["entries"]]
        assert actions.count("trustee key") == 1


def test_private_credentials_are_refused_with_a_warning(tmp_path: Path) -> None:
    data = tmp_path / "server"
    add_admin(data, None)
    with running(data) as server, server.client() as client:
        _login(client, ADMIN)
        uuid = _draft(client, "C")
        private = json.dumps({"v0@x.invalid": "Ab3xyZ9kLmN2pQ7"}).encode()
        r = client.put(f"/api/admin/elections/{uuid}/credentials", content=private)
        assert r.status_code == 400
        error = r.json()["error"]
        assert error["check"] == "private credentials" and "regenerate" in error["message"]
        actions = [e["action"] for e in client.get("/api/admin/log").json()["entries"]]
        assert "credentials" not in actions


def test_the_migration_matches_the_schema(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from hramada.server.tables import metadata

    engine = connect(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with engine.connect() as db:
        diffs = compare_metadata(MigrationContext.configure(db), metadata)
    assert [d for d in diffs if "grants" in str(d) or "superuser" in str(d)] == []
    engine.dispose()


def test_a_trustee_link_is_reissued_and_the_old_one_refused(tmp_path: Path) -> None:
    data = tmp_path / "server"
    add_admin(data, None)
    with running(data) as server, server.client() as client:
        election = set_up(client, tmp_path, voters=2, trustees=1)
        uuid, old = election.uuid, election.links[0]
        (trustee,) = client.get(f"/api/admin/elections/{uuid}").json()["trustees"]
        r = client.post(f"/api/admin/elections/{uuid}/trustees/{trustee['id']}/link")
        assert r.status_code == 200, r.text
        new = r.json()["link"].rsplit("/", 1)[1]
        assert client.get(f"/api/trustee/{old}").status_code == 404
        assert client.get(f"/api/trustee/{new}").json()["name"] == "T0"
        decisions = client.get(f"/api/elections/{uuid}").json()["decisions"]
        assert decisions[-1]["action"] == "trustee link"
        assert decisions[-1]["detail"] == {"name": "T0"}
        r = client.post(f"/api/admin/elections/{uuid}/trustees/99999/link")
        assert r.status_code == 404
