"""What the registry's and the custodians' HTTP services share: the refusal they raise, its JSON
problem answer, the bounded body reader, a token bucket for rate limits, and web origins."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from sqlalchemy.exc import OperationalError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

MAX_BODY = 16 * 1024
HEADERS = {"cache-control": "no-store", "x-content-type-options": "nosniff"}
log = logging.getLogger("hramada.registry")


class Refused(Exception):
    def __init__(self, status: int, check: str, message: str) -> None:
        super().__init__(message)
        self.status, self.check, self.message = status, check, message


class Bucket:
    """A token bucket: `rate` per minute, up to `burst` at once."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.at = burst, time.monotonic()

    def take(self, amount: float) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate / 60.0)
        self.at = now
        if self.tokens < amount:
            return False
        self.tokens -= amount
        return True


async def read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        raise Refused(413, "too large", f"the request body is over {MAX_BODY} bytes")
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                raise Refused(413, "too large", f"the request body is over {MAX_BODY} bytes")
    except ClientDisconnect:
        raise Refused(400, "body", "the request body was cut off") from None
    return bytes(body)


Endpoint = Callable[[Request], Awaitable[Response]]


def guard(endpoint: Endpoint) -> Endpoint:
    async def guarded(request: Request) -> Response:
        try:
            return await endpoint(request)
        except Refused as r:
            return problem(r.status, r.check, r.message)
        except OperationalError as e:  # locked past its timeout, or the server unreachable
            log.warning("database unavailable: %s", type(e.orig).__name__)
            return problem(503, "database", "the database is busy: nothing was changed, try again")

    return guarded


def problem(status: int, check: str, message: str) -> Response:
    body = {"error": {"check": check, "message": message}}
    return JSONResponse(body, status_code=status, headers=HEADERS)


DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(text: str) -> str:
    """A web origin as browsers send it (`https://host[:port]`, no path, no default port), or
    ValueError."""
    parts = urlsplit(text.strip())
    wrong = ValueError(f"{text!r} is not an origin such as https://registry.example")
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/"):
        raise wrong
    if parts.query or parts.fragment or parts.username or parts.password:
        raise wrong
    try:
        port = parts.port
    except ValueError:
        raise wrong from None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    shown = "" if port in (None, DEFAULT_PORTS[parts.scheme]) else f":{port}"
    return f"{parts.scheme}://{host}{shown}"
