"""The parallel vote tabulation's storage, API and command line: imports, one-time codes,
refusals that change nothing, two moderators per photo, photos deleted keeping their hash,
the flags, and the signed chain."""

from __future__ import annotations

import io
import json
import ssl
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import hramada
from loop_guard import statements_on_the_loop
from PIL import Image
from pvt_images import has_gps, photo_with_gps, png_bomb
from starlette.testclient import TestClient

from hramada.observe.pvt.chain import verify_chain
from hramada.observe.pvt.photo import MAX_BYTES, photo_hash
from hramada.server.accounts import create_admin
from hramada.server.pvt_app import create_pvt_app
from hramada.server.pvt_store import PvtStore

STATIONS = "code,region,address\n101,Minsk,School 1\n102,Minsk,School 2\n201,Brest,Club\n"
PASSWORD = "correct horse battery staple"


def cli(*args: str) -> str:
    done = hramada("pvt", *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def setup(data: Path) -> PvtStore:
    """Three stations, two candidates and two moderators."""
    store = PvtStore.open(data)
    store.import_stations(STATIONS)
    store.set_candidates(["Tsikhanouskaya", "Lukashenka"])
    for name in ("mod-a", "mod-b"):
        create_admin(store.engine, name, PASSWORD)
    return store


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[TestClient, PvtStore, list[str]]]:
    """The tabulation's app over a fresh store, and five one-time codes."""
    store = setup(tmp_path / "pvt")
    codes = store.add_codes(5)
    with TestClient(create_pvt_app(tmp_path / "pvt")) as client:
        yield client, store, codes
    store.engine.dispose()


def submit(
    client: TestClient, code: str, station: str, candidate: str, photo: bytes | None = None
) -> tuple[int, dict]:
    files = {"photo": ("ballot.jpg", photo, "image/jpeg")} if photo is not None else None
    data = {"code": code, "station": station, "candidate": candidate}
    r = client.post("/api/pvt/submissions", data=data, files=files)
    return r.status_code, r.json()


def state_of(store: PvtStore) -> tuple[int, list[bool]]:
    """What a refusal must leave unchanged: the submissions and which codes are used."""
    with store.engine.connect() as db:
        n = db.exec_driver_sql("SELECT count(*) FROM pvt_submissions").scalar()
        used = [bool(u) for (u,) in db.exec_driver_sql("SELECT used FROM pvt_codes ORDER BY hash")]
    return int(n or 0), used


def as_moderator(client: TestClient, name: str) -> None:
    client.cookies.clear()
    r = client.post(
        "/moderate/login", data={"username": name, "password": PASSWORD}, follow_redirects=False
    )
    assert r.status_code == 303, r.text


def test_a_photo_submitted_loses_its_gps_and_two_moderators_verify_it(
    served: tuple[TestClient, PvtStore, list[str]],
) -> None:
    client, store, codes = served
    original = photo_with_gps()
    assert has_gps(original)
    status, body = submit(client, codes[0], "101", "Tsikhanouskaya", original)
    assert status == 201, body
    sid = body["submission"]
    stored = store.photo(sid)
    assert stored is not None and not has_gps(stored)
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (640, 480) and not image.info.get("exif")
    assert client.get(f"/moderate/photos/{sid}.jpg").status_code == 401  # moderators only
    as_moderator(client, "mod-a")
    served_photo = client.get(f"/moderate/photos/{sid}.jpg")
    assert served_photo.content == stored and not has_gps(served_photo.content)
    review = f"/moderate/{sid}/review"
    assert client.post(review, data={"verdict": "confirm"}).status_code == 200
    again = client.post(review, data={"verdict": "confirm"})
    assert again.status_code == 409, "one moderator cannot confirm a photo twice"
    assert store.report()["coverage"]["verified_votes"] == 0, "one confirmation is not enough"
    as_moderator(client, "mod-b")
    assert f"review-{sid}" in client.get("/moderate").text
    client.post(review, data={"verdict": "confirm"})
    assert store.report()["coverage"]["verified_votes"] == 1
    assert f"review-{sid}" not in client.get("/moderate").text
    client.post("/moderate/delete-photos")
    assert store.photo(sid) is None
    with store.engine.connect() as db:
        kept = db.exec_driver_sql("SELECT photo_hash FROM pvt_submissions").scalar()
    assert kept == photo_hash(stored), "the photo's hash outlives the photo"
    assert store.report()["coverage"]["verified_votes"] == 1


OPENED: list[str] | None = None  # paths opened while a test records them (an audit hook)


def _record_opens(event: str, args: tuple[object, ...]) -> None:
    if event == "open" and OPENED is not None:
        OPENED.append(str(args[0]))


sys.addaudithook(_record_opens)


