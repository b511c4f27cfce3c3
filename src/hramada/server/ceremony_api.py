"""The JSON routes of the threshold key ceremony, under /api/trustee/{token}/ceremony."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hramada.protocol.canonical import encode
from hramada.server.ceremony import CERTIFICATE, POLYNOMIAL, VERIFICATION_KEY, Ceremonies
from hramada.server.limits import Endpoint, penalized, read_body


def _ceremonies(request: Request) -> Ceremonies:
    return request.app.state.elections.ceremonies


def _token(request: Request) -> str:
    return str(request.path_params["token"])


async def status(request: Request) -> Response:
    """Where the ceremony is, and what this trustee needs for its next step."""
    found = await run_in_threadpool(_ceremonies(request).status, _token(request))
    return Response(encode(found), media_type="application/json")


def _upload(step: str, large: bool = False) -> Endpoint:
    @penalized("trustee")
    async def put(request: Request) -> Response:
        request.app.state.elections.trustee(_token(request))  # a valid link before the body
        limits = request.app.state.settings.limits
        data = await read_body(request, limits.upload_bytes if large else limits.json_bytes, large)
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
        _upload(POLYNOMIAL, large=True),
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
