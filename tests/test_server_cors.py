"""The member page (served by the registry, another origin) may read an election's registration
info and post a registration: exactly those two anonymous, cookie-less endpoints answer CORS,
with no credentials; every other address, and every other method on those, stays same-origin."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from server_harness import cli
from starlette.testclient import TestClient

from hramada.crypto import blind_rsa as br
from hramada.crypto.groups import get_group
from hramada.election import registrations as reg
from hramada.protocol.canonical import decode
from hramada.server.accounts import create_admin
from hramada.server.app import create_app
from hramada.server.config import Settings
from hramada.server.database import connect

MEMBER_PAGE = "http://127.0.0.1:8200"  # the registry's origin, another port
LOGIN = {"username": "admin", "password": "a long enough password"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str, Path]]:
    work = tmp_path_factory.mktemp("cors")
    settings = Settings(data_dir=work / "data", workers=1, public_url="http://testserver")
    settings.prepare_data_dir()
    engine = connect(settings.db_url)
    create_admin(engine, LOGIN["username"], LOGIN["password"])
    engine.dispose()
    keys = work / "registry"
    cli("registry", "keygen", "--out", keys, "--bits", "2048")
    with TestClient(create_app(settings)) as client:
        r = client.post("/api/admin/login", json=LOGIN)
        assert r.status_code == 200
        question = {"question": "Q?", "answers": ["A", "B"], "min": 1, "max": 1}
        draft = {"name": "Members", "description": "", "group": "Ed25519", "questions": [question]}
        uuid = client.post("/api/admin/elections", json=draft).json()["uuid"]
        admin = f"/api/admin/elections/{uuid}"
        assert client.put(f"{admin}/registry", content=(keys / "registry_key.json").read_bytes())
        assert client.post(f"{admin}/registration/open").status_code == 200
        yield client, uuid, keys


def _registration(uuid: str, keys: Path) -> dict[str, str]:
    registry = decode((keys / "registry_key.json").read_bytes(), reg.RegistryKey, "key")
    sk = br.PrivateKey.from_pem((keys / "blind.key").read_bytes())
    group, pk = get_group("Ed25519"), reg.blind_key(registry)
    credential = group.encode(group.g_pow(group.random_scalar()))
    msg = br.prepare(reg.VARIANT, reg.registration_message(uuid, credential))
    blinded = br.blind(reg.VARIANT, pk, msg)
    sig = br.finalize(reg.VARIANT, pk, msg, br.blind_sign(sk, blinded.blinded_msg), blinded.inv)
    return {"credential": credential, "prefix": base64.b64encode(msg[:32]).decode(),
            "signature": base64.b64encode(sig).decode()}  # fmt: skip


def _cross() -> dict[str, str]:
    return {"origin": MEMBER_PAGE, "sec-fetch-site": "cross-site", "sec-fetch-mode": "cors"}


def test_the_member_page_reads_the_registration_info(served: tuple[TestClient, str, Path]) -> None:
    client, uuid, _ = served
    r = client.get(f"/api/elections/{uuid}/registration", headers=_cross())
    assert r.status_code == 200 and r.json()["registration"] == "open"
    assert r.json()["group"] == "Ed25519"  # the member's device makes a credential of this group
    assert r.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in r.headers
    missing = client.get("/api/elections/nope/registration", headers=_cross())
    assert missing.status_code == 404  # refusals are readable too, to say why
    assert missing.headers["access-control-allow-origin"] == "*"


def test_the_member_page_posts_a_registration(served: tuple[TestClient, str, Path]) -> None:
    client, uuid, keys = served
    path = f"/api/elections/{uuid}/registrations"
    preflight = client.options(
        path,
        headers={**_cross(), "access-control-request-method": "POST",
                 "access-control-request-headers": "content-type"},
    )  # fmt: skip
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert preflight.headers["access-control-allow-methods"] == "POST"
    assert preflight.headers["access-control-allow-headers"].lower() == "content-type"
    assert "access-control-allow-credentials" not in preflight.headers
    body = _registration(uuid, keys)
    client.cookies.clear()  # a browser's cross-site fetch sends no cookies (credentials omitted)
    r = client.post(path, json=body, headers=_cross())
    assert r.status_code == 201, r.text  # the server's Origin (CSRF) check does not stop it
    assert r.headers["access-control-allow-origin"] == "*"
    again = client.post(path, json=body, headers=_cross())
    assert again.status_code == 409 and again.json()["error"]["check"] == "duplicate"
    assert again.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/elections"),
        ("GET", "/api/elections/{uuid}"),
        ("POST", "/api/elections/{uuid}/ballots"),
        ("GET", "/api/elections/{uuid}/registrations"),
        ("POST", "/api/elections/{uuid}/registration"),
        ("POST", "/api/admin/login"),
        ("GET", "/api/admin/me"),
        ("POST", "/api/admin/elections/{uuid}/registration/close"),
        ("GET", "/elections/{uuid}"),
        ("GET", "/api/elections/{uuid}/registration/x"),
    ],
)
def test_no_other_address_answers_cors(
    served: tuple[TestClient, str, Path], method: str, path: str
) -> None:
    client, uuid, _ = served
    url = path.format(uuid=uuid)
    preflight = client.options(url, headers={**_cross(), "access-control-request-method": method})
    assert "access-control-allow-origin" not in preflight.headers
    assert preflight.status_code in (404, 405)
    r = client.request(method, url, headers=_cross(), content=b"{}")
    assert "access-control-allow-origin" not in r.headers
    if path.startswith("/api/admin") and method == "POST":
        assert r.status_code == 403  # the CSRF check still refuses another site's page
