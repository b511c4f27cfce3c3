"""The registrar's page in a real browser (Chromium through Playwright) against real processes:
three custodians of one key ceremony, an impostor custodian of another, and the registry. A
registrar logs in, loads its two files, enrols and re-enrols a member; the tag the page stored
equals the one the Python client computes; a custodian down or answering with a wrong key is
named and the others used; and no request the page sends carries the document number."""
# ruff: noqa: RUF001  (the registrar types Cyrillic look-alikes; the page speaks Ukrainian)

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import seizure
from conftest import hramada
from nacl.signing import SigningKey
from playwright.sync_api import Browser, Page, Request, expect
from server_harness import HRAMADA, free_port
from test_browser import SHOTS, browser, new_page, pytestmark  # noqa: F401  (the fixture and skip)
from test_custodian_service import Running, start

from hramada.registry import enrol
from hramada.registry import registry_store as store
from hramada.registry.custodian_client import load_custodians
from hramada.registry.demo import custodian_ceremony

NAME, PASSWORD = "registrar-anna", "a long registrar password"
DOCUMENT = "MP1234567"  # as the Python client is given it
TYPED = "мр 123-45.67"  # as the registrar types it: Cyrillic em and er, separators, lower case
TYPED_AGAIN = "MP/1234 567"


@dataclass
class Services:
    root: Path
    registry: str
    custodians: list[Running]  # indices 1, 2, 3 of the real ceremony
    spare: Running  # custodian 1's share on a second port, to be stopped
    impostor: Running  # custodian 2 of another ceremony: a wrong key
    key_file: Path
    record_key: SigningKey

    def custodians_file(self, name: str, entries: list[Running]) -> Path:
        info = httpx.get(f"{self.custodians[0].url}/api/custodian").json()
        doc = {
            "commitments": info["commitments"],
            "custodians": [{"index": c.index, "url": c.url, "token": c.token} for c in entries],
        }
        path = self.root / name
        path.write_text(json.dumps(doc))
        return path

    def members(self) -> list[tuple[str, str]]:
        with sqlite3.connect(self.root / "registry" / "registry.sqlite") as db:
            return list(db.execute("select tag, member_key from members"))


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "the registry exited at start"
        try:
            httpx.get(url, timeout=1).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise TimeoutError(url)


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    root = tmp_path_factory.mktemp("registrar-page")
    port = free_port()
    registry = f"http://127.0.0.1:{port}"
    allow = ("--allow-origin", registry)
    real = custodian_ceremony(root / "custodians")
    other = custodian_ceremony(root / "impostors")
    running = [
        start(i, d, token, root / f"c{i}.log", *allow) for i, (d, token) in enumerate(real, 1)
    ]
    spare = start(1, real[0][0], real[0][1], root / "spare.log", *allow)
    impostor = start(2, other[1][0], other[1][1], root / "impostor.log", *allow)
    everyone = [*running, spare, impostor]
    data = root / "registry"
    record_key = SigningKey.generate()
    engine = store.open_database(data, None)
    store.add_registrar(engine, NAME, "registrar", PASSWORD, record_key.verify_key.encode().hex())
    store.add_registrar(
        engine, "board", "admin", PASSWORD, SigningKey.generate().verify_key.encode().hex()
    )
    engine.dispose()
    origins = [x for c in everyone for x in ("--custodian-origin", c.url)]
    log = (root / "registry.log").open("ab")
    process = subprocess.Popen(
        [*HRAMADA, "registry", "serve", "--data", str(data), "--port", str(port), *origins],
        stdout=log,
        stderr=log,
    )
    key_file = root / "registrar.key"
    key_file.write_text(record_key.encode().hex() + "\n")
    try:
        _wait(f"{registry}/api/registry", process)
        yield Services(root, registry, running, spare, impostor, key_file, record_key)
    finally:
        process.terminate()
        process.wait(10)
        for c in everyone:
            if c.process.poll() is None:
                c.process.terminate()
                c.process.wait(10)


def _python_tag(custodians: Path, document: str) -> str:
    """The tag the command line's client computes (in a thread of its own: Playwright's loop
    runs in this one)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(enrol.tag_for, load_custodians(custodians), document).result()


def _grouped(key: SigningKey) -> str:
    """The member key as a member's page might show it: groups of four, on two lines."""
    text = key.verify_key.encode().hex()
    groups = [text[i : i + 4] for i in range(0, 64, 4)]
    return " ".join(groups[:8]) + "\n" + " ".join(groups[8:])


def _open(chromium: Browser, s: Services, custodians: Path, lang: str = "en") -> Page:
    page = new_page(chromium, lang)
    sent: list[Request] = []
    page.on("request", lambda r: sent.append(r))
    page.sent = sent  # type: ignore[attr-defined]
    page.goto(f"{s.registry}/registrar")
    page.fill("#login-name", NAME)
    page.fill("#login-password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-outcome")).to_contain_text(NAME)
    page.set_input_files("#key-file", str(s.key_file))
    expect(page.locator("#key-outcome")).to_contain_text(s.record_key.verify_key.encode().hex())
    page.set_input_files("#custodians-file", str(custodians))
    expect(page.locator("#enrol-button")).to_be_enabled()
    return page


