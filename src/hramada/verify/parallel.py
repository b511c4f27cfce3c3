"""Work spread over every core, in chunks independent of each other: the credential keys of
the setup are checked, the ballots are checked, and the tally of the last ballots is taken."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import replace
from itertools import chain, islice
from multiprocessing import get_context
from typing import TypeVar

from hramada.election.ballot import AcceptedBallot, check_ballot, reread_ballot
from hramada.election.box import Outcome
from hramada.election.context import ElectionContext
from hramada.election.credentials import credential_key_problem
from hramada.election.errors import Rejected
from hramada.election.tally import EncryptedTally, compute_tally

_CHUNK = 8
KEYS_PER_BALLOT = 16  # a credential key costs well under a sixteenth of a ballot to check
_IN_FLIGHT = 4  # chunks out per worker: each has the next ones waiting, and no more are read
_context: ElectionContext | None = None  # inherited by forked workers, tables included

Chunk = list[tuple[int, bytes]]
R = TypeVar("R")
Job = Callable[[ElectionContext, Chunk], R]


def chunks(ballots: Iterable[tuple[int, bytes]], size: int) -> Iterator[Chunk]:
    """The ballots in lists of `size`, taken from `ballots` only as each list is asked for."""
    it = iter(ballots)
    while chunk := list(islice(it, size)):
        yield chunk


def check_chunk(ctx: ElectionContext, chunk: Chunk) -> list[tuple[int, Outcome]]:
    """Check each (height, bytes) ballot of a chunk; return each height's outcome."""
    out: list[tuple[int, Outcome]] = []
    for height, data in chunk:
        try:
            out.append((height, check_ballot(ctx, data)))
        except Rejected as e:
            out.append((height, (e.check, e.detail)))
    return out


def verdict_chunk(ctx: ElectionContext, chunk: Chunk) -> list[tuple[int, Outcome]]:
    """`check_chunk` without the accepted ballots' ciphertexts, which the verifier does not
    keep: it takes the tally of the last ballots with `tally_chunk`."""
    return [
        (height, replace(o, ciphertexts=[]) if isinstance(o, AcceptedBallot) else o)
        for height, o in check_chunk(ctx, chunk)
    ]


def tally_chunk(ctx: ElectionContext, chunk: Chunk) -> EncryptedTally | tuple[str, str]:
    """The encrypted tally of a chunk of accepted ballots (each the last of its credential),
    or the (check, detail) that refuses it."""
    try:
        return compute_tally(ctx, [reread_ballot(ctx, data) for _, data in chunk])
    except Rejected as e:
        return e.check, e.detail


def keys_chunk(ctx: ElectionContext, chunk: Chunk) -> list[tuple[int, str]]:
    """(entry, why) for each credential key of a chunk of (entry, key) that is not one."""
    problems = []
    for entry, key in chunk:
        problem = credential_key_problem(ctx.group, key.decode())
        if problem is not None:
            problems.append((entry, problem))
    return problems


def _run(job: Job[R], chunk: Chunk) -> R:
    assert _context is not None
    return job(_context, chunk)


def default_workers() -> int:
    return len(os.sched_getaffinity(0))


def run_chunks(
    ctx: ElectionContext,
    job: Job[R],
    ballots: Iterable[tuple[int, bytes]],
    workers: int,
    scale: int = 1,
) -> Iterator[tuple[int, R]]:
    """(size, `job(ctx, chunk)`) for every chunk of the (height, bytes) ballots, as they are
    done; chunks are `scale` times the ballots' size, for items cheaper than a ballot. The
    ballots are taken from `ballots` as the workers get to them: a lazy iterable is never held
    whole."""
    global _context
    _context = ctx
    pieces = chunks(ballots, _CHUNK * scale)
    first = list(islice(pieces, 2))
    if workers <= 1 or len(first) <= 1:
        for chunk in chain(first, pieces):
            yield len(chunk), job(ctx, chunk)
        return
    # Build the verification tables of g and of the election key once, before the workers fork.
    ctx.group.g_pow_mul(1, ctx.group.g, 1)
    ctx.y_table.pow_mul(1, ctx.group.g, 1)
    with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
        pending: dict[Future[R], int] = {}
        for chunk in chain(first, pieces):
            if len(pending) >= _IN_FLIGHT * workers:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield pending.pop(future), future.result()
            pending[pool.submit(_run, job, chunk)] = len(chunk)
        for future in wait(pending)[0]:
            yield pending[future], future.result()


def check_ballots(
    ctx: ElectionContext,
    ballots: Iterable[tuple[int, bytes]],
    workers: int,
    progress: Callable[[int], None] | None = None,
) -> dict[int, Outcome]:
    """Check every (height, bytes) ballot; return each height's outcome."""
    results: dict[int, Outcome] = {}
    for size, outcomes in run_chunks(ctx, check_chunk, ballots, workers):
        results.update(outcomes)
        if progress:
            progress(size)
    return results
