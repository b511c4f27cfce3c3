"""Ballot checks spread over a Ray cluster: ballots go out in chunks, a bounded number at once.

The driver (`hramada verify --ray ADDRESS`) sends the election's checked setup to the cluster
once; each worker process unpickles it the first time it meets the election and keeps it.
Ballots are sent in chunks of `CHUNK` as the archive is walked, and at most `IN_FLIGHT` chunks
per CPU of the cluster are out at any time, so neither the driver nor the object store ever
holds more than that many chunks of ballots on their way. Every node needs the same Hramada
(and Ray) installed as the driver.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from hramada.election.box import Outcome
from hramada.election.context import ElectionContext
from hramada.verify.parallel import check_chunk, chunks

CHUNK = 128  # ballots per task: a task costs about a millisecond, a ballot several
IN_FLIGHT = 2  # chunks out per CPU of the cluster: each CPU has the next one waiting

_contexts: dict[str, ElectionContext] = {}  # in each worker process: election key -> setup


class RayUnavailable(Exception):
    """Ray is not installed, or the cluster cannot be reached."""


def _key(ctx: ElectionContext) -> str:
    return f"{ctx.uuid}|{ctx.fingerprint}"


def _check_on_worker(
    key: str, setup: list[Any], chunk: list[tuple[int, bytes]]
) -> list[tuple[int, Outcome]]:
    """Run in a Ray worker: `setup` wraps the ObjectRef of the context (a list, so that Ray
    does not fetch it for every task), fetched once per worker process."""
    import ray

    ctx = _contexts.get(key)
    if ctx is None:
        ctx = _contexts[key] = ray.get(setup[0])
    return check_chunk(ctx, chunk)


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


def check_ballots_ray(
    ctx: ElectionContext,
    ballots: Iterable[tuple[int, bytes]],
    address: str,
    progress: Callable[[int], None] | None = None,
) -> dict[int, Outcome]:
    """Check every (height, bytes) ballot on the Ray cluster; return each height's outcome."""
    ray = connect(address)
    advance = progress or (lambda _n: None)
    remote = ray.remote(num_cpus=1)(_check_on_worker)
    key, setup = _key(ctx), [ray.put(ctx)]
    limit = IN_FLIGHT * max(1, int(ray.cluster_resources().get("CPU", 1)))
    results: dict[int, Outcome] = {}
    pending: list[Any] = []

    def collect(ready: list[Any]) -> None:
        for done in ray.get(ready):
            results.update(done)
            advance(len(done))

    for chunk in chunks(ballots, CHUNK):
        if len(pending) >= limit:
            ready, pending = ray.wait(pending, num_returns=1)
            collect(ready)
        pending.append(remote.remote(key, setup, chunk))
    collect(pending)
    return results