def _enrol(page: Page, member: SigningKey, typed: str, kind: int = 0) -> None:
    page.fill("#member-key", _grouped(member))
    page.select_option("#document-type", index=kind)
    page.fill("#document-number", typed)
    page.click("#enrol-button")  # disabled while the page works, in any language
    expect(page.locator("#enrol-button")).to_be_enabled(timeout=30_000)


def _forms(document: str) -> set[str]:
    """The document number in every form a request could carry it: as typed, normalized (with
    and without the OPRF prefix), their hex and their hashes."""
    normalized = enrol.normalize(document)
    bare = normalized.removeprefix(enrol.DOCUMENT_PREFIX)
    found = seizure.forms(document, document=True)
    for raw in (document.encode(), normalized, bare):
        found |= {raw.hex(), raw.hex().upper()}
    found |= {bare.decode(), bare.decode().lower()}
    return found


def _assert_never_sent(sent: list[Request], typings: list[str]) -> None:
    forms = set().union(*(_forms(t) for t in typings)) | {json.dumps(t)[1:-1] for t in typings}
    for r in sent:
        carried = " ".join([r.url, r.post_data or "", *r.headers.values()])
        for form in forms:
            assert form not in carried, (r.url, form)


def test_a_registrar_enrols_and_re_enrols_a_member(browser: Browser, services: Services) -> None:  # noqa: F811
    s = services
    file = s.custodians_file("custodians.json", s.custodians)
    page = _open(browser, s, file)
    expect(page.locator("#custodians-outcome")).to_have_text(
        "3 custodians, 2 needed for each enrolment."
    )
    member = SigningKey.generate()
    _enrol(page, member, TYPED, kind=2)
    expect(page.locator("#enrol-outcome")).to_contain_text("Enrolled")
    expect(page.locator("#document-number")).to_have_value("")
    expect(page.locator("#custodian-problems li")).to_have_count(0)

    # Two independent implementations agree: the browser's (voprf-ts) and the Python client's.
    want = _python_tag(file, DOCUMENT)
    assert s.members() == [(want, member.verify_key.encode().hex())]

    # A lost phone: the same document, typed differently, with a new key replaces the old one.
    new = SigningKey.generate()
    _enrol(page, new, TYPED_AGAIN)
    expect(page.locator("#enrol-outcome")).to_contain_text("The old key no longer works.")
    assert s.members() == [(want, new.verify_key.encode().hex())]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "registrar-en.png"), full_page=True)

    # The same key once more: refused with the registry's own words.
    _enrol(page, new, TYPED_AGAIN)
    outcome = page.locator("#enrol-outcome")
    expect(outcome).to_contain_text("already enrolled with this very key")
    expect(outcome).to_contain_text("the registry says: this member is enrolled with this key")
    expect(page.locator("#document-number")).to_have_value(TYPED_AGAIN)  # kept to correct it

    # A key that is not an Ed25519 point never reaches the custodians.
    before = len(page.sent)  # type: ignore[attr-defined]
    page.fill("#member-key", "02" + "00" * 31)  # y = 2 is on no Ed25519 point
    page.click("#enrol-button")
    expect(outcome).to_contain_text("64 hex digits that form an Ed25519 public key")
    assert len(page.sent) == before  # type: ignore[attr-defined]

    sent: list[Request] = page.sent  # type: ignore[attr-defined]
    evaluations = [r for r in sent if r.url.endswith("/api/custodian/evaluate")]
    enrolments = [r for r in sent if r.url.endswith("/api/registry/members")]
    assert len(enrolments) == 3 and len(evaluations) >= 6  # the capture saw the calls
    # Each custodian gets its own token only, and a fresh random point each time (the same
    # document three times: no custodian can tell); the registry gets no custodian's token.
    tokens = {c.url: c.token for c in s.custodians}
    for r in evaluations:
        url = r.url.removesuffix("/api/custodian/evaluate")
        assert r.headers["authorization"] == f"Bearer {tokens[url]}"
    points = [json.loads(r.post_data or "")["blinded"] for r in evaluations]
    assert all(len(p) == 1 for p in points) and len({p[0] for p in points}) == 3
    for r in enrolments:
        assert set(json.loads(r.post_data or "")) == {"tag", "member_key", "challenge", "record"}
        assert not any(t in " ".join(r.headers.values()) for t in tokens.values())
    _assert_never_sent(sent, [TYPED, TYPED_AGAIN, DOCUMENT])
    assert "Passport of New Belarus" not in " ".join(r.post_data or "" for r in sent)
    assert page.problems == [] or all("409" in p for p in page.problems)  # type: ignore[attr-defined]


