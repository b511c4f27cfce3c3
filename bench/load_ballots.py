"""Ballots for the server benchmark, made in a pool of processes before the clock starts."""

from __future__ import annotations

import multiprocessing
import random
import time
from dataclasses import dataclass
from pathlib import Path

from hramada.election.ballot import AcceptedBallot, check_ballot, create_ballot
from hramada.election.box import BallotBox
from hramada.election.context import ElectionContext, context_from_archive
from hramada.election.demo import random_plaintext
from hramada.protocol.archive import read_archive
from hramada.protocol.canonical import decode
from hramada.protocol.model import SetupData

_ctx: ElectionContext | None = None  # in each pool process: the election's checked setup


def _load(archive: str) -> None:
    global _ctx
    _ctx = context_from_archive(read_archive(Path(archive)))


def _make(item: tuple[str, list[list[int]]]) -> bytes:
    assert _ctx is not None
    credential, plaintexts = item
    return create_ballot(_ctx, credential, plaintexts)


def make_ballots(
    archive: Path, credentials: list[str], seed: int, processes: int
) -> tuple[list[bytes], float]:
    """One random valid ballot per credential for the election of `archive` (its Setup is
    all that is read), and the wall-clock seconds it took."""
    ctx = context_from_archive(read_archive(archive))
    rng = random.Random(seed)
    items = [(c, [random_plaintext(q, rng) for q in ctx.election.questions]) for c in credentials]
    start = time.perf_counter()
    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(processes, initializer=_load, initargs=(str(archive),)) as pool:
        chunk = max(1, len(items) // (processes * 8))
        ballots = pool.map(_make, items, chunksize=chunk)
    return ballots, time.perf_counter() - start


@dataclass
class CheckRate:
    ballots: int
    seconds: float
    accepted: list[AcceptedBallot]

    @property
    def per_second(self) -> float:
        return self.ballots / self.seconds


def check_rate(archive: Path, ballots: list[bytes]) -> CheckRate:
    """`check_ballot` in this one process (one core), as a checker worker runs it."""
    ctx = context_from_archive(read_archive(archive))
    check_ballot(ctx, ballots[0])  # warm the fixed-base tables
    start = time.perf_counter()
    accepted = [check_ballot(ctx, b) for b in ballots]
    return CheckRate(len(ballots), time.perf_counter() - start, accepted)


@dataclass
class AppendRate:
    ballots: int
    append_seconds: float  # appends (with sync=False), as the event loop makes them
    syncs: int
    sync_seconds: float  # the fsyncs of the group commit

    @property
    def per_second(self) -> float:
        return self.ballots / (self.append_seconds + self.sync_seconds)


def append_rate(archive: Path, checked: CheckRate, ballots: list[bytes], batch: int) -> AppendRate:
    """The server's append path alone, in this process: `BallotBox.cast` of ballots already
    checked (`sync=False`, as `Live.accept` does) and one fsync per `batch` of them, into a
    fresh archive with the same setup, on the same disk."""
    source = read_archive(archive)
    setup = decode(source.payload(source.events[0][1]), SetupData, "setup data")
    parts = [source.data[h] for h in (setup.election, setup.trustees, setup.credentials)]
    path = archive.with_name("append-probe.bel")
    path.unlink(missing_ok=True)
    box = BallotBox.create(path, *parts)
    append = sync = 0.0
    syncs = 0
    for i, (data, accepted) in enumerate(zip(ballots, checked.accepted, strict=True), 1):
        t0 = time.perf_counter()
        box.cast(data, accepted, sync=False)
        t1 = time.perf_counter()
        append += t1 - t0
        if i % batch == 0 or i == len(ballots):
            box.sync()
            sync += time.perf_counter() - t1
            syncs += 1
    path.unlink()
    return AppendRate(len(ballots), append, syncs, sync)
