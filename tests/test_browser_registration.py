"""The admin console's registration panel in a real browser: the registry key, opening,
members registering (their devices played through the API), closing into the voter list."""

from __future__ import annotations

import base64
import re
from pathlib import Path

from playwright.sync_api import Browser, expect
from server_harness import add_admin, cli, login, running
from test_browser import browser, log_in, new_page, pytestmark  # noqa: F401  (the fixture and skip)

from hramada.crypto import blind_rsa as br
from hramada.crypto.groups import get_group
from hramada.election import registrations as reg
from hramada.protocol.canonical import decode


def test_the_admin_runs_a_registration_phase(browser: Browser, tmp_path: Path) -> None:  # noqa: F811
    keys = tmp_path / "registry"
    binding = cli("registry", "keygen", "--out", keys, "--bits", "2048").stdout.strip()
    registry = decode((keys / "registry_key.json").read_bytes(), reg.RegistryKey, "key")
    sk = br.PrivateKey.from_pem((keys / "blind.key").read_bytes())
    data = tmp_path / "server"
    add_admin(data, None)
    with running(data) as server, server.client() as client:
        login(client)
        r = client.post(
            "/api/admin/elections",
            json={"name": "Members", "description": "", "group": "Ed25519",
                  "questions": [{"question": "Q?", "answers": ["A", "B"], "min": 1, "max": 1}]},
        )  # fmt: skip
        uuid = r.json()["uuid"]
        page = new_page(browser)
        log_in(page, server.url)
        page.goto(f"{server.url}/admin#/election/{uuid}")
        expect(page.locator("#registration-state")).to_have_text("not started")
        expect(page.locator("#registration-open")).to_be_disabled()
        page.set_input_files("#registry-file", str(keys / "registry_key.json"))
        page.click("#registry-form button[type=submit]")
        expect(page.locator("#registration-binding")).to_have_text(binding)
        expect(page.locator("#registry-form")).to_be_visible()
        page.click("#registration-open")
        expect(page.locator("#registration-state")).to_have_text(re.compile("^open"))
        expect(page.locator("#registry-form")).to_be_hidden()
        expect(page.locator("#registration-close")).to_be_enabled()

        group = get_group("Ed25519")
        pk = reg.blind_key(registry)
        for _ in range(3):  # members' devices
            credential = group.encode(group.g_pow(group.random_scalar()))
            msg = br.prepare(reg.VARIANT, reg.registration_message(uuid, credential))
            blinded = br.blind(reg.VARIANT, pk, msg)
            sig = br.finalize(
                reg.VARIANT, pk, msg, br.blind_sign(sk, blinded.blinded_msg), blinded.inv
            )
            body = {
                "credential": credential,
                "prefix": base64.b64encode(msg[:32]).decode(),
                "signature": base64.b64encode(sig).decode(),
            }
            assert client.post(f"/api/elections/{uuid}/registrations", json=body).status_code == 201

        page.click("#registration-close")  # confirmed by the page's dialog handler
        expect(page.locator("#registration-outcome")).to_contain_text("3 credentials")
        expect(page.locator("#registration-state")).to_have_text("closed")
        expect(page.locator("#election-eligible")).to_have_text("3")
        expect(page.locator("#registration-close")).to_be_disabled()
        assert page.problems == []  # type: ignore[attr-defined]
