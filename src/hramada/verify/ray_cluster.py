"""Ballot work spread over a Ray cluster: ballots go out in chunks, a bounded number at once.

The driver (`hramada verify --ray ADDRESS`) sends the election's checked setup to the cluster
once; each worker process unpickles it the first time it meets the election and keeps it.
Ballots are read from the archive and sent in chunks of `CHUNK` (to be checked, and once the
election is closed the last ballots again, to take their tally), and at most `IN_FLIGHT`
chunks per CPU of the cluster are out at any time, so neither the driver nor the object store
ever holds more than that many chunks of ballots on their way. Every node needs the same
Hramada (and Ray) installed as the driver.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from hramada.election.context import ElectionContext
from hramada.verify.parallel import Chunk, Job, chunks

R = TypeVar("R")

CHUNK = 128  # ballots per task: a task costs about a millisecond, a ballot several
IN_FLIGHT = 2  # chunks out per CPU of the cluster: each CPU has the next one waiting

_contexts: dict[str, ElectionContext] = {}  # in each worker process: election key -> setup


class RayUnavailable(Exception):
    """Ray is not installed, or the cluster cannot be reached."""


def _key(ctx: ElectionContext) -> str:
    return f"{ctx.uuid}|{ctx.fingerprint}"


def _run_on_worker(key: str, setup: list[Any], job: Job[R], chunk: Chunk) -> R:
    """Run in a Ray worker: `setup` wraps the ObjectRef of the context (a list, so that Ray
    does not fetch it for every task), fetched once per worker process."""
    import ray

    ctx = _contexts.get(key)
    if ctx is None:
        ctx = _contexts[key] = ray.get(setup[0])
    return job(ctx, chunk)


def connect(address: str) -> Any:
    """Join the Ray cluster at `address` (as `ray.init` takes it; `auto`: a local one)."""
    try:
        import ray
    except ImportError:
        raise RayUnavailable("Ray is not installed: pip install 'hramada[ray]'") from None
    if not ray.is_initialized():
        try:
            ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as e:
            raise RayUnavailable(f"cannot join the Ray cluster at {address}: {e}") from None
    return ray


def run_chunks_ray(
    ctx: ElectionContext, job: Job[R], ballots: Iterable[tuple[int, bytes]], address: str
) -> Iterator[tuple[int, R]]:
    """(size, `job(ctx, chunk)`) for every chunk of the (height, bytes) ballots, run on the Ray
    cluster at `address`, as they are done."""
    ray = connect(address)
    remote = ray.remote(num_cpus=1)(_run_on_worker)
    key, setup = _key(ctx), [ray.put(ctx)]
    limit = IN_FLIGHT * max(1, int(ray.cluster_resources().get("CPU", 1)))
    pending: dict[Any, int] = {}
    for chunk in chunks(ballots, CHUNK):
        if len(pending) >= limit:
            [ready], _ = ray.wait(list(pending), num_returns=1)
            yield pending.pop(ready), ray.get(ready)
        pending[remote.remote(key, setup, job, chunk)] = len(chunk)
    for ref, size in pending.items():
        yield size, ray.get(ref)
