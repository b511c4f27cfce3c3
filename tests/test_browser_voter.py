"""A voter who reads Belarusian, in a real browser (Debian's Chromium driven by Playwright): the
administrator enters the election in three languages in the console; the voter's unlisted and
mistyped credentials are caught at step 1, one-answer questions are radio buttons, the ballot is
cast; no English word appears on any page the voter sees, the result included."""
# ruff: noqa: RUF001  (Belarusian and Russian text is meant to be Cyrillic)

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import belenios_verify, hramada, needs_belenios
from playwright.sync_api import Browser, Page, expect
from server_harness import add_admin, cli, download, login, running
from test_browser import browser, log_in, new_page, pytestmark  # noqa: F401  (the fixture and skip)

from hramada.booth.i18n import NATIVE_NAMES, messages
from hramada.crypto.credentials import generate_credential

GROUP = "BELENIOS-2048"  # belenios-tool 2.0 verifies it
BASE = {
    "name": "Council 2026",
    "description": "Where and whom",
    "questions": [
        ("Where shall we meet?", ["Vilnius", "Warsaw"]),
        ("Elect two", ["Alena", "Bazyli", "Darja"]),
    ],
}
TEXTS = {
    "be": {
        "name": "Рада 2026",
        "description": "Дзе і каго",
        "questions": [
            ("Дзе збярэмся?", ["Вільня", "Варшава"]),
            ("Абярыце дваіх", ["Алена", "Базыль", "Дар'я"]),
        ],
    },
    "ru": {
        "name": "Совет 2026",
        "description": "Где и кого",
        "questions": [
            ("Где соберёмся?", ["Вильнюс", "Варшава"]),
            ("Выберите двоих", ["Алёна", "Базиль", "Дарья"]),
        ],
    },
}

# Words of the English catalog that no Belarusian page should show: those the Belarusian
# catalog also uses (commands, "UTC", group names) and the language switcher's names aside.
ALLOWED = {w.lower() for text in messages("be").values() for w in re.findall(r"[A-Za-z]+", text)}
ALLOWED |= {w.lower() for name in NATIVE_NAMES.values() for w in re.findall(r"[A-Za-z]+", name)}
ENGLISH = {
    w.lower() for text in messages("en").values() for w in re.findall(r"[A-Za-z]{3,}", text)
} - ALLOWED
ENGLISH |= {w.lower() for _, answers in BASE["questions"] for w in answers} | {"council", "where"}

# The page's visible words, outside code, commands, times and the language switcher.
VISIBLE_TEXT = """() => {
  const out = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!el || el.closest('code, pre, script, time, nav.languages')) continue;
    if (el.checkVisibility({ visibilityProperty: true })) out.push(walker.currentNode.textContent);
  }
  for (const el of document.querySelectorAll('input, textarea, button, [aria-label]')) {
    if (el.checkVisibility()) out.push(el.placeholder || '', el.getAttribute('aria-label') || '');
  }
  return out.join(' ');
}"""


def english_words(page: Page) -> set[str]:
    text = page.evaluate(VISIBLE_TEXT)
    return {w.lower() for w in re.findall(r"[A-Za-z]{3,}", text)} & ENGLISH


def no_english(page: Page, where: str) -> None:
    found = english_words(page)
    assert not found, f"English on the Belarusian {where}: {sorted(found)}"


