"""`hramada custodian serve`: one custodian's evaluations of blinded points with its key share,
each proven; known clients only, rate-limited, and nothing about any request kept or logged.
Registrars' pages on the origins it is told to allow may call it from the browser (CORS)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from hramada.crypto import oprf
from hramada.crypto.threshold_oprf import evaluate_share
from hramada.registry.custodian_store import Custodian, client_hashes, known_client
from hramada.registry.web import HEADERS, Bucket, Refused, guard, problem, read_body

MAX_BATCH = 64
CORS_PATHS = frozenset({"/api/custodian", "/api/custodian/evaluate"})


@dataclass
class Limits:
    """Evaluations per minute for each client token and for all clients together, and failed
    authentications per minute for everyone together (no addresses are looked at)."""

    per_client: float = 600.0
    per_client_burst: float = 120.0
    overall: float = 30000.0
    overall_burst: float = 3000.0
    failures: float = 60.0


class OriginsAllowed:
    """CORS for `origins` on the custodian's two addresses only: Starlette's middleware answers
    their preflights and marks their answers; every other path and origin gets nothing."""

    def __init__(self, app: ASGIApp, origins: Sequence[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=list(origins),
            allow_methods=["GET", "POST"],
            allow_headers=["authorization", "content-type"],
            max_age=3600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        wanted = scope["type"] == "http" and scope["path"] in CORS_PATHS
        await (self.cors if wanted else self.app)(scope, receive, send)


def create_app(
    engine: Engine,
    custodian: Custodian,
    limits: Limits | None = None,
    allow_origins: Sequence[str] = (),
) -> Starlette:
    """The custodian's service; `allow_origins` are registrars' pages that may call it."""
    limits = limits or Limits()
    hashes = client_hashes(engine)
    buckets = {h: Bucket(limits.per_client, limits.per_client_burst) for h in hashes}
    overall = Bucket(limits.overall, limits.overall_burst)
    failures = Bucket(limits.failures, limits.failures)
    info = custodian.public_info()
    answered = [0]  # elements evaluated since this process started: memory only

    async def public(request: Request) -> Response:
        return JSONResponse({**info, "evaluations since start": answered[0]}, headers=HEADERS)

    async def evaluate(request: Request) -> Response:
        authorization = request.headers.get("authorization", "")
        token = authorization.removeprefix("Bearer ").strip()
        bearer = authorization.startswith("Bearer ")
        client = known_client(hashes, token) if bearer else None
        if client is None:
            if not failures.take(1):
                raise Refused(429, "rate", "too many failed authentications: wait a minute")
            if bearer:  # perhaps a client added since the start
                hashes.update(client_hashes(engine))
                client = known_client(hashes, token)
            if client is None:
                raise Refused(401, "authentication", "a known client's bearer token is required")
            buckets[client] = Bucket(limits.per_client, limits.per_client_burst)
        blinded = _blinded(await read_body(request))
        if not buckets[client].take(len(blinded)) or not overall.take(len(blinded)):
            raise Refused(429, "rate", "too many evaluations: wait a minute")
        evaluated, proof = evaluate_share(custodian.share, custodian.share_key, blinded)
        answered[0] += len(blinded)
        answer = {
            "index": custodian.share.index,
            "evaluated": [e.hex() for e in evaluated],
            "proof": proof.hex(),
        }
        return JSONResponse(answer, headers=HEADERS)

    return Starlette(
        routes=[
            Route("/api/custodian", guard(public), methods=["GET"]),
            Route("/api/custodian/evaluate", guard(evaluate), methods=["POST"]),
        ],
        middleware=[Middleware(OriginsAllowed, origins=allow_origins)] if allow_origins else [],
        exception_handlers={404: _not_found, 405: _not_allowed},
    )


def _blinded(body: bytes) -> list[bytes]:
    """The request's blinded elements: canonical ristretto255 encodings, none the identity."""
    try:
        doc = json.loads(body)
    except ValueError:
        raise Refused(400, "json", "the body is not JSON") from None
    items = doc.get("blinded") if isinstance(doc, dict) else None
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
        raise Refused(400, "blinded", f'expected {{"blinded": [1 to {MAX_BATCH} hex elements]}}')
    out = []
    for n, item in enumerate(items):
        try:
            if not isinstance(item, str) or len(item) != 64:
                raise oprf.InputValidationError("not 64 hex digits")
            out.append(oprf.deserialize_element(bytes.fromhex(item)))
        except (ValueError, oprf.OprfError) as e:
            message = str(e) if isinstance(e, oprf.OprfError) else "not hex"
            raise Refused(400, "element", f"blinded element {n}: {message}") from None
    return out


async def _not_found(request: Request, exc: Exception) -> Response:
    return problem(404, "path", "no such address on a custodian")


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return problem(405, "method", "this address does not take that method")
