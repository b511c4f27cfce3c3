"""Size and rate limits. Client addresses are only ever held in memory, as keyed hashes."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from hramada.server.problems import Problem

Endpoint = Callable[[Request], Awaitable[Response]]
_KEY = secrets.token_bytes(32)  # per process: the hashes mean nothing after a restart


def client_key(request: Request) -> bytes:
    host = request.client.host if request.client else ""
    return hashlib.blake2b(host.encode(), key=_KEY, digest_size=16).digest()


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it grows past `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise Problem(413, "too large", f"the request body is larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem(413, "too large", f"the request body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


class Penalties:
    """A token bucket per client for requests that were refused (bad ballots, bad passwords):
    honest clients never run out, a client sending garbage soon gets 429."""

    def __init__(self, per_minute: float, burst: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.buckets: dict[bytes, tuple[float, float]] = {}

    def _level(self, key: bytes, now: float) -> float:
        tokens, at = self.buckets.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - at) * self.rate)

    def check(self, key: bytes) -> None:
        """Refuse a client that has used up its allowance of refused requests."""
        if self._level(key, time.monotonic()) < 1.0:
            raise Problem(429, "rate", "too many refused requests: please wait a minute")

    def charge(self, key: bytes) -> None:
        now = time.monotonic()
        self.buckets[key] = (self._level(key, now) - 1.0, now)
        if len(self.buckets) > 100_000:  # forget the clients that have recovered
            self.buckets = {
                k: v for k, v in self.buckets.items() if self._level(k, now) < self.burst
            }


def penalized(endpoint: Endpoint) -> Endpoint:
    """Count a client's refused requests and refuse a client that sends too many."""

    async def guarded(request: Request) -> Response:
        penalties: Penalties = request.app.state.penalties
        key = client_key(request)
        penalties.check(key)
        try:
            return await endpoint(request)
        except Problem as p:
            if 400 <= p.status < 500 and p.check != "phase":
                penalties.charge(key)
            raise

    return guarded
