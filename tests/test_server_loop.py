"""The election server reads its database off the event loop: one slow query there would
stall every voter's request. The election is the demo's, through the real app; a large upload
goes to a real `hramada serve`."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from loop_guard import statements_on_the_loop
from server_harness import QUESTIONS, add_admin, login, running
from starlette.testclient import TestClient

from hramada.crypto.groups import get_group
from hramada.protocol.canonical import encode
from hramada.server.app import create_app
from hramada.server.config import Settings
from hramada.server.demo import prepare_demo


def test_no_page_or_read_reads_the_database_on_the_event_loop(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", workers=1)
    demo = prepare_demo(settings)
    uuid, token = demo["uuid"], demo["trustees"][0]["link"].rsplit("/", 1)[1]
    public = [
        "/",
        "/admin",
        f"/elections/{uuid}",
        f"/elections/{uuid}/vote",
        f"/elections/{uuid}/board",
        f"/elections/{uuid}/result",
        f"/elections/{uuid}/election.json",
        f"/trustee/{token}",
        "/api/elections",
        f"/api/elections/{uuid}",
        f"/api/elections/{uuid}/ballots",
        f"/api/elections/{uuid}/ballots/find?code=x",
        f"/api/trustee/{token}",
    ]
    admin = [
        "/api/admin/me",
        "/api/admin/log",
        "/api/admin/elections",
        f"/api/admin/elections/{uuid}",
    ]
    with TestClient(create_app(settings)) as client:
        engine = client.app.state.engine  # type: ignore[attr-defined]
        with statements_on_the_loop(engine) as on_loop:
            for path in public:
                assert client.get(path).status_code == 200, path
            none = client.get(f"/api/elections/{uuid}/registration")
            assert none.status_code == 404  # no registration for the demo's election
            for step in ("key", "decryption"):  # the link is read, then the body refused
                refused = client.put(f"/api/trustee/{token}/{step}", content=b"{}")
                assert refused.status_code in (400, 409), step
            for path in admin:
                assert client.get(path).status_code == 401, path
            login = {"username": "admin", "password": demo["admin_password"]}
            assert client.post("/api/admin/login", json=login).status_code == 200
            for path in admin:
                assert client.get(path).status_code == 200, path
            assert client.post("/api/admin/logout").status_code == 200
    assert on_loop == []


def test_a_large_credential_list_is_checked_while_other_requests_are_answered(
    tmp_path: Path,
) -> None:
    """Checking each key of a large list (minutes for a national roll) leaves the event loop
    free: a request sent during the check is answered before the upload is."""
    group = get_group("BELENIOS-2048")
    keys, x = [], group.g
    for _ in range(4000):  # distinct members of the subgroup, one multiplication each
        keys.append(group.encode(x))
        x = group.mul(x, group.g)
    body = encode(keys)
    data = tmp_path / "data"
    add_admin(data, None)
    with running(data) as server, server.client() as admin, server.client() as visitor:
        login(admin)
        draft = {
            "name": "Roll",
            "description": "",
            "group": "BELENIOS-2048",
            "questions": QUESTIONS,
        }
        uuid = admin.post("/api/admin/elections", json=draft).json()["uuid"]
        uploaded: list[float] = []

        def upload() -> None:
            r = admin.put(f"/api/admin/elections/{uuid}/credentials", content=body)
            assert r.status_code == 200, r.text
            assert r.json()["count"] == len(keys)
            uploaded.append(time.monotonic())

        sender = threading.Thread(target=upload)
        sender.start()
        time.sleep(0.3)  # the body (2.5 MB on loopback) is in; its keys are being checked
        assert visitor.get("/api/elections").status_code == 200
        answered = time.monotonic()
        sender.join()
        assert uploaded and answered < uploaded[0]
