"""The console's newer parts in a real browser (Debian's Chromium driven by Playwright): the
private credential file refused before anything is sent, error texts that go away once fixed,
setup forms hidden once the election is open, a trustee link re-issued, and a threshold
election with its key ceremony's progress and restart."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Request, expect
from server_harness import add_admin, cli, running
from test_browser import browser, create_election, log_in, new_page, pytestmark  # noqa: F401  (the fixture and skip)


def test_the_console_refuses_private_credentials_and_hides_setup(
    browser: Browser,  # noqa: F811  (the fixture from test_browser)
    tmp_path: Path,
) -> None:
    data = tmp_path / "server"
    add_admin(data, None)
    with running(data) as server:
        base = server.url
        admin = new_page(browser)
        log_in(admin, base)

        # The superuser (the first account) creates a second administrator's account.
        admin.fill("#account-username", "second")
        admin.fill("#account-password", "a long enough passphrase")
        admin.click("#account-form button[type=submit]")
        expect(admin.locator("#account-outcome")).to_contain_text("second")

        # "Enter the election's name" goes away once the name is entered.
        admin.goto(f"{base}/admin#/new")
        admin.click("#new-form button[type=submit]")
        expect(admin.locator("#new-error")).not_to_be_empty()
        admin.fill("#new-name", "Council 2026")
        expect(admin.locator("#new-error")).to_be_empty()
        uuid = create_election(admin, "Elect the council", ["Alena", "Bazyli"])

        ca = tmp_path / "ca"
        ca.mkdir()
        (ca / "voters.txt").write_text("v0@x.invalid\nv1@x.invalid\n")
        cli("credentials", "generate", "--uuid", uuid, "--voters", ca / "voters.txt",
            "--group", "Ed25519", "--out", ca)  # fmt: skip

        # The second administrator is granted this election, from the console.
        admin.fill("#grant-username", "second")
        admin.press("#grant-username", "Enter")
        expect(admin.locator("#grant-outcome")).to_contain_text("second")
        with server.client() as other:
            r = other.post(
                "/api/admin/login",
                json={"username": "second", "password": "a long enough passphrase"},
            )
            assert r.status_code == 200, r.text
            assert [e["uuid"] for e in other.get("/api/admin/elections").json()] == [uuid]

        # The private file: refused in the page, and no request at all reaches the server.
        sent: list[Request] = []

        def record(request: Request) -> None:
            sent.append(request)

        admin.on("request", record)
        admin.set_input_files("#credentials-file", str(ca / "private_credentials.json"))
        form_error = admin.locator("#credentials-form > .error")
        expect(form_error).to_contain_text("PRIVATE")
        admin.set_input_files("#credentials-file", str(ca / "private_credentials.json"))
        admin.click("#credentials-form button[type=submit]")
        expect(form_error).to_contain_text("public_credentials.json")
        admin.wait_for_timeout(300)
        assert [r.url for r in sent] == []
        admin.remove_listener("request", record)

        admin.set_input_files("#credentials-file", str(ca / "public_credentials.json"))
        admin.click("#credentials-form button[type=submit]")
        expect(admin.locator("#credentials-outcome")).to_contain_text("2")

        admin.fill("#trustee-name", "Vilnius")
        admin.press("#trustee-name", "Enter")
        expect(admin.locator("#trustee-link-for")).to_contain_text("Vilnius")
        link = admin.inner_text("#trustee-link code").strip()
        home = tmp_path / "trustee"
        cli("trustee", "keygen", "--group", "Ed25519", "--out", home)
        token = link.rsplit("/", 1)[1]
        cli("trustee", "submit", f"{base}/api/trustee/{token}/key", next(home.glob("*.pubkey")))
        admin.reload()
        expect(admin.locator("#credentials-form")).to_be_visible()
        admin.click("#phase-open")
        expect(admin.locator("#election-state")).to_contain_text("pen", timeout=30_000)
        # Open: the setup forms no longer apply and are gone.
        expect(admin.locator("#credentials-form")).to_be_hidden()
        expect(admin.locator("#trustee-form")).to_be_hidden()

        # A lost trustee link: revoked and re-issued; the old one is refused, the new one works.
        admin.click("#trustees-body button.reissue")
        expect(admin.locator("#trustee-link-for")).to_contain_text("Vilnius")
        fresh = admin.inner_text("#trustee-link code").strip()
        assert fresh != link
        trustee = new_page(browser)
        assert trustee.goto(link).status == 404
        trustee.goto(fresh)
        expect(trustee.locator("body")).to_contain_text("Vilnius")
        expect(admin.locator("#decisions")).to_contain_text("re-issued")
        assert admin.problems == []  # type: ignore[attr-defined]


def test_a_threshold_election_in_the_console(
    browser: Browser,  # noqa: F811  (the fixture from test_browser)
    tmp_path: Path,
) -> None:
    data = tmp_path / "server"
    add_admin(data, None)
    with running(data) as server:
        base = server.url
        admin = new_page(browser)
        log_in(admin, base)
        admin.goto(f"{base}/admin#/new")
        admin.fill("#new-name", "Council 2026")
        admin.fill("#new-threshold", "2")
        create_election(admin, "Elect the council", ["Alena", "Bazyli"])
        links = []
        for name in ["Vilnius", "Warsaw"]:
            admin.fill("#trustee-name", name)
            admin.press("#trustee-name", "Enter")
            expect(admin.locator("#trustee-link-for")).to_contain_text(name)
            links.append(admin.inner_text("#trustee-link code").strip())
        ceremony = admin.locator("#ceremony-text")
        expect(ceremony).to_contain_text("any 2 of 2 trustees")
        expect(ceremony).to_contain_text("0 of 2 have finished")

        # The trustee page gives the ceremony's command, not the single-key ones.
        trustee = new_page(browser)
        trustee.goto(links[0])
        expect(trustee.locator("#cmd-threshold")).to_contain_text("hramada trustee threshold")
        expect(trustee.locator("#cmd-keygen")).to_have_count(0)

        # One trustee takes the first step; the console shows it, and the restart clears it.
        cli("trustee", "threshold", "--url", links[0], "--state", tmp_path / "vilnius")
        admin.reload()
        expect(admin.locator("#trustees-body")).to_contain_text("1 of 3 steps")
        admin.click("#ceremony-restart")
        expect(admin.locator("#trustees-body")).not_to_contain_text("1 of 3 steps")
        expect(admin.locator("#trustees-body")).to_contain_text("0 of 3 steps")