def enter_election(admin: Page, base: str) -> str:
    """The administrator types the election in English, Belarusian and Russian in the console."""
    admin.goto(f"{base}/admin#/new")
    admin.fill("#new-name", BASE["name"])
    admin.fill("#new-description", BASE["description"])
    admin.select_option("#new-group", GROUP)
    admin.click("#add-question")
    for lang in TEXTS:
        admin.check(f"#new-lang-{lang}")
    editors = admin.locator("#questions > fieldset").all()
    assert len(editors) == 2
    for editor, (question, answers) in zip(editors, BASE["questions"], strict=True):
        editor.locator('[data-field="text"]').fill(question)
        while editor.locator("li.answer").count() < len(answers):
            editor.locator('[data-do="add-answer"]').click()
        for item, answer in zip(editor.locator("li.answer").all(), answers, strict=True):
            item.locator('[data-field="answer"]').fill(answer)
    editors[1].locator('[data-field="max"]').fill("2")
    editors[1].locator('[data-field="blank"]').check()
    for lang, texts in TEXTS.items():
        # Each language's fields are labelled with its name, beside the text they translate.
        head = admin.locator(f'#translations [data-tr-lang="{lang}"]')
        expect(head.locator("label").first).to_contain_text(NATIVE_NAMES[lang])
        head.locator('[data-tr="name"]').fill(texts["name"])
        head.locator('[data-tr="description"]').fill(texts["description"])
        for editor, (question, answers) in zip(editors, texts["questions"], strict=True):
            editor.locator(f'.tr-question[data-tr-lang="{lang}"] input').fill(question)
            items = editor.locator("li.answer").all()
            for item, answer in zip(items, answers, strict=True):
                item.locator(f'.tr-answer[data-tr-lang="{lang}"] input').fill(answer)
    # A missing translation is named before anything is sent.
    admin.locator('#questions li.answer .tr-answer[data-tr-lang="ru"] input').first.fill("")
    admin.click("#new-form button[type=submit]")
    expect(admin.locator("#new-error")).to_contain_text("Русский")
    admin.locator('#questions li.answer .tr-answer[data-tr-lang="ru"] input').first.fill("Вильнюс")
    admin.click("#new-form button[type=submit]")
    expect(admin.locator("#election-uuid")).to_have_text(re.compile(r"^\w{14,}$"))
    return admin.inner_text("#election-uuid").strip()


