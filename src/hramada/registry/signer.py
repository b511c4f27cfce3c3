"""The registry's blind signing in worker processes: every core signs, the event loop stays free.

Each worker loads an election's blind-signing key from its file (0600) once and keeps it; only
the key's path and the blinded message cross the pipe, and the blind signature comes back.
"""

from __future__ import annotations

import asyncio
import ctypes
import multiprocessing
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from hramada.crypto import blind_rsa

_keys: dict[str, blind_rsa.PrivateKey] = {}  # in each worker: key file -> key


def _die_with_parent() -> None:
    """Make the kernel end this worker when the service dies, even by SIGKILL (Linux)."""
    if sys.platform == "linux":
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _sign(path: str, blinded: bytes) -> bytes:
    key = _keys.get(path)
    if key is None:
        key = _keys[path] = blind_rsa.PrivateKey.from_pem(Path(path).read_bytes())
    return blind_rsa.blind_sign(key, blinded)


class Signers:
    """`workers` signing processes; with 0, the service signs in a thread of its own process."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool = self._new_pool() if workers else None

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_die_with_parent,
        )

    async def sign(self, key_file: Path, blinded: bytes) -> bytes:
        """The blind signature (checked before release); raises `BlindRSAError` on bad input.

        A worker that died breaks the pool: it is replaced and the signing runs once more."""
        pool = self.pool
        if pool is None:
            return await asyncio.to_thread(_sign, str(key_file), blinded)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(pool, _sign, str(key_file), blinded)
        except BrokenProcessPool:
            if self.pool is pool:  # the first of the failed signings replaces it
                self.pool = self._new_pool()
                pool.shutdown(wait=False, cancel_futures=True)
            return await loop.run_in_executor(self.pool, _sign, str(key_file), blinded)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
