"""Benchmark: ballots cast per second through the real server, against the goals per shape.

Run: .venv/bin/python bench/bench_server.py [--voters 3000] [--concurrency 64] [--workers 2]
                                             [--only sqlite|postgresql] [--client raw|httpx]

For SQLite and then PostgreSQL it starts `hramada serve` on a fresh data folder (and a
throwaway PostgreSQL cluster), and for two ballot shapes (a referendum: one yes/no question;
the council ballot of tests/server_harness.py) it sets up an Ed25519 election through the API
and the role commands, makes one valid ballot per voter in a process pool, and only then
starts the clock: every ballot is POSTed once by `--concurrency` clients on loopback.

In the same run it measures where the time goes: `check_ballot` on one core for the same
ballots, the append + fsync path alone, HTTP alone (GET requests with the same clients), the
CPU seconds of the load generator, the server's process and its checker processes during the
cast, and a py-spy profile of the server while it takes one re-vote from some voters.

Every archive is then downloaded and must pass `hramada verify`, and every tracking code the
server answered must be in it: the run fails otherwise.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import quote

import httpx

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "tests"))  # the server harness of the test suite

import server_harness  # noqa: E402
from load_ballots import AppendRate, CheckRate, append_rate, check_rate, make_ballots  # noqa: E402
from load_client import ENGINES, Call, Load, run_load  # noqa: E402
from load_cpu import CpuUse, Group, Profiler, cpu_between, py_spy, snapshot, summarize  # noqa: E402
from server_harness import PG_BIN, Election, Server, add_admin, download, postgres_cluster  # noqa: E402

from hramada.protocol.archive import read_archive  # noqa: E402

GOALS = {"referendum": 1000.0, "council": 600.0}  # accepted ballots/s (issue 10)
CORES = os.cpu_count() or 1
REFERENDUM = [
    {"question": "Adopt the charter?", "answers": ["Yes", "No"], "min": 1, "max": 1, "blank": False}
]
SHAPES: dict[str, list[dict[str, object]]] = {
    "referendum": REFERENDUM,  # 1 question, 2 choices: 2 ciphertexts, 5 proofs
    "council": server_harness.QUESTIONS,  # 3 candidates + blank (pick 1-2), and yes/no
}


STARTED = time.perf_counter()


def log(message: str) -> None:
    print(f"{time.perf_counter() - STARTED:6.0f} s  {message}", file=sys.stderr, flush=True)


# --- set-up ------------------------------------------------------------------------------


@contextmanager
def database(kind: str) -> Iterator[str | None]:
    """None for SQLite in the data folder, or the URL of a throwaway PostgreSQL cluster."""
    if kind == "sqlite":
        yield None
        return
    if PG_BIN is None:
        sys.exit("PostgreSQL is not installed (/usr/lib/postgresql/*/bin)")
    with postgres_cluster() as url:
        yield url


def open_election(
    client: httpx.Client, work: Path, voters: int, questions: list[dict[str, object]]
) -> Election:
    """The test harness's set-up (admin draft, credentials and trustee keys by the role
    commands, opening) with these questions."""
    return server_harness.set_up(
        client, work, voters, group="Ed25519", trustees=2, questions=questions
    )


def spoiled(ballot: bytes, uuid: str) -> bytes:
    """The ballot made for another election UUID: refused by the checker once it has loaded
    the election (used to start the checker processes before the clock starts)."""
    other = uuid[:-1] + ("2" if uuid[-1] != "2" else "3")
    return ballot.replace(uuid.encode(), other.encode(), 1)


# --- one scenario ------------------------------------------------------------------------


@dataclass
class Scenario:
    database: str
    shape: str
    voters: int
    make_seconds: float = 0.0
    check: CheckRate | None = None
    append: AppendRate | None = None
    cast: Load = field(default_factory=Load)
    cpu: CpuUse | None = None
    probes: dict[str, tuple[Load, CpuUse]] = field(default_factory=dict)
    profile: dict[str, Group] | None = None
    profile_seconds: float = 0.0
    profile_load: Load | None = None
    codes: list[str] = field(default_factory=list)  # every tracking code the server answered
    archive: Path | None = None
    archive_bytes: int = 0
    download_seconds: float = 0.0
    verify_seconds: float = 0.0
    verify_ok: bool = False
    verify_message: str = ""
    missing: int = 0  # answered tracking codes not in the archive
    extra: int = 0  # ballots in the archive beyond those answered

    @property
    def name(self) -> str:
        return f"{self.database} x {self.shape}"


def measured(
    server: Server, calls: list[Call], concurrency: int, engine: str
) -> tuple[Load, CpuUse]:
    """The load, and who used the CPU meanwhile."""
    assert server.process is not None
    before = snapshot()
    load = run_load(server.url, calls, concurrency, engine)
    return load, cpu_between(before, snapshot(), server.process.pid, load.client_cpu)


def codes_of(load: Load) -> list[str]:
    return [str(a["tracking_code"]) for a in load.answers if isinstance(a, dict)]


def run_scenario(
    server: Server,
    client: httpx.Client,
    scenario: Scenario,
    args: argparse.Namespace,
    work: Path,
    probe: bool,
) -> None:
    log(f"[{scenario.name}] setting up an election of {scenario.voters} voters")
    election = open_election(client, work, scenario.voters, SHAPES[scenario.shape])
    archive = download(client, election.uuid, work / "setup")
    uuid = election.uuid

    log(f"[{scenario.name}] making {scenario.voters} ballots on {CORES} processes")
    ballots, scenario.make_seconds = make_ballots(archive, election.credentials, 1, CORES)
    revoters = election.credentials[: min(args.profile_ballots, scenario.voters)]
    revotes, _ = make_ballots(archive, revoters, 2, CORES) if revoters else ([], 0.0)

    sample = ballots[: min(args.check_sample, len(ballots))]
    log(f"[{scenario.name}] check_ballot on one core, append path alone ({len(sample)} ballots)")
    scenario.check = check_rate(archive, sample)
    scenario.append = append_rate(archive, scenario.check, sample, args.concurrency)

    warm = max(2, 2 * args.workers)
    spoilt = Call("POST", cast_path(uuid), spoiled(ballots[0], uuid))
    warmup = run_load(server.url, [spoilt] * warm, warm, args.client)
    if warmup.statuses != {400: warm}:
        log(f"[{scenario.name}] warning: warm-up answers {dict(warmup.statuses)}")

    log(f"[{scenario.name}] casting {len(ballots)} ballots, {args.concurrency} clients")
    calls = [Call("POST", cast_path(uuid), b) for b in ballots]
    scenario.cast, scenario.cpu = measured(server, calls, args.concurrency, args.client)
    scenario.codes = codes_of(scenario.cast)
    log(
        f"[{scenario.name}] {scenario.cast.ok} accepted, {scenario.cast.refused} refused, "
        f"{scenario.cast.ok_per_second:.1f}/s"
    )

    if probe:  # HTTP alone: the same for every ballot shape, so once per server
        codes = scenario.codes or ["none"]
        n = args.probe_requests
        finds = [
            Call("GET", f"/api/elections/{uuid}/ballots/find?code={quote(codes[i % len(codes)])}")
            for i in range(n)
        ]
        info = [Call("GET", f"/api/elections/{uuid}")] * n
        listing = [Call("GET", "/api/elections")] * n
        probes = [
            ("GET .../ballots/find", finds, "raw"),
            ("GET /api/elections/{uuid}", info, "raw"),
            ("GET /api/elections", listing, "raw"),
            ("GET .../ballots/find", finds, "httpx"),  # what httpx itself costs
        ]
        for what, calls, engine in probes:
            log(f"[{scenario.name}] {n} x {what}, {engine} client")
            key = f"`{what}`, {engine} client"
            scenario.probes[key] = measured(server, calls, args.concurrency, engine)

    if revotes:
        assert server.process is not None
        log(f"[{scenario.name}] {len(revotes)} re-votes under py-spy")
        raw = work / "py-spy.txt"
        with Profiler(server.process.pid, raw, args.profile_rate) as profiler:
            calls = [Call("POST", cast_path(uuid), b) for b in revotes]
            scenario.profile_load = run_load(server.url, calls, args.concurrency, args.client)
        scenario.profile_seconds = profiler.seconds
        scenario.profile = summarize(raw) if raw.exists() else None
        scenario.codes += codes_of(scenario.profile_load)

    start = time.perf_counter()
    scenario.archive = download(client, uuid, work / "final")
    scenario.download_seconds = time.perf_counter() - start


def cast_path(uuid: str) -> str:
    return f"/api/elections/{uuid}/ballots"


def check_archive(scenario: Scenario) -> None:
    """`hramada verify` must pass, and every answered tracking code must be in the archive."""
    assert scenario.archive is not None
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "hramada", "verify", str(scenario.archive)],
        capture_output=True,
        text=True,
    )
    scenario.verify_seconds = time.perf_counter() - start
    counted = re.search(r"(\d+) valid ballots", done.stdout)
    scenario.verify_ok = done.returncode == 0
    scenario.verify_message = (
        f"{counted[1]} valid ballots" if counted and scenario.verify_ok
        else f"exit {done.returncode}: {(done.stderr or done.stdout).strip()[-400:]}"
    )  # fmt: skip
    scenario.archive_bytes = scenario.archive.stat().st_size
    archive = read_archive(scenario.archive)
    ballots = {e.payload for _, e in archive.events if e.type == "Ballot"}
    hexes = {base64.b64decode(c + "=" * (-len(c) % 4)).hex() for c in scenario.codes}
    scenario.missing = len(hexes - ballots)
    scenario.extra = len(ballots - hexes)


def run_database(kind: str, args: argparse.Namespace, work: Path) -> list[Scenario]:
    scenarios = [Scenario(kind, shape, args.voters) for shape in SHAPES]
    with database(kind) as url:
        data = work / kind / "server"
        add_admin(data, url)
        log(f"[{kind}] starting hramada serve --workers {args.workers}")
        server = Server(data, url, workers=args.workers).start()
        try:
            with server.client() as client:
                for n, scenario in enumerate(scenarios):
                    folder = work / kind / scenario.shape
                    run_scenario(server, client, scenario, args, folder, probe=n == 0)
        finally:
            server.stop()
    for scenario in scenarios:
        log(f"[{scenario.name}] hramada verify")
        check_archive(scenario)
    return scenarios


# --- the report --------------------------------------------------------------------------


def per_ballot_ms(seconds: float, n: int) -> str:
    return f"{1000 * seconds / n:.2f}" if n else "-"


def report(scenarios: list[Scenario], args: argparse.Namespace) -> None:
    cpu_model = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu_model = line.split(":", 1)[1].strip()
            break
    print(
        f"\nMeasured on this project's {CORES}-core machine ({cpu_model}, {CORES} vCPUs), "
        f"{date.today().isoformat()}: `hramada serve --workers {args.workers}`, Ed25519, "
        f"{args.voters} voters casting one ballot each, {args.concurrency} concurrent clients "
        f"on loopback ({args.client} HTTP/1.1 client; the load generator runs on the same "
        f"{CORES} cores). Goals: {GOALS['referendum']:.0f} referendum and "
        f"{GOALS['council']:.0f} council ballots accepted a second.\n"
    )
    print(
        "| database | ballot | accepted/s | of goal | p50 ms | p99 ms | accepted | refused "
        "| archive |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for s in scenarios:
        c = s.cast
        ok = s.verify_ok and not s.missing and not s.extra
        verdict = "verified, all codes in" if ok else "**FAILED**"
        print(
            f"| {s.database} | {s.shape} | **{c.ok_per_second:.1f}** | "
            f"{100 * c.ok_per_second / GOALS[s.shape]:.0f} % | {c.percentile(50):.0f} | "
            f"{c.percentile(99):.0f} | {c.ok} | {c.refused} | {verdict} |"
        )

    print("\nWhere the time goes, same run (ballot shapes measured in-process, one core):\n")
    print(
        "| database | ballot | make ballots/s (all cores) | check_ballot/s (1 core) "
        "| append µs | fsync ms (per batch) | append path ballots/s |"
    )
    print("|---|---|---|---|---|---|---|")
    for s in scenarios:
        assert s.check is not None and s.append is not None
        a = s.append
        print(
            f"| {s.database} | {s.shape} | {s.voters / s.make_seconds:.0f} | "
            f"{s.check.per_second:.0f} | {1e6 * a.append_seconds / a.ballots:.0f} | "
            f"{1000 * a.sync_seconds / a.syncs:.2f} ({a.ballots // a.syncs}) | "
            f"{a.per_second:.0f} |"
        )

    print(
        "\nCPU during the cast, per accepted ballot (ms of CPU), and cores busy on average "
        f"(of {CORES}):\n"
    )
    print(
        "| database | ballot | load generator | server process | checker processes | other "
        "| machine busy, cores | server-only ceiling/s | checks-only ceiling/s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    notes = []
    for s in scenarios:
        assert s.cpu is not None and s.check is not None
        u, n = s.cpu, s.cast.ok
        server_cpu = u.server + u.checkers
        ceiling = CORES * n / server_cpu if server_cpu else 0.0
        print(
            f"| {s.database} | {s.shape} | {per_ballot_ms(u.client, n)} | "
            f"{per_ballot_ms(u.server, n)} | {per_ballot_ms(u.checkers, n)} | "
            f"{per_ballot_ms(u.other, n)} | {u.cores(u.machine):.2f} | {ceiling:.0f} | "
            f"{CORES * s.check.per_second:.0f} |"
        )
        top = sorted(u.others.items(), key=lambda kv: -kv[1])[:3]
        named = ", ".join(f"{name} {per_ballot_ms(cpu, n)}" for name, cpu in top if cpu >= 0.01)
        notes.append(f"{s.name}: other = {named or 'nothing named'}, the rest kernel")
    print(
        "\n(other: "
        + "; ".join(notes)
        + f". Stolen by the hypervisor: {sum(s.cpu.steal for s in scenarios if s.cpu):.1f} s "
        "in all.)"
    )
    busy = [
        f"{s.name}: {', '.join(f'{k} {v:.1f} s' for k, v in s.cpu.others.items() if v >= 0.5)}"
        for s in scenarios
        if s.cpu and any(v >= 0.5 and not k.startswith("kworker") for k, v in s.cpu.others.items())
    ]
    if busy:
        print(
            "\n**The machine was not quiet**: other processes used CPU during the cast ("
            + "; ".join(busy)
            + "): the rates above are lower than on a quiet machine."
        )
    print(
        "\n(server-only ceiling: the rate if the server had every core, i.e. "
        "cores / (server + checker CPU per ballot); checks-only: cores x check_ballot/s.)"
    )

    print(
        f"\nHTTP alone: {args.probe_requests} requests each, {args.concurrency} clients "
        "(`find` reads a dict in memory; the election's info, which the voting page shows, "
        "and the list of elections also read the database, in the event loop):\n"
    )
    print(
        "| database | request | req/s | p50 ms | p99 ms | load generator ms/req "
        "| server ms/req | machine busy, cores |"
    )
    print("|---|---|---|---|---|---|---|---|")
    seen: set[str] = set()
    for s in scenarios:
        if s.database in seen:
            continue  # the same for both ballot shapes
        seen.add(s.database)
        for what, (load, u) in s.probes.items():
            print(
                f"| {s.database} | {what} | {load.ok_per_second:.0f} | "
                f"{load.percentile(50):.1f} | {load.percentile(99):.1f} | "
                f"{per_ballot_ms(u.client, load.ok)} | {per_ballot_ms(u.server, load.ok)} | "
                f"{u.cores(u.machine):.2f} |"
            )

    for s in scenarios:
        if s.profile is None or s.profile_load is None:
            continue
        p = s.profile_load
        print(
            f"\npy-spy, {s.name}: {p.ok} re-votes at {p.ok_per_second:.1f}/s under the profiler "
            f"({args.profile_rate} samples/s for {s.profile_seconds:.1f} s); cores = samples / "
            "(rate x seconds); frames: self time of the innermost Python function (C calls "
            "included):\n"
        )
        total = args.profile_rate * s.profile_seconds
        for kind, group in sorted(s.profile.items(), key=lambda kv: -kv[1].samples):
            active = max(1, group.samples - group.waiting)
            share = ", ".join(
                f"{m} {100 * c / active:.0f} %" for m, c in group.self_modules.most_common(6)
            )
            print(
                f"- **{kind}**: {active / total:.2f} cores busy (+{group.waiting / total:.2f} "
                f"waiting in select/wait/queue get); busy samples by module: {share}"
            )
            for frame, count in group.self_frames.most_common(args.profile_top):
                print(f"  - {100 * count / active:4.1f} %  {frame}")

    print()
    for s in scenarios:
        loads: list[tuple[str, Load | None]] = [("cast", s.cast), ("re-votes", s.profile_load)]
        for what, batch in loads:
            if batch is not None and batch.errors:
                reasons = "; ".join(f"{n} x {r}" for r, n in batch.errors.most_common(5))
                print(f"- refused, {s.name}, {what}: {reasons}")
    for s in scenarios:
        state = "ok" if s.verify_ok and not s.missing and not s.extra else "FAILED"
        print(
            f"- archive {s.name} ({s.archive_bytes / 1e6:.1f} MB, "
            f"downloaded in {s.download_seconds:.2f} s): "
            f"`hramada verify` {s.verify_message} ({s.verify_seconds:.1f} s); "
            f"{len(s.codes)} tracking codes answered, {s.missing} missing from the archive, "
            f"{s.extra} ballots in it that were never answered: {state}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voters", type=int, default=3000, help="voters (ballots) per election")
    parser.add_argument("--concurrency", type=int, default=64, help="concurrent HTTP clients")
    parser.add_argument(
        "--workers", type=int, default=CORES, help="hramada serve --workers (checker processes)"
    )
    parser.add_argument(
        "--client",
        choices=ENGINES,
        default="raw",
        help="load generator for the casts: lean HTTP/1.1 on asyncio streams, or httpx",
    )
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="one database only")
    parser.add_argument(
        "--shape", choices=list(SHAPES), action="append", help="ballot shape(s) (default: both)"
    )
    parser.add_argument("--check-sample", type=int, default=300, help="ballots for check/append")
    parser.add_argument("--probe-requests", type=int, default=1000, help="GET requests per probe")
    parser.add_argument(
        "--profile-ballots", type=int, default=400, help="re-votes cast under py-spy (0: none)"
    )
    parser.add_argument("--profile-rate", type=int, default=100, help="py-spy samples/s")
    parser.add_argument("--profile-top", type=int, default=8, help="frames listed per kind")
    parser.add_argument("--keep", type=Path, help="keep the work folder here")
    args = parser.parse_args()
    if args.shape:
        for name in list(SHAPES):
            if name not in args.shape:
                del SHAPES[name]
    if args.profile_ballots and py_spy() is None:
        log("py-spy is not installed (.venv/bin/pip install py-spy): no profile")
        args.profile_ballots = 0

    work = args.keep or Path(tempfile.mkdtemp(prefix="hramada-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    scenarios: list[Scenario] = []
    try:
        for kind in [args.only] if args.only else ["sqlite", "postgresql"]:
            scenarios += run_database(kind, args, work)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    report(scenarios, args)
    print(f"\n(whole benchmark: {time.perf_counter() - start:.0f} s)")
    if any(not s.verify_ok or s.missing or s.extra for s in scenarios):
        sys.exit("FAILED: an archive does not verify or lacks an accepted ballot")


if __name__ == "__main__":
    main()