def test_the_photo_as_sent_is_never_written_to_disk(
    served: tuple[TestClient, PvtStore, list[str]],
) -> None:
    """The upload with its GPS stays in memory (a temporary file would leave it on the disk)."""
    global OPENED
    client, _, codes = served
    photo = photo_with_gps((1600, 1200), noise=True)
    assert 1024 * 1024 < len(photo) < MAX_BYTES
    OPENED = []
    try:
        status, _ = submit(client, codes[0], "101", "Lukashenka", photo)
        opened, OPENED = OPENED, None
    finally:
        OPENED = None
    assert status == 201
    temporary = Path(tempfile.gettempdir())
    assert [p for p in opened if temporary in (Path(p), Path(p).parent)] == []


def test_a_rejection_keeps_a_submission_unverified(
    served: tuple[TestClient, PvtStore, list[str]],
) -> None:
    client, store, codes = served
    _, body = submit(client, codes[0], "102", "Lukashenka", photo_with_gps())
    for name, verdict in (("mod-a", "reject"), ("mod-b", "confirm")):
        as_moderator(client, name)
        client.post(f"/moderate/{body['submission']}/review", data={"verdict": verdict})
    assert store.report()["coverage"]["verified_votes"] == 0
    _, body = submit(client, codes[1], "102", "Lukashenka")  # no photo: never verified
    assert body["submission"] not in [p.id for p in store.pending(1)]


BAD = [
    ("unknown station", {"station": "999"}, None, 400, "station", "unknown polling station"),
    ("unknown candidate", {"candidate": "Nobody"}, None, 400, "candidate", "unknown candidate"),
    ("forged code", {"code": "AAAAA-BBBBB-CCCCC-DDDDD"}, None, 403, "code", "not valid"),
    ("not an image", {}, b"%PDF-1.4 not a photo", 400, "photo", "not an acceptable image"),
    ("bomb", {}, png_bomb(), 400, "photo", "too large"),
    ("over 8 MB", {}, b"\xff\xd8" + b"\0" * MAX_BYTES, 400, "photo", "larger than 8 MB"),
    ("huge form", {}, b"\xff\xd8" + b"\0" * 2 * MAX_BYTES, 413, "photo", "larger than 8 MB"),
]


@pytest.mark.parametrize(("case", "change", "photo", "status", "check", "message"), BAD)
def test_bad_submissions_are_refused_and_change_nothing(
    served: tuple[TestClient, PvtStore, list[str]],
    case: str,
    change: dict[str, str],
    photo: bytes | None,
    status: int,
    check: str,
    message: str,
) -> None:
    client, store, codes = served
    before = state_of(store)
    fields = {"code": codes[0], "station": "101", "candidate": "Lukashenka", **change}
    got, body = submit(client, fields["code"], fields["station"], fields["candidate"], photo)
    assert got == status, (case, body)
    assert body["error"]["check"] == check and message in body["error"]["message"], body
    assert state_of(store) == before, f"{case} changed the store"
    # the voter's code still works once the mistake is corrected
    assert submit(client, codes[0], "101", "Lukashenka")[0] == 201


def test_a_full_server_asks_to_retry_and_changes_nothing(
    served: tuple[TestClient, PvtStore, list[str]],
) -> None:
    from hramada.server.pvt_web import UPLOADS

    client, store, codes = served
    state = client.app.state  # type: ignore[attr-defined]
    state.uploads = UPLOADS  # as many submissions as it takes are being received
    before = state_of(store)
    status, body = submit(client, codes[0], "101", "Lukashenka", photo_with_gps())
    assert status == 503 and body["error"]["check"] == "busy"
    assert state_of(store) == before
    assert client.get("/").status_code == 200, "the report is still served"
    state.uploads = 0
    assert submit(client, codes[0], "101", "Lukashenka")[0] == 201


def test_a_code_submits_once(served: tuple[TestClient, PvtStore, list[str]]) -> None:
    client, store, codes = served
    assert submit(client, codes[0], "101", "Lukashenka")[0] == 201
    before = state_of(store)
    status, body = submit(client, codes[0].lower().replace("-", ""), "102", "Tsikhanouskaya")
    assert status == 409 and "already been used" in body["error"]["message"]
    assert state_of(store) == before


def test_the_voters_form_shows_refusals_in_the_visitors_language(
    served: tuple[TestClient, PvtStore, list[str]],
) -> None:
    client, _, codes = served
    data = {"code": codes[0], "station": "999", "candidate": "Lukashenka"}
    r = client.post("/submit", data=data, headers={"accept-language": "be"})
    assert r.status_code == 400 and "999" in r.text and 'lang="be"' in r.text


