"""Ballot checks spread over every core: ballots are independent of each other."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context

from hramada.election.ballot import check_ballot
from hramada.election.box import Outcome
from hramada.election.context import ElectionContext
from hramada.election.errors import Rejected

_CHUNK = 8
_context: ElectionContext | None = None  # inherited by forked workers, tables included


def check_chunk(ctx: ElectionContext, chunk: list[tuple[int, bytes]]) -> list[tuple[int, Outcome]]:
    """Check each (height, bytes) ballot of a chunk; return each height's outcome."""
    out: list[tuple[int, Outcome]] = []
    for height, data in chunk:
        try:
            out.append((height, check_ballot(ctx, data)))
        except Rejected as e:
            out.append((height, (e.check, e.detail)))
    return out


def _check_chunk(chunk: list[tuple[int, bytes]]) -> list[tuple[int, Outcome]]:
    assert _context is not None
    return check_chunk(_context, chunk)


def default_workers() -> int:
    return len(os.sched_getaffinity(0))


def check_ballots(
    ctx: ElectionContext,
    ballots: list[tuple[int, bytes]],
    workers: int,
    progress: Callable[[int], None] | None = None,
) -> dict[int, Outcome]:
    """Check every (height, bytes) ballot; return each height's outcome."""
    global _context
    _context = ctx
    advance = progress or (lambda _n: None)
    chunks = [ballots[i : i + _CHUNK] for i in range(0, len(ballots), _CHUNK)]
    results: dict[int, Outcome] = {}
    if workers <= 1 or len(chunks) <= 1:
        for chunk in chunks:
            results.update(_check_chunk(chunk))
            advance(len(chunk))
        return results
    # Build the verification tables of g and of the election key once, before the workers fork.
    ctx.group.g_pow_mul(1, ctx.group.g, 1)
    ctx.y_table.pow_mul(1, ctx.group.g, 1)
    with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
        futures = [pool.submit(_check_chunk, chunk) for chunk in chunks]
        for future in as_completed(futures):
            done = future.result()
            results.update(done)
            advance(len(done))
    return results
