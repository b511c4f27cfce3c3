"""The parallel vote tabulation in a real browser against a real `hramada pvt serve`: voters
submit (one photo with GPS EXIF), bad submissions are refused and change nothing, two
moderators confirm, the protocols are imported on the command line, and exactly the stations
where verified votes exceed the official count are flagged. Nothing stored or logged names a
voter's address or browser."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from pvt_images import has_gps, photo_with_gps, png_bomb
from server_harness import HRAMADA, cli, free_port
from test_browser import browser, pytestmark  # noqa: F401  (the fixture and skip)

from hramada.observe.pvt.photo import MAX_BYTES
from hramada.server.accounts import create_admin
from hramada.server.pvt_store import PvtStore

AGENT = "PvtVoterBrowser/7.3 (test)"
PASSWORD = "correct horse battery staple"
STATIONS = (
    "code,region,address\n101,Minsk,School 1\n102,Minsk,School 2\n"
    "103,Hrodna,Library\n201,Brest,Club\n202,Brest,Station hall\n"
)
# station, candidate, photo?: 101 gets two verified votes for T (official 1: flagged), 102 one
# (official 1: not flagged), 103 one rejected by a moderator (official 0: not flagged), 201 one
# without a photo (never verified; official 0: not flagged), 202 one for L (official 0: flagged)
VOTES = [
    ("101", "Tsikhanouskaya", True),
    ("101", "Tsikhanouskaya", True),
    ("102", "Tsikhanouskaya", True),
    ("103", "Tsikhanouskaya", True),
    ("201", "Tsikhanouskaya", False),
    ("202", "Lukashenka", True),
]
PROTOCOLS = (
    "station,Tsikhanouskaya,Lukashenka\n101,1,600\n102,1,700\n103,0,500\n201,0,400\n202,5,0\n"
)


@pytest.fixture
def tabulation(tmp_path: Path) -> Iterator[tuple[str, PvtStore, list[str], Path]]:
    """A served tabulation (its address), its store, eight codes, and the server's log."""
    data = tmp_path / "pvt"
    stations = tmp_path / "stations.csv"
    stations.write_text(STATIONS)
    cli("pvt", "import-stations", stations, "--data", data)
    store = PvtStore.open(data)
    store.set_candidates(["Tsikhanouskaya", "Lukashenka"])
    for name in ("mod-a", "mod-b"):
        create_admin(store.engine, name, PASSWORD)
    codes = store.add_codes(8)
    port, log = free_port(), tmp_path / "server.log"
    with log.open("wb") as sink:  # the server's log: its stdout only announces the address
        process = subprocess.Popen(
            [*HRAMADA, "pvt", "serve", "--port", str(port), "--data", str(data)],
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            try:
                httpx.get(url, timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        yield url, store, codes, log
    finally:
        process.terminate()
        process.wait(30)
        store.engine.dispose()


def voter(chromium: Browser, lang: str = "en") -> Page:
    context = chromium.new_context(locale=lang, user_agent=AGENT)
    return context.new_page()


def send(page: Page, url: str, code: str, station: str, candidate: str, photo: Path | None) -> None:
    page.goto(f"{url}/submit")
    page.fill("#pvt-code", code)
    page.fill("#pvt-station", station)
    page.select_option("#pvt-candidate", candidate)
    if photo is not None:
        page.set_input_files("#pvt-photo", str(photo))
    page.click("#submit-form button[type=submit]")


def counts(store: PvtStore) -> tuple[int, int]:
    with store.engine.connect() as db:
        submissions = db.exec_driver_sql("SELECT count(*) FROM pvt_submissions").scalar()
        used = db.exec_driver_sql("SELECT count(*) FROM pvt_codes WHERE used").scalar()
    return int(submissions or 0), int(used or 0)


def moderate(chromium: Browser, url: str, name: str, reject: set[str]) -> Page:
    """Log in as moderator NAME and review every photo waiting, rejecting those of REJECT."""
    page = chromium.new_page(locale="en")
    page.goto(f"{url}/moderate")
    page.fill("#mod-username", name)
    page.fill("#mod-password", PASSWORD)
    page.click("#moderator-login button[type=submit]")
    while page.locator("section.review").count():
        section = page.locator("section.review").first
        heading = section.locator("h2").inner_text()
        image = section.locator("img")
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("i => i.naturalWidth") > 0, "the photo does not show"
        verdict = "reject" if any(f" {s} " in heading for s in reject) else "confirm"
        reviewed = section.get_attribute("id")
        section.locator(f"button[value={verdict}]").click()
        expect(page.locator(f"#{reviewed}")).to_have_count(0)  # the next page has loaded
    expect(page.locator("#nothing-pending")).to_be_visible()
    return page


def test_voters_moderators_and_flags_in_the_browser(
    browser: Browser,  # noqa: F811  (the fixture from test_browser)
    tabulation: tuple[str, PvtStore, list[str], Path],
    tmp_path: Path,
) -> None:
    url, store, codes, log = tabulation
    gps = tmp_path / "ballot.jpg"
    gps.write_bytes(photo_with_gps(noise=True))
    assert has_gps(gps.read_bytes())
    page = voter(browser)
    for code, (station, candidate, with_photo) in zip(codes, VOTES, strict=False):
        send(page, url, code, station, candidate, gps if with_photo else None)
        expect(page.locator("#submitted")).to_be_visible()

    # Bad input: each refused with a clear message, nothing stored, the code not spent
    not_image, bomb = tmp_path / "a.jpg", tmp_path / "b.png"
    huge, huger = tmp_path / "c.jpg", tmp_path / "d.jpg"
    not_image.write_bytes(b"%PDF-1.4 this is not a photo")
    bomb.write_bytes(png_bomb())
    huge.write_bytes(b"\xff\xd8" + b"\0" * MAX_BYTES)  # refused on reading the photo
    huger.write_bytes(b"\xff\xd8" + b"\0" * (MAX_BYTES + 512 * 1024))  # on the form's size
    fresh = codes[len(VOTES)]
    bad = [
        (fresh, "999", None, "unknown polling station '999'"),
        (codes[0], "102", None, "this code has already been used"),
        ("ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ", "101", None, "this code is not valid"),
        (fresh, "101", not_image, "not an acceptable image"),
        (fresh, "101", bomb, "the photo is too large"),
        (fresh, "101", huge, "the photo is larger than 8 MB"),
        (fresh, "101", huger, "the photo is larger than 8 MB"),
    ]
    before = counts(store)
    for code, station, photo, message in bad:
        send(page, url, code, station, "Tsikhanouskaya", photo)
        expect(page.locator("#submit-error")).to_contain_text(message)
        assert counts(store) == before, message
    assert before == (len(VOTES), len(VOTES))

    # What is stored and served carries no GPS, device or time
    with store.engine.connect() as db:
        rows = db.exec_driver_sql("SELECT id, photo FROM pvt_submissions WHERE photo IS NOT NULL")
        photos = dict(rows.all())
    assert len(photos) == 5 and not any(has_gps(p) for p in photos.values())
    first = moderate(browser, url, "mod-a", reject={"103"})
    some, stored = next(iter(photos.items()))
    served = first.request.get(f"{url}/moderate/photos/{some}.jpg")
    assert served.ok and served.body() == stored and not has_gps(served.body())
    moderate(browser, url, "mod-b", reject=set())

    protocols = tmp_path / "protocols.csv"
    protocols.write_text(PROTOCOLS)
    cli("pvt", "import-protocols", protocols, "--data", tmp_path / "pvt")
    report = browser.new_page(locale="be")
    report.goto(url)
    expect(report.locator("html")).to_have_attribute("lang", "be")
    expect(report.locator("h1")).to_have_text("Паралельны падлік галасоў")
    rows = report.locator("#flagged tbody tr")
    assert sorted({r.get_attribute("data-station") for r in rows.all()}) == ["101", "202"]
    expect(report.locator("figure svg")).to_be_visible()
    flagged = httpx.get(f"{url}/report.json").json()["flagged"]
    assert [(f["station"], f["candidates"]) for f in flagged] == [
        ("101", [{"candidate": "Tsikhanouskaya", "verified": 2, "official": 1}]),
        ("202", [{"candidate": "Lukashenka", "verified": 1, "official": 0}]),
    ]

    first.goto(f"{url}/moderate")
    first.click("#publish")
    expect(first.locator("#chain-head")).to_have_text(store.publications()[-1].hash)
    first.goto(f"{url}/moderate")
    first.click("#delete-photos")
    with store.engine.connect() as db:
        rows_left = db.exec_driver_sql("SELECT photo, photo_hash FROM pvt_submissions").all()
    assert [h is not None for _, h in rows_left].count(True) == 5
    assert [p is not None for p, _ in rows_left].count(True) == 1, "only the rejected photo stays"

    # No address or browser anywhere: not in the database, not in the server's output
    stored = b"".join(p.read_bytes() for p in (tmp_path / "pvt").glob("pvt.sqlite*"))
    for trace in (b"127.0.0.1", AGENT.encode(), b"PvtVoterBrowser"):
        assert trace not in stored and trace not in log.read_bytes(), trace
