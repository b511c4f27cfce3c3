"""The server through its HTTP API, against SQLite and a real PostgreSQL: a whole election,
re-votes, and the archive accepted by both verifiers."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import belenios_verify, hramada, needs_belenios
from server_harness import (
    add_admin,
    decrypt_and_publish,
    download,
    running,
    set_up,
)

from hramada.election.ballot import create_ballot


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> str | None:
    if request.param == "sqlite":
        return None
    return str(request.getfixturevalue("postgres"))


@needs_belenios
def test_whole_election_over_the_api(tmp_path: Path, database: str | None) -> None:
    data = tmp_path / "server"
    add_admin(data, database)
    with running(data, database) as server, server.client() as client:
        # belenios-tool 2.0 knows the finite-field groups only.
        election = set_up(client, tmp_path, 6, group="BELENIOS-2048", trustees=2, weights=True)
        ctx = election.context(client, tmp_path / "voter")
        votes = [[[0, 1, 0, 0], [1, 0]], [[0, 0, 1, 1], [0, 1]], [[1, 0, 0, 0], [1, 0]]]
        codes = []
        for credential, vote in zip(election.credentials, votes, strict=False):
            ballot = create_ballot(ctx, credential, vote)
            r = client.post(f"/api/elections/{election.uuid}/ballots", content=ballot)
            assert r.status_code == 200, r.text
            codes.append(r.json()["tracking_code"])
        # The first voter changes their mind: only the last ballot counts.
        revote = create_ballot(ctx, election.credentials[0], [[0, 0, 0, 1], [0, 1]])
        r = client.post(f"/api/elections/{election.uuid}/ballots", content=revote)
        assert r.status_code == 200, r.text

        board = client.get(f"/api/elections/{election.uuid}/ballots").json()
        assert [b["tracking_code"] for b in board["ballots"]][:3] == codes
        assert [b["superseded"] for b in board["ballots"]] == [True, False, False, False]
        found = client.get(
            f"/api/elections/{election.uuid}/ballots/find", params={"code": codes[1]}
        )
        assert found.json() == {"found": True, "superseded": False, "page": 1}
        info = client.get(f"/api/elections/{election.uuid}").json()
        assert (info["ballots"], info["voters"], info["eligible"]) == (4, 3, 6)

        result = decrypt_and_publish(client, election, tmp_path)
        weights = [1 + i % 3 for i in range(3)]  # the voters' weights, as set_up gives them
        expected = [[0, 0, 0, 0], [0, 0]]
        for w, vote in zip(weights, [[[0, 0, 0, 1], [0, 1]], *votes[1:]], strict=True):
            for q, row in enumerate(vote):
                for a, x in enumerate(row):
                    expected[q][a] += w * x
        assert result == expected
        assert client.get(f"/api/elections/{election.uuid}").json()["state"] == "published"
        archive = download(client, election.uuid, tmp_path / "observer")
    assert hramada("verify", str(archive)).returncode == 0
    assert belenios_verify(archive).returncode == 0


def test_admin_actions_need_a_session_and_are_logged(tmp_path: Path) -> None:
    data = tmp_path / "server"
    add_admin(data, None)
    with running(data) as server, server.client() as client:
        r = client.post("/api/admin/elections", json={"name": "x"})
        assert r.status_code == 401
        r = client.post("/api/admin/login", json={"username": "commission", "password": "nope"})
        assert r.status_code == 401
        assert r.json()["error"]["check"] == "login"
        election = set_up(client, tmp_path, voters=2, trustees=1)
        r = client.post(
            f"/api/admin/elections/{election.uuid}/close", headers={"origin": "http://evil.test"}
        )
        assert r.status_code == 403
        r = client.put(
            f"/api/admin/elections/{election.uuid}/window",
            json={"closes_at": "2099-01-01T00:00:00Z"},
        )
        assert r.status_code == 400 and "reason" in r.json()["error"]["message"]
        r = client.put(
            f"/api/admin/elections/{election.uuid}/window",
            json={"closes_at": "2099-01-01T00:00:00Z", "reason": "Internet outage in Minsk"},
        )
        assert r.status_code == 200, r.text
        log = client.get("/api/admin/log").json()
        actions = [e["action"] for e in log["entries"]]
        assert actions[:3] == ["create", "credentials", "trustee"]
        assert actions[-2:] == ["open", "window"]
        assert log["broken"] == [] and log["head"] == log["entries"][-1]["hash"]
        public = client.get(f"/api/elections/{election.uuid}").json()["decisions"]
        assert public[-1]["detail"]["reason"] == "Internet outage in Minsk"