def test_the_command_line_imports_protocols_flags_and_publishes(tmp_path: Path) -> None:
    data = str(tmp_path / "pvt")
    station_file = tmp_path / "stations.csv"
    station_file.write_text(STATIONS)
    assert "3 stations imported" in cli("import-stations", str(station_file), "--data", data)
    cli("candidates", "Tsikhanouskaya", "Lukashenka", "--data", data)
    codes = cli("codes", "--count", "3", "--data", data).split()
    assert len(codes) == 3 and all(len(c) == 23 for c in codes)
    store = PvtStore.open(Path(data))
    for name in ("mod-a", "mod-b"):
        create_admin(store.engine, name, PASSWORD)
    with TestClient(create_pvt_app(Path(data))) as client:
        flags_and_publishes(client, store, codes, tmp_path)
    store.engine.dispose()


def flags_and_publishes(
    client: TestClient, store: PvtStore, codes: list[str], tmp_path: Path
) -> None:
    data = str(tmp_path / "pvt")
    # 101: two verified votes for T against an official 1 -> flagged; 102: one against 5 -> not
    votes = [("101", "Tsikhanouskaya"), ("101", "Tsikhanouskaya"), ("102", "Tsikhanouskaya")]
    for code, (station, candidate) in zip(codes, votes, strict=False):
        _, body = submit(client, code, station, candidate, photo_with_gps())
        store.review(body["submission"], 1, True)
        store.review(body["submission"], 2, True)
    protocols = tmp_path / "protocols.csv"
    protocols.write_text("station,Tsikhanouskaya,Lukashenka\n101,1,900\n102,5,700\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("station,Tsikhanouskaya,Lukashenka\n201,1,2\n999,1,2\n")
    refused = hramada("pvt", "import-protocols", str(bad), "--data", data)
    assert refused.returncode == 2 and "unknown station '999'" in refused.stderr
    # the server shows the report, then the organisers import the protocols on the command line
    assert client.get("/report.json").json()["flagged"] == []
    assert "2 protocols imported" in cli("import-protocols", str(protocols), "--data", data)
    report = json.loads(cli("flagged", "--json", "--data", data))
    assert report["flagged"] == [
        {
            "station": "101",
            "region": "Minsk",
            "address": "School 1",
            "candidates": [{"candidate": "Tsikhanouskaya", "verified": 2, "official": 1}],
        }
    ]
    assert report["coverage"]["with_protocol"] == 2, "the refused file imported nothing"
    assert "1 stations flagged" in cli("flagged", "--data", data)
    assert client.get("/report.csv").text.splitlines()[1] == "101,Minsk,School 1,Tsikhanouskaya,2,1"
    assert client.get("/report.json").json() == report
    first = cli("publish", "--data", data).strip()
    as_moderator(client, "mod-a")
    client.post("/moderate/publish")
    chain = client.get("/publications.json").json()
    publications = chain["publications"]
    assert publications[0]["hash"] == first and len(publications) == 2
    from hramada.observe.pvt.chain import Publication

    links = [Publication(**p) for p in publications]
    assert verify_chain(bytes.fromhex(chain["public_key"]), links) == []
    saved = tmp_path / "publications.json"
    saved.write_text(json.dumps(chain))
    assert "2 publications chained and signed" in cli("verify-chain", str(saved))
    publications[0]["body"] = publications[0]["body"].replace('"verified":2', '"verified":3')
    saved.write_text(json.dumps(chain))
    edited = hramada("pvt", "verify-chain", str(saved))
    assert edited.returncode == 1 and "does not hash" in edited.stderr
    page = client.get("/", headers={"accept-language": "pl"}).text
    assert "101" in page and publications[-1]["hash"] in page and "<svg" in page


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_store_on_either_database(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The migration matches the tables, and a code spent twice adds one row, on both."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    import hramada.server.pvt_tables  # noqa: F401  (registers the tables)
    from hramada.server.problems import Problem
    from hramada.server.tables import metadata

    url = None if kind == "sqlite" else str(request.getfixturevalue("postgres"))
    store = PvtStore.open(tmp_path / "pvt", url)
    with store.engine.connect() as db:
        diffs = compare_metadata(MigrationContext.configure(db), metadata)
    assert [d for d in diffs if "pvt_" in str(d)] == []
    store.import_stations(STATIONS)
    store.set_candidates(["A", "B"])
    (code,) = store.add_codes(1)
    store.submit(code, "201", "B", photo_with_gps())
    with pytest.raises(Problem, match="already been used"):
        store.submit(code, "201", "A", None)
    assert state_of(store)[0] == 1
    store.engine.dispose()


def test_only_moderators_review_publish_and_delete(
    served: tuple[TestClient, PvtStore, list[str]],
) -> None:
    client, store, codes = served
    _, body = submit(client, codes[0], "101", "Lukashenka", photo_with_gps())
    sid = body["submission"]
    wrong = client.post("/moderate/login", data={"username": "mod-a", "password": "guess" * 3})
    assert wrong.status_code == 401
    for path, data in (
        (f"/moderate/{sid}/review", {"verdict": "confirm"}),
        ("/moderate/publish", {}),
        ("/moderate/delete-photos", {}),
    ):
        assert client.post(path, data=data).status_code == 401, path
    assert store.pending(1)[0].confirmations == 0
    assert store.publications() == [] and store.photo(sid) is not None
    as_moderator(client, "mod-a")
    assert client.get(f"/moderate/photos/{sid}.jpg").status_code == 200
    token = client.cookies["hramada_pvt_session"]
    client.post("/moderate/logout")
    client.cookies.set("hramada_pvt_session", token)  # the old cookie, kept by a thief
    assert client.get(f"/moderate/photos/{sid}.jpg").status_code == 401, "the session ended"


def test_submission_ids_say_nothing_of_the_order_of_arrival(tmp_path: Path) -> None:
    """Whoever sees the database and when someone sent something cannot match the two."""
    store = setup(tmp_path / "pvt")
    ids = [store.submit(code, "101", "Lukashenka", None) for code in store.add_codes(20)]
    assert ids != sorted(ids) and max(ids) - min(ids) > 2**40
    with store.engine.connect() as db:
        kept = [i for (i,) in db.exec_driver_sql("SELECT id FROM pvt_submissions ORDER BY rowid")]
    assert kept == sorted(ids), "rows are kept in id order, not in the order they came"
    store.engine.dispose()


def test_on_postgresql_deleting_photos_leaves_no_arrival_order(
    tmp_path: Path, postgres: str
) -> None:
    """PostgreSQL keeps rows in arrival order in its heap: the deletion rewrites it by id."""
    store = PvtStore.open(tmp_path / "pvt", postgres)
    with store.engine.begin() as db:  # this module's cluster: start from empty tables
        for table in ("pvt_reviews", "pvt_submissions", "pvt_codes", "pvt_protocols"):
            db.exec_driver_sql(f"DELETE FROM {table}")
        db.exec_driver_sql("DELETE FROM pvt_stations")
    store.import_stations(STATIONS)
    store.set_candidates(["A", "B"])
    for code in store.add_codes(20):
        store.submit(code, "101", "A", None)

    def heap_order() -> list[int]:
        with store.engine.connect() as db:
            return list(
                db.exec_driver_sql("SELECT id FROM pvt_submissions ORDER BY ctid").scalars()
            )

    assert heap_order() != sorted(heap_order())
    store.delete_verified_photos()
    assert heap_order() == sorted(heap_order())
    store.engine.dispose()


def test_served_over_https_the_moderators_cookie_is_secure(tmp_path: Path) -> None:
    import subprocess
    import time

    import httpx
    from server_harness import HRAMADA, certificate, free_port

    setup(tmp_path / "pvt").engine.dispose()
    cert, key = certificate(tmp_path)
    port = free_port()
    args = ["pvt", "serve", "--port", str(port), "--data", str(tmp_path / "pvt")]
    args += ["--tls-cert", str(cert), "--tls-key", str(key)]
    process = subprocess.Popen([*HRAMADA, *args], stdout=subprocess.DEVNULL)
    try:
        trust = ssl.create_default_context(cafile=str(cert))
        with httpx.Client(base_url=f"https://127.0.0.1:{port}", verify=trust) as client:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None and time.monotonic() < deadline
                try:
                    client.get("/").raise_for_status()
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            r = client.post("/moderate/login", data={"username": "mod-a", "password": PASSWORD})
            assert r.status_code == 303 and "secure" in r.headers["set-cookie"].lower()
    finally:
        process.terminate()
        process.wait(30)


def test_no_page_reads_the_database_on_the_event_loop(
    served: tuple[TestClient, PvtStore, list[str]],
) -> None:
    client, _, codes = served
    with statements_on_the_loop(client.app.state.engine) as on_loop:  # type: ignore[attr-defined]
        assert client.get("/submit").status_code == 200
        sent = {"code": codes[0], "station": "101", "candidate": "Lukashenka"}
        assert client.post("/submit", data=sent).status_code == 200
        _, body = submit(client, codes[1], "102", "Lukashenka", photo_with_gps())
        for path in ("/", "/report.json", "/report.csv", "/publications.json", "/moderate"):
            assert client.get(path).status_code == 200, path
        as_moderator(client, "mod-a")
        assert client.get("/moderate").status_code == 200
        assert client.get(f"/moderate/photos/{body['submission']}.jpg").status_code == 200
        review = client.post(f"/moderate/{body['submission']}/review", data={"verdict": "reject"})
        assert review.status_code == 200
        for path in ("/moderate/publish", "/moderate/delete-photos", "/moderate/logout"):
            assert client.post(path).status_code == 200, path
    assert on_loop == []
