"""Size and rate limits. Client addresses are only ever held in memory, as keyed hashes."""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from hramada.server.problems import Problem

Endpoint = Callable[[Request], Awaitable[Response]]
_KEY = secrets.token_bytes(32)  # per process: the hashes mean nothing after a restart


def client_key(request: Request) -> bytes:
    host = request.client.host if request.client else ""
    return hashlib.blake2b(host.encode(), key=_KEY, digest_size=16).digest()


_DRAIN = 1 << 20  # bytes past the limit read and dropped so the 413 reaches the client


async def read_body(request: Request, limit: int, large: bool = False) -> bytes:
    """The request body, refused with 413 when it is larger than `limit` bytes. Call it
    only once the request is known to be allowed. `large` uploads (credentials, trustees'
    files) are read a few at a time; beyond that, 503.

    A body up to 1 MiB over the limit is read to its end and dropped before the 413: closing
    a socket with unread data resets the connection, and the client would lose the answer
    (the body deadline still bounds the time). Larger ones are cut off at once."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit + _DRAIN):
        raise Problem(413, "too large", f"the request body is larger than {limit} bytes")
    state = request.app.state
    if large and state.large_uploads >= state.settings.limits.large_uploads:
        raise Problem(503, "busy", "other uploads are being received: try again in a minute")
    state.large_uploads += large
    try:
        body, size = bytearray(), 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit + _DRAIN:
                break
            if size <= limit:
                body += chunk
        if size > limit:
            raise Problem(413, "too large", f"the request body is larger than {limit} bytes")
        return bytes(body)
    except ClientDisconnect:  # or cut off by the connection's deadline
        raise Problem(408, "timeout", "the request body did not arrive in time") from None
    finally:
        state.large_uploads -= large


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


def penalized(kind: str) -> Callable[[Endpoint], Endpoint]:
    """Count a client's refused requests of one kind (casting, logging in, trustees'
    uploads) and refuse a client that sends too many of that kind: failed logins do not stop
    the same address from casting. Every refusal counts except "not now" (the election's
    phase) and "the server is busy"; an unexpected failure counts too, and answers 500."""

    def wrap(endpoint: Endpoint) -> Endpoint:
        async def guarded(request: Request) -> Response:
            penalties: Penalties = request.app.state.penalties
            key = kind.encode() + client_key(request)
            penalties.check(key)
            try:
                return await endpoint(request)
            except Problem as p:
                if p.check not in ("phase", "busy"):
                    penalties.charge(key)
                raise
            except Exception as e:
                penalties.charge(key)
                raise unexpected(e, request) from None

        return guarded

    return wrap


_seen_failures: set[tuple[str, str, int]] = set()
log = logging.getLogger("hramada.server")


def unexpected(e: BaseException, request: Request) -> Problem:
    """A 500 for an exception nobody expected: its traceback is logged the first time this
    kind of failure happens at this place, then one line, so hostile requests that provoke
    it cannot flood the log."""
    tb = e.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = (
        type(e).__name__,
        tb.tb_frame.f_code.co_filename if tb else "",
        tb.tb_lineno if tb else 0,
    )
    if where in _seen_failures:
        log.error("%s %s failed again: %s: %s", request.method, request.url.path, where[0], e)
    else:
        _seen_failures.add(where)
        log.error("%s %s failed", request.method, request.url.path, exc_info=e)
    return Problem(500, "server", "the server failed to handle this request")
