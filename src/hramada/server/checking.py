"""Ballot checks in worker processes, so the event loop stays free while proofs are verified.

Each worker keeps the checked setup of every election it has seen; the first ballot of an
election sent to a worker that lacks it comes back with `NeedSetup` and is sent again with
the setup attached.
"""

from __future__ import annotations

import asyncio
import ctypes
import multiprocessing
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from hramada.election.ballot import AcceptedBallot, check_ballot
from hramada.election.context import ElectionContext, load_context

Setup = tuple[bytes, bytes, bytes]  # election, trustees, public credentials

_contexts: dict[str, ElectionContext] = {}  # in each worker: uuid -> checked setup


class NeedSetup(Exception):
    """This worker has not loaded the election yet."""


def _die_with_parent() -> None:
    """Make the kernel end this worker when the server dies, even by SIGKILL (Linux)."""
    if sys.platform == "linux":
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _check(uuid: str, data: bytes, setup: Setup | None) -> AcceptedBallot:
    ctx = _contexts.get(uuid)
    if ctx is None:
        if setup is None:
            raise NeedSetup(uuid)
        ctx = _contexts[uuid] = load_context(*setup)
    return check_ballot(ctx, data)


class Checker:
    """A pool of processes running `check_ballot`."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_die_with_parent,
        )

    async def check(self, uuid: str, data: bytes, setup: Setup) -> AcceptedBallot:
        """Run every stateless acceptance rule; raises `Rejected` naming the failed rule.

        A worker that died (killed by the OOM killer, say) breaks the pool: the pool is
        replaced and the check runs once more."""
        pool = self.pool
        try:
            return await self._check(pool, uuid, data, setup)
        except BrokenProcessPool:
            if self.pool is pool:  # the first of the failed checks replaces it
                self.pool = self._new_pool()
                pool.shutdown(wait=False, cancel_futures=True)
            return await self._check(self.pool, uuid, data, setup)

    @staticmethod
    async def _check(
        pool: ProcessPoolExecutor, uuid: str, data: bytes, setup: Setup
    ) -> AcceptedBallot:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(pool, _check, uuid, data, None)
        except NeedSetup:
            return await loop.run_in_executor(pool, _check, uuid, data, setup)

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)
