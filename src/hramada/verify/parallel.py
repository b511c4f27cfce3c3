"""Ballot checks spread over every core: ballots are independent of each other."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from itertools import chain, islice
from multiprocessing import get_context

from hramada.election.ballot import check_ballot
from hramada.election.box import Outcome
from hramada.election.context import ElectionContext
from hramada.election.errors import Rejected

_CHUNK = 8
_IN_FLIGHT = 4  # chunks out per worker: each has the next ones waiting, and no more are read
_context: ElectionContext | None = None  # inherited by forked workers, tables included

Chunk = list[tuple[int, bytes]]


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


def _check_chunk(chunk: Chunk) -> list[tuple[int, Outcome]]:
    assert _context is not None
    return check_chunk(_context, chunk)


def default_workers() -> int:
    return len(os.sched_getaffinity(0))


def check_ballots(
    ctx: ElectionContext,
    ballots: Iterable[tuple[int, bytes]],
    workers: int,
    progress: Callable[[int], None] | None = None,
) -> dict[int, Outcome]:
    """Check every (height, bytes) ballot; return each height's outcome. The ballots are taken
    from `ballots` as the workers get to them: a lazy iterable is never held whole."""
    global _context
    _context = ctx
    advance = progress or (lambda _n: None)
    results: dict[int, Outcome] = {}

    def collect(done: Iterable[Future[list[tuple[int, Outcome]]]]) -> None:
        for future in done:
            outcomes = future.result()
            results.update(outcomes)
            advance(len(outcomes))

    pieces = chunks(ballots, _CHUNK)
    first = list(islice(pieces, 2))
    if workers <= 1 or len(first) <= 1:
        for chunk in chain(first, pieces):
            results.update(_check_chunk(chunk))
            advance(len(chunk))
        return results
    # Build the verification tables of g and of the election key once, before the workers fork.
    ctx.group.g_pow_mul(1, ctx.group.g, 1)
    ctx.y_table.pow_mul(1, ctx.group.g, 1)
    with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
        pending: set[Future[list[tuple[int, Outcome]]]] = set()
        for chunk in chain(first, pieces):
            if len(pending) >= _IN_FLIGHT * workers:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                collect(done)
            pending.add(pool.submit(_check_chunk, chunk))
        collect(wait(pending)[0])
    return results
