"""Benchmark: honest voters casting while hostile clients attack the same server.

Run: .venv/bin/python bench/bench_hostile.py [--voters 1500] [--concurrency 64] [--idle 1000]

It starts the real `hramada serve --workers 2` (SQLite), sets up an Ed25519 referendum through
the API and the role commands (the machinery of bench_server.py), makes 2 x `--voters` valid
ballots, then casts the first half from `--concurrency` clients on a quiet server, and the
second half while another process (from 127.0.0.2, so its refusals are charged to it) holds
`--idle` idle connections (re-opened when closed), dribbles slow bodies, sends oversize
unauthenticated uploads and garbage ballots. It reports the honest clients' accepted ballots/s
and p99 latency in both phases, what the attackers got, and then checks that the archive
verifies and holds every acknowledged ballot.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "tests"))

from bench_server import REFERENDUM, Scenario, cast_path, check_archive, codes_of  # noqa: E402
from load_ballots import make_ballots  # noqa: E402
from load_client import Call, Load, run_load  # noqa: E402
from server_harness import Server, add_admin, download, set_up  # noqa: E402

ATTACKER = "127.0.0.2"


async def _attack(port: int, uuid: str, idle: int, stop: Any, seen: Counter[str]) -> None:
    """Every kind of hostile client at once, until the clock reaches `stop`."""

    async def opened() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection("127.0.0.1", port, local_addr=(ATTACKER, 0))

    async def answer(reader: asyncio.StreamReader) -> None:
        line = await reader.readline()
        seen[line.split(b" ")[1].decode() if line.count(b" ") >= 2 else "closed"] += 1

    async def hold_idle() -> None:
        while time.time() < stop.value:
            try:
                reader, writer = await opened()
                await reader.read(65536)  # until the server closes it
                writer.close()
                seen["idle closed by the server"] += 1
            except OSError:
                await asyncio.sleep(0.1)

    async def slow_body() -> None:
        while time.time() < stop.value:
            try:
                reader, writer = await opened()
                writer.write(
                    f"POST {cast_path(uuid)} HTTP/1.1\r\nHost: x\r\n"
                    "Content-Length: 4000\r\n\r\n{".encode()
                )
                while not reader.at_eof() and time.time() < stop.value:
                    writer.write(b" ")
                    await writer.drain()
                    try:
                        await asyncio.wait_for(answer(reader), 1.0)
                        break
                    except TimeoutError:
                        pass
                writer.close()
            except OSError:
                await asyncio.sleep(0.1)

    async def oversize() -> None:
        size = 250 * 1024 * 1024
        while time.time() < stop.value:
            try:
                reader, writer = await opened()
                writer.write(
                    f"PUT /api/trustee/not-a-token/decryption HTTP/1.1\r\nHost: x\r\n"
                    f"Content-Length: {size}\r\n\r\n".encode()
                )
                for _ in range(64):
                    writer.write(b"\0" * (1 << 20))
                    await writer.drain()
                await answer(reader)
                writer.close()
            except OSError:
                seen["upload cut off"] += 1
                await asyncio.sleep(0.05)

    async def garbage() -> None:
        while time.time() < stop.value:
            try:
                reader, writer = await opened()
                body = os.urandom(2000)
                writer.write(
                    f"POST {cast_path(uuid)} HTTP/1.1\r\nHost: x\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await answer(reader)
                writer.close()
            except OSError:
                await asyncio.sleep(0.05)

    tasks = [hold_idle() for _ in range(idle)]
    tasks += [slow_body() for _ in range(32)] + [oversize() for _ in range(3)]
    tasks += [garbage() for _ in range(4)]
    await asyncio.gather(*tasks)


def attack(port: int, uuid: str, idle: int, stop: Any, out: Any) -> None:
    seen: Counter[str] = Counter()
    asyncio.run(_attack(port, uuid, idle, stop, seen))
    out.put(dict(seen))


def report(name: str, load: Load) -> str:
    return (
        f"| {name} | **{load.ok_per_second:.1f}** | {load.percentile(50):.0f} | "
        f"{load.percentile(99):.0f} | {load.ok} | {load.refused} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=1500, help="ballots per phase")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--idle", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hramada-hostile-"))
    data = work / "server"
    add_admin(data, None)
    server = Server(data, workers=args.workers).start()
    try:
        with server.client() as client:
            election = set_up(client, work, 2 * args.voters, trustees=2, questions=REFERENDUM)
            archive = download(client, election.uuid, work / "setup")
            ballots, _ = make_ballots(archive, election.credentials, 1, os.cpu_count() or 1)
            calls = [Call("POST", cast_path(election.uuid), b) for b in ballots]
            quiet = run_load(server.url, calls[: args.voters], args.concurrency)
            print("quiet:", report("quiet", quiet), file=sys.stderr)

            out = multiprocessing.Queue()
            stop = multiprocessing.Value("d", time.time() + 3600)
            attacker = multiprocessing.Process(
                target=attack, args=(server.port, election.uuid, args.idle, stop, out)
            )
            attacker.start()
            time.sleep(5)  # let the crowd gather
            attacked = run_load(server.url, calls[args.voters :], args.concurrency)
            stop.value = time.time()
            attacker.join(30)
            attacker.terminate()
            seen = out.get(timeout=5) if not out.empty() else {}
            print("attacked:", report("attacked", attacked), seen, file=sys.stderr)

            scenario = Scenario("sqlite", "referendum", 2 * args.voters)
            scenario.codes = codes_of(quiet) + codes_of(attacked)
            scenario.archive = download(client, election.uuid, work / "final")
        check_archive(scenario)
    finally:
        server.stop()
    print(
        f"\n{args.voters} ballots per phase, {args.concurrency} honest clients, "
        f"{args.idle} idle attackers + 32 slow bodies + 3 oversize uploads + 4 garbage:\n"
    )
    print("| phase | accepted/s | p50 ms | p99 ms | accepted | refused |")
    print("|---|---|---|---|---|---|")
    print(report("quiet", quiet))
    print(report("under attack", attacked))
    print(f"\nratio under attack / quiet: {attacked.ok_per_second / quiet.ok_per_second:.2f}")
    print(f"honest refusals under attack: {dict(attacked.errors)}")
    print(f"what the attackers got (first line of each answer): {seen}")
    ok = scenario.verify_ok and not scenario.missing and not scenario.extra
    print(
        f"archive: {scenario.verify_message}; acknowledged but missing: {scenario.missing}; "
        f"unacknowledged extra: {scenario.extra} -> {'OK' if ok else 'FAILED'}"
    )


if __name__ == "__main__":
    main()
