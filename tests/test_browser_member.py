"""The member's page in a real browser, every service a real process (3 custodians, the
registry, the election server, started as `hramada demo --registry` starts them): members make
or re-type their code, are enrolled with the key the page shows (the first on the registrar's
page, the others by the Python registrar client),
obtain a credential (blinded by @cloudflare/blindrsa-ts in the page, checked by our server),
register it after the random delay and vote in the booth; refusals are explained. The archive
with registrations.json and the issuance statement passes `hramada verify` and belenios-tool."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from contextlib import ExitStack
from pathlib import Path

import httpx
from conftest import belenios_verify, hramada, needs_belenios
from nacl.signing import SigningKey
from playwright.sync_api import Browser, Page, expect
from server_harness import HRAMADA, free_port
from test_browser import browser, new_page, pytestmark  # noqa: F401  (the fixture and skip)

from hramada.crypto.credentials import derive_secret
from hramada.crypto.groups import get_group
from hramada.election import registrations as reg
from hramada.election.setup import new_uuid
from hramada.observe.pvt import tokens
from hramada.protocol.canonical import decode
from hramada.registry import enrol, member_code
from hramada.registry import registry_store as store
from hramada.registry.demo import _run, _service, custodian_ceremony
from hramada.server.accounts import create_admin
from hramada.server.database import connect

GROUP = "BELENIOS-2048"  # belenios-tool 2.0 knows the finite-field groups only
CREDENTIAL = re.compile(r"^[1-9A-HJ-NP-Za-km-z]{3}(-[1-9A-HJ-NP-Za-km-z]{3}){4}$")
PASSWORD = "a long enough password"


def _ok(r: httpx.Response) -> httpx.Response:
    assert r.status_code in (200, 201), f"{r.request.url.path}: {r.status_code} {r.text}"
    return r


def _storage(page: Page) -> int:
    return int(page.evaluate("sessionStorage.length + localStorage.length"))


def _make_code(page: Page, registry: str, uuid: str, server: str) -> tuple[str, str]:
    """I am new: the code to write down and the member key to show the registrar."""
    page.goto(f"{registry}/member#election={uuid}&server={server}")
    page.click("#new-code")
    code = page.inner_text("#code-shown").strip()
    page.click("#code-written")
    expect(page.locator("#step-election")).to_be_visible()
    expect(page.locator("#code-shown")).to_have_text("")  # the page no longer shows it
    shown = page.inner_text("#member-key").strip()
    assert re.fullmatch(r"[0-9a-f]{4}(-[0-9a-f]{4}){15}", shown), shown
    return code, shown.replace("-", "")


def _type_code(page: Page, registry: str, uuid: str, server: str, code: str) -> str:
    """I have my code: the member types what they wrote (lower case, spaces)."""
    page.goto(f"{registry}/member#election={uuid}&server={server}")
    page.fill("#code-input", code.lower().replace("-", " "))
    page.press("#code-input", "Enter")
    expect(page.locator("#step-election")).to_be_visible()
    return page.inner_text("#member-key").strip().replace("-", "")


def _obtain(page: Page) -> str:
    """Get a credential: blind signature, the random delay, the registration; its credential."""
    expect(page.locator("#election-uuid")).not_to_have_value("")
    page.click("#get-credential")
    expect(page.locator("#step-wait")).to_be_visible(timeout=60_000)
    expect(page.locator("#step-done")).to_be_visible(timeout=60_000)
    credential = page.inner_text("#credential-shown").strip()
    assert CREDENTIAL.fullmatch(credential), credential
    return credential


def _refused(page: Page, message: str) -> None:
    page.click("#get-credential")
    expect(page.locator("#member-error")).to_contain_text(message, timeout=60_000)
    expect(page.locator("#step-election")).to_be_visible()


def _vote(page: Page, credential: str, answer: str) -> None:
    """From the member page's link: the booth has the credential, the address no longer."""
    page.click("#booth-link")
    expect(page.locator("#step-credential")).to_be_visible(timeout=60_000)
    assert "#" not in page.url and credential not in page.url
    assert page.evaluate("window.location.hash") == ""
    expect(page.locator("#credential")).to_have_value(credential)
    page.press("#credential", "Enter")
    expect(page.locator("#step-choices")).to_be_visible()
    page.check(f"#{answer}")
    page.click("#choices-form button[type=submit]")
    page.click("#cast")
    expect(page.locator("#step-done")).to_be_visible(timeout=120_000)
    page.go_back()  # the member page forgot the credential at the handover
    expect(page.locator("#step-key")).to_be_visible()
    assert page.inner_text("#credential-shown") == "" and _storage(page) == 0


