"""The JSON routes of the threshold key ceremony, under /api/trustee/{token}/ceremony."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hramada.protocol.canonical import encode
from hramada.server.ceremony import CERTIFICATE, POLYNOMIAL, VERIFICATION_KEY, Ceremonies
from hramada.server.limits import Penalties, client_key, read_body
from hramada.server.problems import Problem

Endpoint = Callable[[Request], Awaitable[Response]]

# A polynomial upload carries one sealed share per trustee (about 2 kB each in a 2048-bit group).
POLYNOMIAL_BYTES = 4 * 1024 * 1024


def _ceremonies(request: Request) -> Ceremonies:
    return Ceremonies(request.app.state.engine)


def _token(request: Request) -> str:
    return str(request.path_params["token"])


def _penalized(endpoint: Endpoint) -> Endpoint:
    """Count a client's refused uploads and refuse a client that sends too many (as api.py)."""

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


async def status(request: Request) -> Response:
    """Where the ceremony is, and what this trustee needs for its next step."""
    found = await run_in_threadpool(_ceremonies(request).status, _token(request))
    return Response(encode(found), media_type="application/json")


def _upload(step: str, limit: int | None = None) -> Endpoint:
    @_penalized
    async def put(request: Request) -> Response:
        data = await read_body(request, limit or request.app.state.settings.limits.json_bytes)
        done = await run_in_threadpool(_ceremonies(request).submit, _token(request), step, data)
        return JSONResponse(done)

    return put


PREFIX = "/api/trustee/{token}/ceremony"

routes = [
    Route(PREFIX, status, name="ceremony_status"),
    Route(
        f"{PREFIX}/certificate",
        _upload(CERTIFICATE),
        methods=["PUT"],
        name="ceremony_certificate",
    ),
    Route(
        f"{PREFIX}/polynomial",
        _upload(POLYNOMIAL, POLYNOMIAL_BYTES),
        methods=["PUT"],
        name="ceremony_polynomial",
    ),
    Route(
        f"{PREFIX}/verification-key",
        _upload(VERIFICATION_KEY),
        methods=["PUT"],
        name="ceremony_verification_key",
    ),
]