@needs_belenios
def test_a_belarusian_voter_sees_no_english(browser: Browser, tmp_path: Path) -> None:  # noqa: F811
    data = tmp_path / "server"
    add_admin(data, None)
    with running(data) as server, server.client() as client:
        base = server.url
        admin = new_page(browser)
        log_in(admin, base)
        uuid = enter_election(admin, base)

        # The rest of the set-up over the API: credentials, one trustee, opening.
        login(client)
        ca = tmp_path / "ca"
        ca.mkdir()
        (ca / "voters.txt").write_text("a@x.invalid\nb@x.invalid\n")
        cli("credentials", "generate", "--uuid", uuid, "--voters", ca / "voters.txt",
            "--group", GROUP, "--out", ca)  # fmt: skip
        credentials = list(json.loads((ca / "private_credentials.json").read_text()).values())
        r = client.put(
            f"/api/admin/elections/{uuid}/credentials",
            content=(ca / "public_credentials.json").read_bytes(),
        )
        assert r.status_code == 200, r.text
        r = client.post(f"/api/admin/elections/{uuid}/trustees", json={"name": "Ганна"})
        token = r.json()["link"].rsplit("/", 1)[1]
        home = tmp_path / "trustee"
        cli("trustee", "keygen", "--group", GROUP, "--out", home)
        cli("trustee", "submit", f"{base}/api/trustee/{token}/key", next(home.glob("*.pubkey")))
        assert client.post(f"/api/admin/elections/{uuid}/open").status_code == 200

        voter = new_page(browser, "be")
        voter.goto(f"{base}/")
        expect(voter.locator("main")).to_contain_text("Рада 2026")
        no_english(voter, "list of elections")
        voter.goto(f"{base}/elections/{uuid}")
        expect(voter.locator("main")).to_contain_text("Дзе збярэмся?")
        no_english(voter, "election page")

        voter.goto(f"{base}/elections/{uuid}/vote")
        expect(voter.locator("#step-credential")).to_be_visible()
        no_english(voter, "booth, step 1")
        field = voter.locator("#credential")
        assert field.get_attribute("autocapitalize") == "off"
        # A well-formed credential that is not on the list: caught at step 1, and kept.
        stranger = generate_credential()
        field.fill(stranger)
        field.press("Enter")
        expect(voter.locator("#credential-error")).to_have_text(
            messages("be")["vote.js.credential_unlisted"]
        )
        expect(voter.locator("#step-choices")).to_be_hidden()
        expect(field).to_have_value(stranger)
        no_english(voter, "booth, unlisted credential")
        # A complete credential with a zero in it: the zero is named.
        field.fill("0" + credentials[0][1:])
        field.press("Enter")
        expect(voter.locator("#credential-error")).to_contain_text("«0»")
        no_english(voter, "booth, mistyped credential")

        field.fill(credentials[0])
        field.press("Enter")
        expect(voter.locator("#step-choices")).to_be_visible()
        # Back to step 1: the credential is still there.
        voter.click("#back-to-credential")
        expect(field).to_have_value(credentials[0])
        field.press("Enter")
        expect(voter.locator("#step-choices")).to_be_visible()
        assert voter.locator("#q0-a0").get_attribute("type") == "radio"
        assert voter.locator("#q1-a0").get_attribute("type") == "checkbox"
        expect(voter.locator("#step-choices legend").first).to_have_text("Дзе збярэмся?")
        no_english(voter, "booth, choices")
        voter.check("#q0-a0")
        voter.check("#q0-a1")  # a radio button: the first one is no longer chosen
        expect(voter.locator("#q0-a0")).not_to_be_checked()
        voter.check("#q1-a0")
        voter.check("#q1-a2")
        voter.click("#choices-form button[type=submit]")
        expect(voter.locator("#step-review")).to_be_visible()
        expect(voter.locator("#review-list")).to_contain_text("Варшава")
        no_english(voter, "booth, review")
        voter.click("#cast")
        expect(voter.locator("#step-done")).to_be_visible(timeout=120_000)
        code = voter.inner_text("#tracking-code").strip()
        no_english(voter, "booth, cast")

        voter.goto(f"{base}/elections/{uuid}/board?code={code}")
        no_english(voter, "bulletin board")

        # Close, decrypt on the trustee's machine, publish; the Belarusian voter reads the result.
        assert client.post(f"/api/admin/elections/{uuid}/close").status_code == 200
        archive = download(client, uuid, home)
        cli("trustee", "decrypt", archive, "--key", next(home.glob("*.privkey")),
            "--out", home / "pd.json")  # fmt: skip
        cli("trustee", "submit", f"{base}/api/trustee/{token}/decryption", home / "pd.json")
        r = client.post(f"/api/admin/elections/{uuid}/publish")
        assert r.status_code == 200, r.text
        assert r.json()["result"] == [[0, 1], [0, 1, 0, 1]]
        voter.goto(f"{base}/elections/{uuid}/result")
        expect(voter.locator(".question-result").first).to_contain_text("Варшава")
        no_english(voter, "result")
        voter.goto(f"{base}/elections/{uuid}")
        no_english(voter, "election page after the result")
        voter.goto(f"{base}/elections/NoSuchElection1")
        no_english(voter, "page of an unknown election")
        # An administrator who reads Belarusian: the admin log's actions and details too.
        clerk = new_page(browser, "be")
        log_in(clerk, base)
        clerk.goto(f"{base}/admin#/log")
        log = clerk.locator("#log-body")
        expect(log).to_contain_text(messages("be")["decision.create"])
        expect(log).to_contain_text(messages("be")["detail.fingerprint"] + ":")
        for key in ("fingerprint:", "count:", "ballots:", "result:", "[["):
            expect(log).not_to_contain_text(key)

        # The scan can fail: the same booth in English is full of English words.
        english = new_page(browser, "en")
        english.goto(f"{base}/elections/{uuid}/result")
        assert {"result", "vilnius"} <= english_words(english)
        for page in (admin, voter, english):
            problems = [p for p in page.problems if "404" not in p]  # type: ignore[attr-defined]
            assert problems == [], problems
        archive = download(client, uuid, tmp_path / "observer")
    assert hramada("verify", str(archive)).returncode == 0
    assert belenios_verify(archive).returncode == 0
