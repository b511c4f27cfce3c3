"""A council election in a real browser: the console creates a list question bound to a seat
rules file, voters see each list's candidates in the booth, and the result page's seats and
elected candidates agree with `hramada seats --rules` on the archive and rules it offers."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from conftest import hramada
from playwright.sync_api import Browser, expect
from server_harness import add_admin, decrypt_and_publish, login, prepare, running
from test_browser import SHOTS, browser, log_in, new_page, pytestmark, vote
from test_seats_archive import LISTS, RULES

__all__ = ["browser", "pytestmark"]  # the Chromium fixture and its skip rule, shared


def test_a_council_election_in_the_browser(browser: Browser, tmp_path: Path) -> None:
    data = tmp_path / "server"
    add_admin(data, None)
    rules = tmp_path / "council-rules.json"
    rules.write_text(json.dumps(RULES, indent=2) + "\n")
    with running(data) as server, server.client() as client:
        base = server.url
        admin = new_page(browser)
        log_in(admin, base)
        admin.goto(f"{base}/admin#/new")
        admin.fill("#new-name", "Council 2026")
        admin.set_input_files("#new-seat-rules", str(rules))
        editor = admin.locator("#questions fieldset").first
        editor.locator('[data-field="text"]').fill("Vote for one list")
        editor.locator('[data-field="lists"]').check()
        editor.locator('[data-do="add-answer"]').click()
        editor.locator('[data-field="blank"]').check()
        for item, (name, people) in zip(
            editor.locator("li.answer").all(), LISTS.items(), strict=True
        ):
            item.locator('[data-field="answer"]').fill(name)
            item.locator('[data-field="candidates"]').fill(
                "".join(f"{n}; {g}\n" for n, g in people)
            )
        assert editor.locator('[data-field="max"]').input_value() == "1"
        # Rules asking for more seats than the 10 candidates are refused, the rule named.
        too_many = tmp_path / "too-many.json"
        too_many.write_text(json.dumps(RULES | {"seats": 11}))
        admin.set_input_files("#new-seat-rules", str(too_many))
        admin.click("#new-form button[type=submit]")
        expect(admin.locator("#new-error")).to_contain_text("The seat rules were refused")
        expect(admin.locator("#new-error")).to_contain_text("seats: 11 seats but only 10")
        admin.problems.clear()  # type: ignore[attr-defined]  # the browser logs the refused 400
        admin.set_input_files("#new-seat-rules", str(rules))
        admin.click("#new-form button[type=submit]")
        expect(admin.locator("#election-uuid")).to_have_text(re.compile(r"^\w{14,}$"))
        uuid = admin.inner_text("#election-uuid").strip()
        expect(admin.locator("#election-seat-rules")).to_have_text(
            f"sha256:{hashlib.sha256(rules.read_bytes()).hexdigest()}"
        )

        login(client)
        election = prepare(client, uuid, tmp_path, 3, trustees=1)
        voter = new_page(browser, "pl")
        voter.goto(f"{base}/elections/{uuid}/vote")
        first = voter.locator("#q0-a0-candidates li")
        expect(first).to_have_text(["Ala (kobieta)", "Boris (mężczyzna)", "Cara (kobieta)",
                                    "Dzianis (mężczyzna)"])  # fmt: skip
        expect(voter.locator(".list-validity").first).to_contain_text("lista spełnia zasady")
        # A page that shows other candidates than the fingerprinted election is refused.
        forged = new_page(browser, "en")
        forged.route(
            f"{base}/elections/{uuid}/vote",
            lambda route: route.fulfill(
                response=(r := route.fetch()), body=r.text().replace(">Boris<", ">Borys<")
            ),
        )
        forged.goto(f"{base}/elections/{uuid}/vote")
        expect(forged.locator("#booth-status")).to_contain_text("differ from those on this page")
        expect(forged.locator("#step-credential")).to_be_hidden()
        voter.fill("#credential", election.credentials[0])
        voter.press("#credential", "Enter")
        expect(voter.locator("#step-choices")).to_be_visible()
        voter.screenshot(path=str(SHOTS / "booth-council-pl.png"), full_page=True)
        for credential, tick in zip(election.credentials, ["q0-a0", "q0-a0", "q0-a1"], strict=True):
            vote(voter, base, uuid, credential, [tick])
        decrypt_and_publish(client, election, tmp_path)

        page = new_page(browser, "en")
        page.goto(f"{base}/elections/{uuid}/result")
        table = {
            row.get_attribute("data-list"): int(row.locator(".seats-won").inner_text())
            for row in page.locator("#seats-table tbody tr").all()
        }
        # D'Hondt over 2 and 1 votes for 5 seats; Gamma has no vote, so it is under the threshold.
        assert table == {"Alpha": 4, "Beta": 1, "Gamma": 0}
        assert page.locator("svg.hemicycle circle.seat").count() == 5
        expect(page.locator('#elected [data-list="Alpha"] li')).to_have_text(
            ["Ala", "Boris", "Cara", "Dzianis"]
        )
        expect(page.locator('#elected [data-list="Beta"] li')).to_have_text(["Eva"])
        expect(page.locator("#seat-steps li").nth(4)).to_contain_text("tie broken by most votes")
        page.locator("#seats").screenshot(path=str(SHOTS / "result-seats-en.png"))
        command = page.inner_text("#cmd-seats").strip()
        observer = tmp_path / "observer"
        observer.mkdir()
        for link in ("#seats-archive", "#seats-rules"):
            with page.expect_download() as download:
                page.click(link)
            download.value.save_as(observer / download.value.suggested_filename)

        # Eva declines her seat: the commission records it in the console, Filip moves up.
        admin.reload()
        expect(admin.locator("#withdrawal-panel")).to_be_visible()
        admin.fill("#withdrawal-list", "Beta")
        admin.fill("#withdrawal-candidate", "Eva")
        admin.fill("#withdrawal-reason", "declined the seat")
        admin.click("#withdrawal-form button[type=submit]")
        expect(admin.locator("#withdrawal-outcome")).to_contain_text("Eva (Beta) has withdrawn")
        page.reload()
        expect(page.locator('#elected [data-list="Beta"] li')).to_have_text(["Filip"])
        after = page.inner_text("#cmd-seats").strip()
        assert after == f"{command} --withdrawn Beta:Eva"
        for p in (admin, voter, page):
            assert p.problems == [], p.problems  # type: ignore[attr-defined]
    assert (observer / f"{uuid}.rules.json").read_bytes() == rules.read_bytes()
    out = hramada(*command.split()[1:], "--json", cwd=observer, check=True)
    recomputed = json.loads(out.stdout)
    assert {r["name"]: r["seats"] for r in recomputed["lists"]} == table
    assert recomputed["elected"] == {"Alpha": ["Ala", "Boris", "Cara", "Dzianis"],
                                     "Beta": ["Eva"], "Gamma": []}  # fmt: skip
    out = hramada(*after.split()[1:], "--json", cwd=observer, check=True)
    assert json.loads(out.stdout)["elected"]["Beta"] == ["Filip"]