def _public(uuid: str, credential: str) -> str:
    group = get_group(GROUP)
    return group.encode(group.g_pow(derive_secret(credential, uuid, group.q)))


@needs_belenios
def test_members_get_credentials_on_the_member_page_and_vote(
    browser: Browser,  # noqa: F811
    tmp_path: Path,
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    registry_port = free_port()  # the custodians let the registrar's page on it ask them
    allow = ["--allow-origin", f"http://127.0.0.1:{registry_port}"]
    with ExitStack() as services:
        custodians = custodian_ceremony(tmp_path / "custodians")
        urls = [
            services.enter_context(
                _service(
                    ["custodian", "serve", "--data", d, *allow],
                    logs / f"c{i}.log",
                    "/api/custodian",
                )
            )
            for i, (d, _) in enumerate(custodians, 1)
        ]
        commitments = httpx.get(f"{urls[0]}/api/custodian").json()["commitments"]
        pinned = [
            {"index": i, "url": u, "token": t}
            for i, (u, (_, t)) in enumerate(zip(urls, custodians, strict=True), 1)
        ]
        custodians_file = tmp_path / "custodians.json"
        custodians_file.write_text(json.dumps({"commitments": commitments, "custodians": pinned}))

        server_data = tmp_path / "server"
        server_data.mkdir()
        engine = connect(f"sqlite:///{(server_data / 'hramada.sqlite').resolve()}")
        create_admin(engine, "admin", PASSWORD)
        engine.dispose()
        server_url = services.enter_context(
            _service(["serve", "--data", server_data, "--workers", "1"], logs / "server.log",
                     "/api/elections")
        )  # fmt: skip
        server = services.enter_context(httpx.Client(base_url=server_url, timeout=120))
        _ok(server.post("/api/admin/login", json={"username": "admin", "password": PASSWORD}))
        question = {"question": "Charter?", "answers": ["Yes", "No"], "min": 1, "max": 1}
        draft = {"name": "Members' vote", "description": "", "group": GROUP,
                 "questions": [question]}  # fmt: skip
        uuid = _ok(server.post("/api/admin/elections", json=draft)).json()["uuid"]
        admin = f"/api/admin/elections/{uuid}"

        registry_data = tmp_path / "registry"
        keys = registry_data / "keygen"
        _run("registry", "keygen", "--out", keys, "--bits", "2048")
        _run("registry", "election", "--keys", keys, "--election", uuid, "--data", registry_data)
        registrar_key, board_key = SigningKey.generate(), SigningKey.generate()
        db = store.open_database(registry_data, None)
        for name, role, key in [
            ("registrar", "registrar", registrar_key),
            ("board", "admin", board_key),
        ]:
            store.add_registrar(db, name, role, PASSWORD, key.verify_key.encode().hex())
        db.dispose()
        dead = f"http://127.0.0.1:{free_port()}"  # listed, but nothing answers there
        registry_url = services.enter_context(
            _service(["registry", "serve", "--data", registry_data, "--election-server",
                      server_url, "--election-server", dead, "--registration-delay", "1:2",
                      *(x for u in urls for x in ("--custodian-origin", u))],
                     logs / "registry.log", "/api/registry", registry_port)
        )  # fmt: skip
        registry = services.enter_context(httpx.Client(base_url=registry_url, timeout=120))
        _ok(server.put(f"{admin}/registry", content=(keys / "registry_key.json").read_bytes()))
        _ok(server.post(f"{admin}/registration/open"))
        registrar_file = tmp_path / "registrar.key"
        registrar_file.write_text(registrar_key.encode().hex() + "\n")

        def enrol_member(document: str, member_key: str) -> None:
            """The registrar's client (`hramada registry enrol`), typing the document number."""
            done = subprocess.run(
                [*HRAMADA, "registry", "enrol", "--registry", registry_url, "--custodians",
                 str(custodians_file), "--name", "registrar", "--key", str(registrar_file),
                 "--member-key", member_key, "--document", document],
                capture_output=True, text=True, env={**os.environ,
                                                      "HRAMADA_REGISTRAR_PASSWORD": PASSWORD},
            )  # fmt: skip
            assert done.returncode == 0 and done.stdout.strip() == "enrolled", done.stderr

        # Alesia is new: the page makes her code; the registrar enrols the key it shows.
        alesia = new_page(browser)
        code_a, key_a = _make_code(alesia, registry_url, uuid, server_url)
        assert member_code.member_key(code_a).verify_key.encode().hex() == key_a  # Python twin
        assert _storage(alesia) == 0  # nothing on the device
        _refused(alesia, "No enrolled member has this member code")  # not enrolled yet: 401
        # A registrar enrols her on the registrar's page, typing her passport's number.
        desk = new_page(browser)
        desk.goto(f"{registry_url}/registrar")
        desk.fill("#login-name", "registrar")
        desk.fill("#login-password", PASSWORD)
        desk.click("#login-form button[type=submit]")
        expect(desk.locator("#login-outcome")).to_contain_text("registrar")
        desk.set_input_files("#key-file", str(registrar_file))
        desk.set_input_files("#custodians-file", str(custodians_file))
        desk.fill("#member-key", key_a)
        desk.fill("#document-number", "MP 1234567")
        desk.click("#enrol-button")
        expect(desk.locator("#enrol-outcome")).to_contain_text("Enrolled", timeout=30_000)
        desk.close()
        credential_a = _obtain(alesia)

        # Ihar made his code earlier (here in Python, as the demo would); on a fresh browser he
        # types it, mistyped first, and gets the same key.
        code_i = member_code.new_code()
        enrol_member("KH7654321", member_code.member_key(code_i).verify_key.encode().hex())
        ihar = new_page(browser, "be")
        ihar.goto(f"{registry_url}/member#election={uuid}&server={server_url}")
        raw = code_i.replace("-", "")
        ihar.fill("#code-input", raw[:-1] + ("0" if raw[-1] != "0" else "1"))
        ihar.press("#code-input", "Enter")
        expect(ihar.locator("#member-error")).to_contain_text("памылка")  # a mistyped code
        key_i = _type_code(ihar, registry_url, uuid, server_url, code_i)
        assert key_i == member_code.member_key(code_i).verify_key.encode().hex()
        credential_i = _obtain(ihar)

        # Asking twice for one election: the registry refuses (409), the page says why.
        again = new_page(browser)
        _type_code(again, registry_url, uuid, server_url, code_i)
        _refused(again, "You already received a voting code for this election")
        # An election server that does not answer, and one the registry does not work with.
        again.fill("#election-server", dead)
        _refused(again, "The election server could not be reached")
        again.fill("#election-server", "https://elsewhere.example")
        _refused(again, "This registry does not work with the election server")
        # Another election whose server holds other registry keys than this registry's.
        other = _ok(server.post("/api/admin/elections", json=draft)).json()["uuid"]
        for folder, election in ((tmp_path / "k2", None), (tmp_path / "k3", other)):
            _run("registry", "keygen", "--out", folder, "--bits", "2048")
            if election is None:
                key = (folder / "registry_key.json").read_bytes()
                _ok(server.put(f"/api/admin/elections/{other}/registry", content=key))
                _ok(server.post(f"/api/admin/elections/{other}/registration/open"))
            else:
                _run("registry", "election", "--keys", folder, "--election", election,
                     "--data", registry_data)  # fmt: skip
        again.fill("#election-server", server_url)
        again.fill("#election-uuid", other)
        _refused(again, "do not use the same registry key")
        # A one-time token for a parallel vote tabulation the registry issues for.
        tabulation, pvt_keys = new_uuid(), tmp_path / "k4"
        _run("registry", "keygen", "--out", pvt_keys, "--bits", "2048")
        _run("registry", "election", "--keys", pvt_keys, "--election", tabulation,
             "--data", registry_data)  # fmt: skip
        again.fill("#pvt-uuid", tabulation)
        again.click("#get-token")
        expect(again.locator("#step-token")).to_be_visible()
        token = again.inner_text("#token-shown").strip()
        pvt_key = decode((pvt_keys / "registry_key.json").read_bytes(), reg.RegistryKey, "key")
        assert len(tokens.check_token(token, tabulation, reg.blind_key(pvt_key))) == 32
        again.click("#token-done")
        expect(again.locator("#step-election")).to_be_visible()
        expect(again.locator("#token-shown")).to_have_text("")
        again.click("#get-token")  # one token per member
        expect(again.locator("#member-error")).to_contain_text(
            "You already received a one-time token for this count"
        )
        again.click("#forget")
        expect(again.locator("#step-key")).to_be_visible()
        assert _storage(again) == 0
        expect(again.locator("#member-key")).to_have_text("")

        # The admin closes registration: two credentials; a late member is told it is closed.
        closed = _ok(server.post(f"{admin}/registration/close")).json()
        assert closed["count"] == 2
        late = new_page(browser)
        _, key_l = _make_code(late, registry_url, uuid, server_url)
        enrol_member("HB0000007", key_l)
        _refused(late, "Registration for this election is closed")

        trustees = []
        for n in (1, 2):
            token = _ok(server.post(f"{admin}/trustees", json={"name": f"T{n}"})).json()["link"]
            home = tmp_path / f"trustee-{n}"
            _run("trustee", "keygen", "--group", GROUP, "--out", home)
            _run("trustee", "submit", f"{server_url}/api/trustee/{token.rsplit('/', 1)[1]}/key",
                 next(home.glob("*.pubkey")))  # fmt: skip
            trustees.append((home, token.rsplit("/", 1)[1]))
        _ok(server.post(f"{admin}/open"))
        # The two credentials made in the browsers, each with a signature our server checked.
        listed = server.get(f"/elections/{uuid}/registrations.json").json()["registrations"]
        assert sorted(r["credential"] for r in listed) == sorted(
            [_public(uuid, c) for c in (credential_a, credential_i)]
        )

        _vote(alesia, credential_a, "q0-a0")
        _vote(ihar, credential_i, "q0-a0")

        _ok(server.post(f"{admin}/close"))
        for home, token in trustees:
            copy = home / f"{uuid}.bel"
            copy.write_bytes(_ok(server.get(f"/elections/{uuid}/archive.bel")).content)
            _run("trustee", "decrypt", copy, "--key", next(home.glob("*.privkey")),
                 "--out", home / "pd.json")  # fmt: skip
            _run("trustee", "submit", f"{server_url}/api/trustee/{token}/decryption",
                 home / "pd.json")  # fmt: skip
        result = _ok(server.post(f"{admin}/publish")).json()["result"]
        assert result == [[2, 0]]

        folder = tmp_path / "published"
        folder.mkdir()
        archive = folder / f"{uuid}.bel"
        archive.write_bytes(_ok(server.get(f"/elections/{uuid}/archive.bel")).content)
        (folder / reg.REGISTRATIONS_FILE).write_bytes(
            _ok(server.get(f"/elections/{uuid}/{reg.REGISTRATIONS_FILE}")).content
        )
        statement = registry.post(
            f"/api/registry/elections/{uuid}/statement",
            headers={"authorization": f"Bearer {enrol.login(registry, 'board', PASSWORD)}"},
        )
        (folder / reg.ISSUANCE_FILE).write_bytes(_ok(statement).content)
        assert json.loads(statement.content)["statement"]["issued"] == 2
    for page in (alesia, ihar, again, late):  # refused requests are logged by the browser
        problems = page.problems  # type: ignore[attr-defined]
        assert [p for p in problems if not p.startswith("Failed to load resource")] == []
    done = hramada("verify", str(folder))
    assert done.returncode == 0 and "OK: every check passed." in done.stdout, done.stdout
    assert "registration" in done.stdout.lower()
    alone = tmp_path / "belenios"
    alone.mkdir()
    shutil.copy(archive, alone / archive.name)
    checked = belenios_verify(alone / archive.name)
    assert checked.returncode == 0, checked.stderr