@pytest.mark.parametrize("fault", ["stopped", "wrong key"])
def test_a_failing_custodian_is_named_and_the_others_used(
    browser: Browser,  # noqa: F811
    services: Services,
    fault: str,
) -> None:
    s = services
    honest = s.custodians
    if fault == "stopped":
        entries, bad, named = [s.spare, honest[1], honest[2]], s.spare, "did not answer"
        s.spare.process.terminate()
        s.spare.process.wait(10)
    else:
        entries, bad, named = [s.impostor, honest[0], honest[2]], s.impostor, "answered wrongly"
    file = s.custodians_file(f"custodians-{fault}.json", entries)
    page = _open(browser, s, file, lang="en")
    document = "KH 7654321" if fault == "stopped" else "AB0000001"
    member = SigningKey.generate()
    _enrol(page, member, document)
    expect(page.locator("#enrol-outcome")).to_contain_text("Enrolled")
    problem = page.locator("#custodian-problems li")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text(f"Custodian {bad.index} ({bad.url}) {named}")
    used = "2, 3" if fault == "stopped" else "1, 3"
    expect(page.locator("#enrol-outcome")).to_contain_text(f"Custodians used: {used}.")
    want = _python_tag(s.custodians_file("honest.json", honest), document)
    assert (want, member.verify_key.encode().hex()) in s.members()
    _assert_never_sent(page.sent, [document])  # type: ignore[attr-defined]


def test_too_few_custodians_enrol_nobody(browser: Browser, services: Services) -> None:  # noqa: F811
    s = services
    file = s.custodians_file("custodians-short.json", [s.impostor, s.custodians[2]])
    page = _open(browser, s, file, lang="pl")
    before = len(s.members())
    _enrol(page, SigningKey.generate(), "EX 0000042")
    expect(page.locator("#enrol-outcome")).to_contain_text("Nie wpisano")
    expect(page.locator("#custodian-problems li")).to_have_count(1)
    expect(page.locator("#document-number")).to_have_value("EX 0000042")
    assert len(s.members()) == before
    sent: list[Request] = page.sent  # type: ignore[attr-defined]
    assert not [r for r in sent if r.url.endswith("/api/registry/members")]
    _assert_never_sent(sent, ["EX 0000042"])


def test_the_page_in_six_languages_and_its_headers(browser: Browser, services: Services) -> None:  # noqa: F811
    s = services
    titles = {
        "en": "Enrol members", "be": "Запіс сяброў", "ru": "Запись участников",
        "uk": "Запис учасників", "pl": "Wpisywanie członków", "lt": "Narių įrašymas",
    }  # fmt: skip
    for lang, title in titles.items():
        r = httpx.get(f"{s.registry}/registrar", headers={"accept-language": lang})
        assert r.status_code == 200 and f"<h1>{title}</h1>" in r.text, lang
    r = httpx.get(f"{s.registry}/registrar?lang=lt")
    assert r.cookies["lang"] == "lt"
    assert 'class="brand" href="/registrar"' in r.text and 'href="/"' not in r.text
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    connect = csp.split("connect-src ")[1].split(";")[0].split()
    assert connect[0] == "'self'" and set(connect[1:]) == {c.url for c in s.custodians} | {
        s.spare.url,
        s.impostor.url,
    }
    assert r.headers["x-frame-options"] == "DENY" and r.headers["referrer-policy"] == "no-referrer"
    assert httpx.get(f"{s.registry}/static/js/registrar.js").status_code == 200
    bad = hramada("registry", "serve", "--data", str(s.root / "unused"),
                  "--custodian-origin", "https://custodian.example/api")  # fmt: skip
    assert bad.returncode == 1 and "not an origin" in bad.stderr

    # A custodian this registry's page may not reach is named before anything is asked.
    outsider = f"http://127.0.0.1:{free_port()}"
    doc = json.loads(s.custodians_file("x.json", s.custodians).read_text())
    for entry in doc["custodians"][:2]:
        entry["url"] = outsider
    (s.root / "outsiders.json").write_text(json.dumps(doc))
    page = new_page(browser, "uk")
    page.goto(f"{s.registry}/registrar")
    page.set_input_files("#custodians-file", str(s.root / "outsiders.json"))
    expect(page.locator("#custodians-outcome")).to_contain_text("менш ніж до 2")
    expect(page.locator("#custodians-list li").first).to_contain_text("не дозволено")
    expect(page.locator("#enrol-button")).to_be_disabled()
    doc["custodians"] = doc["custodians"][:1]
    (s.root / "one.json").write_text(json.dumps(doc))
    (s.root / "broken.json").write_text("{")
    for name, said in [("one.json", "не менше 2"), ("broken.json", "це не JSON")]:
        page.set_input_files("#custodians-file", str(s.root / name))
        expect(page.locator("#custodians-outcome")).to_contain_text(said)
    assert page.problems == []  # type: ignore[attr-defined]

    # Only a registrar's account enrols; a wrong password is said so in the page's language.
    for name, password, said in [
        ("board", PASSWORD, "board — не обліковий запис реєстратора"),
        (NAME, "not the password", "Невідомий реєстратор або неправильний пароль."),
    ]:
        page.fill("#login-name", name)
        page.fill("#login-password", password)
        page.click("#login-form button[type=submit]")
        expect(page.locator("#login-outcome")).to_contain_text(said)
    expect(page.locator("#enrol-missing")).to_contain_text("увійдіть")
