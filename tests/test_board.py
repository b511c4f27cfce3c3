"""The bulletin board of a 100,000-ballot election: served a page at a time, fast, cached, with
"find my tracking code" still exact. The election is real (the demo's, through the real app);
the 100,000 ballots are synthetic entries at the board's layer, as checking 100,000 proofs
would say nothing about rendering."""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from hramada.election.ballot import AcceptedBallot
from hramada.server.app import create_app
from hramada.server.config import Settings
from hramada.server.demo import prepare_demo
from hramada.server.elections import BOARD_PAGE

BALLOTS = 100_000
VOTERS = 80_000  # so 20,000 ballots are replaced by a later one


def synthetic(i: int) -> AcceptedBallot:
    digest = hashlib.sha256(i.to_bytes(8, "big")).digest()
    tracker = base64.b64encode(digest).decode().rstrip("=")
    return AcceptedBallot(tracker, digest.hex(), f"credential{i % VOTERS}", 1, [])


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("board") / "data", workers=1)
    uuid = prepare_demo(settings)["uuid"]
    with TestClient(create_app(settings)) as client:
        live = client.app.state.elections.live[uuid]  # type: ignore[attr-defined]
        ballots = [synthetic(i) for i in range(BALLOTS)]
        live.box.ballots.extend(ballots)
        live._settled(ballots)
        yield client, uuid


def codes(page: str) -> list[str]:
    return re.findall(r'<li data-code="([^"]+)"', page)


def test_a_board_page_holds_one_page_of_codes_and_is_quick(
    board: tuple[TestClient, str],
) -> None:
    client, uuid = board
    started = time.perf_counter()
    first = client.get(f"/elections/{uuid}/board")
    took = time.perf_counter() - started
    assert first.status_code == 200
    assert codes(first.text) == [synthetic(i).tracker for i in range(BOARD_PAGE)]
    assert took < 1.0, f"the first page took {took:.3f} s"
    assert ">100000<" in first.text and ">80000<" in first.text and ">20000<" in first.text
    pages = -(-BALLOTS // BOARD_PAGE)
    assert f"Page 1 of {pages}" in first.text and 'href="?page=2"' in first.text

    started = time.perf_counter()
    again = client.get(f"/elections/{uuid}/board")
    assert time.perf_counter() - started < 0.1 and again.text == first.text  # cached

    last = client.get(f"/elections/{uuid}/board?page={pages}")
    assert codes(last.text)[-1] == synthetic(BALLOTS - 1).tracker
    assert client.get(f"/elections/{uuid}/board?page=nonsense").text == first.text


def test_find_is_exact_and_names_the_page(board: tuple[TestClient, str]) -> None:
    client, uuid = board
    replaced, counted = synthetic(12_345), synthetic(BALLOTS - 7)  # credential reused later
    find = f"/api/elections/{uuid}/ballots/find"
    answer = client.get(find, params={"code": replaced.tracker}).json()
    assert answer == {"found": True, "superseded": True, "page": 12_345 // BOARD_PAGE + 1}
    answer = client.get(find, params={"code": counted.tracker}).json()
    assert answer == {"found": True, "superseded": False, "page": (BALLOTS - 7) // BOARD_PAGE + 1}
    almost = counted.tracker[:-1] + ("A" if counted.tracker[-1] != "A" else "B")
    assert client.get(find, params={"code": almost}).json()["found"] is False


def test_the_board_api_is_paged_too(board: tuple[TestClient, str]) -> None:
    client, uuid = board
    listing = client.get(f"/api/elections/{uuid}/ballots", params={"page": 3}).json()
    assert listing["total"] == BALLOTS and listing["counted"] == VOTERS
    assert listing["page"] == 3 and listing["per_page"] == BOARD_PAGE
    assert [b["tracking_code"] for b in listing["ballots"]] == [
        synthetic(i).tracker for i in range(2 * BOARD_PAGE, 3 * BOARD_PAGE)
    ]
    assert listing["chain_head"]
