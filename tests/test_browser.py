"""A whole election in a real browser (Debian's Chromium driven by Playwright): the admin
console, trustees on the command line, voters in the booth (a re-vote, an audit), the result
page; then both verifiers on the archive. Screenshots go to docs/screenshots/ when
HRAMADA_SCREENSHOTS=1 (to refresh README's pictures), else to a temporary folder, so a test
run leaves the checkout as it found it."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import belenios_verify, hramada, needs_belenios
from playwright.sync_api import Browser, Page, expect, sync_playwright
from server_harness import ADMIN, add_admin, cli, download, running

CHROMIUM = shutil.which("chromium")
SHOTS = (
    Path(__file__).resolve().parents[1] / "docs" / "screenshots"
    if os.environ.get("HRAMADA_SCREENSHOTS")
    else Path(tempfile.gettempdir()) / "hramada-screenshots"
)
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="chromium is not installed (apt-get install chromium)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield chromium
        chromium.close()


def new_page(browser: Browser, lang: str = "en") -> Page:
    context = browser.new_context(locale=lang, viewport={"width": 420, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("dialog", lambda d: d.accept())  # the admin console confirms each phase change
    page.problems = problems  # type: ignore[attr-defined]
    return page


def log_in(page: Page, base: str) -> None:
    """Open the admin console at BASE and log in as the test administrator."""
    page.goto(f"{base}/admin")
    page.fill("#login-username", ADMIN[0])
    page.fill("#login-password", ADMIN[1])
    page.press("#login-password", "Enter")
    expect(page.locator("#console")).to_be_visible()
    if hasattr(page, "problems"):
        page.problems.clear()  # the 401 of "am I logged in?"


def create_election(page: Page, question: str, answers: list[str]) -> str:
    """On the console's new-election form (name already filled), write the first question with
    its default answer fields, create the election and return its uuid."""
    editor = page.locator("#questions fieldset").first
    editor.locator('[data-field="text"]').fill(question)
    for input_, name in zip(editor.locator('[data-field="answer"]').all(), answers, strict=True):
        input_.fill(name)
    page.click("#new-form button[type=submit]")
    expect(page.locator("#election-uuid")).to_have_text(re.compile(r"^\w{14,}$"))
    return page.inner_text("#election-uuid").strip()


def vote(page: Page, base: str, uuid: str, credential: str, ticks: list[str]) -> str:
    """Go through the booth; return the tracking code it shows."""
    page.goto(f"{base}/elections/{uuid}/vote")
    page.fill("#credential", credential)
    page.press("#credential", "Enter")
    expect(page.locator("#step-choices")).to_be_visible()
    for box in ticks:
        page.check(f"#{box}")
    page.click("#choices-form button[type=submit]")
    expect(page.locator("#step-review")).to_be_visible()
    page.click("#cast")
    expect(page.locator("#step-done")).to_be_visible(timeout=120_000)
    return page.inner_text("#tracking-code").strip()


@needs_belenios
def test_an_election_in_the_browser(browser: Browser, tmp_path: Path) -> None:
    data = tmp_path / "server"
    add_admin(data, None)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with running(data) as server, server.client() as client:
        base = server.url
        admin = new_page(browser)
        log_in(admin, base)

        # The administrator creates the election: one question, three candidates, blank allowed.
        admin.goto(f"{base}/admin#/new")
        admin.fill("#new-name", "Council 2026")
        admin.select_option("#new-group", "BELENIOS-2048")  # belenios-tool 2.0 verifies it
        editor = admin.locator("#questions fieldset").first
        editor.locator('[data-field="text"]').fill("Elect the council")
        editor.locator('[data-do="add-answer"]').click()
        for input_, name in zip(
            editor.locator('[data-field="answer"]').all(), ["Alena", "Bazyli", "Darja"], strict=True
        ):
            input_.fill(name)
        editor.locator('[data-field="max"]').fill("2")
        editor.locator('[data-field="blank"]').check()
        admin.click("#new-form button[type=submit]")
        expect(admin.locator("#election-uuid")).to_have_text(re.compile(r"^\w{14,}$"))
        uuid = admin.inner_text("#election-uuid").strip()

        # The credential authority, offline; the admin uploads the public list.
        ca = tmp_path / "ca"
        ca.mkdir()
        (ca / "voters.txt").write_text("".join(f"v{i}@x.invalid\n" for i in range(4)))
        cli("credentials", "generate", "--uuid", uuid, "--voters", ca / "voters.txt",
            "--group", "BELENIOS-2048", "--out", ca)  # fmt: skip
        credentials = list(json.loads((ca / "private_credentials.json").read_text()).values())
        admin.set_input_files("#credentials-file", str(ca / "public_credentials.json"))
        admin.click("#credentials-form button[type=submit]")
        expect(admin.locator("#credentials-outcome")).to_contain_text("4")

        # Two trustees, each with the link the console shows once, keys made on the CLI.
        trustees = []
        for name in ["Vilnius", "Warsaw"]:
            admin.fill("#trustee-name", name)
            admin.press("#trustee-name", "Enter")
            expect(admin.locator("#trustee-link-for")).to_contain_text(name)
            link = admin.inner_text("#trustee-link code").strip()
            token = link.rsplit("/", 1)[1]
            home = tmp_path / name
            cli("trustee", "keygen", "--group", "BELENIOS-2048", "--out", home)
            cli("trustee", "submit", f"{base}/api/trustee/{token}/key", next(home.glob("*.pubkey")))
            trustees.append((home, token))
        admin.reload()
        expect(admin.locator("#phase-open")).to_be_enabled()
        admin.click("#phase-open")
        expect(admin.locator("#election-state")).to_contain_text("pen", timeout=30_000)

        # Voters. The first one audits a ballot before casting; the audit is never cast.
        voter = new_page(browser, "be")
        voter.goto(f"{base}/elections/{uuid}/vote")
        voter.fill("#credential", credentials[0])
        voter.press("#credential", "Enter")
        voter.check("#q0-a0")
        voter.check("#q0-a2")
        voter.screenshot(path=str(SHOTS / "booth-be.png"), full_page=True)
        voter.click("#choices-form button[type=submit]")
        voter.click("#audit")
        expect(voter.locator("#step-audit")).to_be_visible(timeout=120_000)
        expect(voter.locator("#audit-outcome")).to_have_class("outcome ok")
        audited = voter.inner_text("#audit-tracking").strip()
        voter.click("#audit-back")
        first = vote(voter, base, uuid, credentials[0], ["q0-a0", "q0-a2"])
        assert first != audited

        english = new_page(browser, "en")
        english.goto(f"{base}/elections/{uuid}/vote")
        english.fill("#credential", credentials[1])
        english.press("#credential", "Enter")
        english.check("#q0-a1")
        english.screenshot(path=str(SHOTS / "booth-en.png"), full_page=True)
        vote(english, base, uuid, credentials[1], ["q0-a1"])
        # The third voter votes, then changes their mind: only the last ballot counts.
        replaced = vote(english, base, uuid, credentials[2], ["q0-a0"])
        vote(english, base, uuid, credentials[2], ["q0-blank"])

        english.goto(f"{base}/elections/{uuid}/board")
        english.fill("#find-code", replaced)
        english.press("#find-code", "Enter")
        expect(english.locator("#find-result")).to_be_visible()
        board = client.get(f"/api/elections/{uuid}/ballots").json()["ballots"]
        codes = [b["tracking_code"] for b in board]
        assert audited not in codes and first in codes and len(codes) == 4
        assert [b["superseded"] for b in board] == [False, False, True, False]

        admin.click("#phase-close")
        expect(admin.locator("#election-state")).not_to_contain_text("pen", timeout=60_000)
        for home, token in trustees:
            archive = download(client, uuid, home)
            cli("trustee", "decrypt", archive, "--key", next(home.glob("*.privkey")),
                "--out", home / "pd.json")  # fmt: skip
            cli("trustee", "submit", f"{base}/api/trustee/{token}/decryption", home / "pd.json")
        admin.reload()
        expect(admin.locator("#phase-publish")).to_be_enabled()
        admin.click("#phase-publish")
        expect(admin.locator("#election-state")).to_contain_text(
            "ublished", ignore_case=True, timeout=60_000
        )

        english.goto(f"{base}/elections/{uuid}/result")
        rows = english.locator(".question-result tbody tr").all()
        counts = {
            r.locator("th").inner_text().strip(): int(r.locator("td").first.inner_text())
            for r in rows
        }
        assert counts == {"Blank vote": 1, "Alena": 1, "Bazyli": 1, "Darja": 1}, counts
        english.screenshot(path=str(SHOTS / "result-en.png"), full_page=True)
        for page in (admin, voter, english):
            assert page.problems == [], page.problems  # type: ignore[attr-defined]
        archive = download(client, uuid, tmp_path / "observer")
    assert hramada("verify", str(archive)).returncode == 0
    assert belenios_verify(archive).returncode == 0
