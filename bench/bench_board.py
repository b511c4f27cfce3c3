"""Bulletin board of a 100,000-ballot election: one page against the whole list, same run.

The election is the demo's, served by the real app in this process; the ballots are synthetic
board entries (as in tests/test_board.py). Prints the time of one request for the first page
(built and rendered, templates compiled), another page, the first page again (cached), and
the whole list rendered at once (what the board did before it was paged); then the event
loop's longest stall while 20 uncached pages are requested at once (and 20 cached ones).

    .venv/bin/python bench/bench_board.py [--ballots 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import hashlib
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from hramada.booth.pages import render
from hramada.election.ballot import AcceptedBallot
from hramada.server.app import create_app
from hramada.server.config import Settings
from hramada.server.demo import prepare_demo


def synthetic(i: int, voters: int) -> AcceptedBallot:
    digest = hashlib.sha256(i.to_bytes(8, "big")).digest()
    tracker = base64.b64encode(digest).decode().rstrip("=")
    return AcceptedBallot(tracker, digest.hex(), f"credential{i % voters}", 1, [])


async def stall_while(requests: list[asyncio.Task[httpx.Response]]) -> float:
    """The longest delay of a 1 ms timer while `requests` run: how long the loop was blocked."""
    worst = 0.0
    while not all(r.done() for r in requests):
        t0 = time.perf_counter()
        await asyncio.sleep(0.001)
        worst = max(worst, time.perf_counter() - t0 - 0.001)
    return worst


async def main(settings: Settings, uuid: str, ballots: int) -> None:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        live = app.state.elections.live[uuid]
        entries = [synthetic(i, ballots * 4 // 5) for i in range(ballots)]
        live.box.ballots.extend(entries)
        live._settled(entries)
        gc.freeze()  # as the server does with the ballots it loads at start
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            url = f"/elections/{uuid}/board"
            t0 = time.perf_counter()
            (await client.get(url)).raise_for_status()
            first = time.perf_counter() - t0
            t0 = time.perf_counter()
            (await client.get(f"{url}?page=30")).raise_for_status()
            later = time.perf_counter() - t0
            cached = []
            for _ in range(20):
                t0 = time.perf_counter()
                (await client.get(url)).raise_for_status()
                cached.append(time.perf_counter() - t0)
            pages = [asyncio.create_task(client.get(f"{url}?page={n}")) for n in range(2, 22)]
            stall = await stall_while(pages)
            cached_pages = [asyncio.create_task(client.get(url)) for _ in range(20)]
            baseline = await stall_while(cached_pages)
        info = app.state.elections.info(uuid)
        listing = [
            {"tracking_code": b.tracker, "superseded": live.superseded(i)}
            for i, b in enumerate(live.box.ballots)
        ]
        t0 = time.perf_counter()
        render("board.html", "en", election=info, ballots=listing, chain_head="x")
        whole = time.perf_counter() - t0
    print(f"board of {ballots} ballots")
    print(f"  first page, built and rendered: {first * 1000:8.1f} ms")
    print(f"  another page, built, rendered:  {later * 1000:8.1f} ms")
    print(f"  first page, cached (median):    {statistics.median(cached) * 1000:8.1f} ms")
    print(f"  whole list rendered at once:    {whole * 1000:8.1f} ms  ({whole / later:.0f}x)")
    print(f"  longest event-loop stall, 20 uncached pages at once: {stall * 1000:.1f} ms")
    print(f"  longest event-loop stall, 20 cached pages at once:   {baseline * 1000:.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=100_000)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", workers=1)
        uuid = prepare_demo(settings)["uuid"]
        asyncio.run(main(settings, uuid, parser.parse_args().ballots))
