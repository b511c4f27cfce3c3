"""The JSON API: public reads, casting, administrators' and trustees' actions."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hramada.server import accounts, adminlog
from hramada.server.elections import Elections
from hramada.server.limits import penalized, read_body
from hramada.server.problems import Problem
from hramada.server.web import page_number

SESSION_COOKIE = "hramada_session"


def _elections(request: Request) -> Elections:
    return request.app.state.elections


async def _json(request: Request) -> dict[str, Any]:
    body = await read_body(request, request.app.state.settings.limits.json_bytes)
    try:
        value = msgspec.json.decode(body)
    except msgspec.DecodeError as e:
        raise Problem(400, "json", f"the request body is not valid JSON: {e}") from None
    if not isinstance(value, dict):
        raise Problem(400, "json", "the request body must be a JSON object")
    return value


def _admin(request: Request) -> tuple[int, str]:
    """The logged-in administrator, for a request that may change something only if it
    comes from our own pages (same origin) with a live session."""
    origin = request.headers.get("origin")
    if request.method != "GET" and origin is not None:
        expected = f"{request.url.scheme}://{request.url.netloc}"
        if origin != expected:
            raise Problem(403, "origin", "cross-site requests are refused")
    user = accounts.session_user(request.app.state.engine, request.cookies.get(SESSION_COOKIE))
    if user is None:
        raise Problem(401, "login", "log in as an administrator first")
    return user


def _uuid(request: Request) -> str:
    return str(request.path_params["uuid"])


# --- public --------------------------------------------------------------------------


async def list_elections(request: Request) -> Response:
    return JSONResponse(_elections(request).summaries())


async def election_info(request: Request) -> Response:
    return JSONResponse(_elections(request).info(_uuid(request)))


@penalized
async def cast_ballot(request: Request) -> Response:
    elections = _elections(request)
    uuid = _uuid(request)
    elections.live_election(uuid).require_voting()  # before reading a body that can't count
    data = await read_body(request, request.app.state.settings.limits.ballot_bytes)
    tracker = await elections.cast(uuid, data)
    return JSONResponse({"tracking_code": tracker})


async def ballots(request: Request) -> Response:
    """A page of the bulletin board (`?page=N`, from 1), with the totals."""
    return JSONResponse(_elections(request).board(_uuid(request), page_number(request)))


async def find_ballot(request: Request) -> Response:
    code = request.query_params.get("code", "")
    return JSONResponse(_elections(request).find(_uuid(request), code))


# --- administrators ------------------------------------------------------------------


@penalized
async def login(request: Request) -> Response:
    body = await _json(request)
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise Problem(400, "login", "username and password are texts")
    engine, hours = request.app.state.engine, request.app.state.settings.session_hours
    token = await run_in_threadpool(accounts.login, engine, username, password, hours)
    if token is None:
        raise Problem(401, "login", "wrong username or password")
    response = JSONResponse({"username": username})
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=hours * 3600,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


async def logout(request: Request) -> Response:
    accounts.logout(request.app.state.engine, request.cookies.get(SESSION_COOKIE))
    response = JSONResponse({})
    response.delete_cookie(SESSION_COOKIE)
    return response


async def me(request: Request) -> Response:
    return JSONResponse({"username": _admin(request)[1]})


async def admin_elections(request: Request) -> Response:
    _admin(request)
    return JSONResponse(_elections(request).summaries(drafts=True))


async def create_election(request: Request) -> Response:
    admin = _admin(request)
    uuid = _elections(request).create(admin, await _json(request))
    return JSONResponse({"uuid": uuid}, status_code=201)


async def admin_election(request: Request) -> Response:
    _admin(request)
    return JSONResponse(_elections(request).info(_uuid(request), admin=True))


async def upload_credentials(request: Request) -> Response:
    admin = _admin(request)
    data = await read_body(request, request.app.state.settings.limits.credentials_bytes)
    return JSONResponse(_elections(request).set_credentials(admin, _uuid(request), data))


async def add_trustee(request: Request) -> Response:
    admin = _admin(request)
    body = await _json(request)
    made = _elections(request).add_trustee(admin, _uuid(request), body.get("name"))
    return JSONResponse(made, status_code=201)


async def set_window(request: Request) -> Response:
    admin = _admin(request)
    body = await _json(request)
    return JSONResponse(_elections(request).set_window(admin, _uuid(request), body))


async def open_election(request: Request) -> Response:
    await _elections(request).open(_admin(request), _uuid(request))
    return JSONResponse(_elections(request).info(_uuid(request), admin=True))


async def close_election(request: Request) -> Response:
    await _elections(request).close(_admin(request), _uuid(request))
    return JSONResponse(_elections(request).info(_uuid(request), admin=True))


async def publish_election(request: Request) -> Response:
    await _elections(request).publish(_admin(request), _uuid(request))
    return JSONResponse(_elections(request).info(_uuid(request), admin=True))


async def restart_ceremony(request: Request) -> Response:
    admin = _admin(request)
    _elections(request).ceremonies.reset(admin, _uuid(request))
    return JSONResponse(_elections(request).info(_uuid(request), admin=True))


async def admin_log(request: Request) -> Response:
    _admin(request)
    with request.app.state.engine.connect() as db:
        log = adminlog.entries(db)
    return JSONResponse(
        {
            "head": log[-1].hash if log else None,
            "broken": adminlog.chain_breaks(log),
            "entries": [e.as_json() for e in log],
        }
    )


# --- trustees ------------------------------------------------------------------------


async def trustee_info(request: Request) -> Response:
    return JSONResponse(_elections(request).trustee_info(str(request.path_params["token"])))


@penalized
async def trustee_key(request: Request) -> Response:
    data = await read_body(request, request.app.state.settings.limits.json_bytes)
    _elections(request).submit_key(str(request.path_params["token"]), data)
    return JSONResponse({"accepted": "key"})


@penalized
async def trustee_decryption(request: Request) -> Response:
    limit = request.app.state.settings.limits.credentials_bytes
    data = await read_body(request, limit)
    await _elections(request).submit_decryption(str(request.path_params["token"]), data)
    return JSONResponse({"accepted": "partial decryption"})


routes = [
    Route("/api/elections", list_elections),
    Route("/api/elections/{uuid}", election_info),
    Route("/api/elections/{uuid}/ballots", cast_ballot, methods=["POST"]),
    Route("/api/elections/{uuid}/ballots", ballots),
    Route("/api/elections/{uuid}/ballots/find", find_ballot),
    Route("/api/admin/login", login, methods=["POST"]),
    Route("/api/admin/logout", logout, methods=["POST"]),
    Route("/api/admin/me", me),
    Route("/api/admin/log", admin_log),
    Route("/api/admin/elections", admin_elections),
    Route("/api/admin/elections", create_election, methods=["POST"]),
    Route("/api/admin/elections/{uuid}", admin_election),
    Route("/api/admin/elections/{uuid}/credentials", upload_credentials, methods=["PUT"]),
    Route("/api/admin/elections/{uuid}/trustees", add_trustee, methods=["POST"]),
    Route("/api/admin/elections/{uuid}/window", set_window, methods=["PUT"]),
    Route("/api/admin/elections/{uuid}/open", open_election, methods=["POST"]),
    Route("/api/admin/elections/{uuid}/ceremony/restart", restart_ceremony, methods=["POST"]),
    Route("/api/admin/elections/{uuid}/close", close_election, methods=["POST"]),
    Route("/api/admin/elections/{uuid}/publish", publish_election, methods=["POST"]),
    Route("/api/trustee/{token}", trustee_info),
    Route("/api/trustee/{token}/key", trustee_key, methods=["PUT"]),
    Route("/api/trustee/{token}/decryption", trustee_decryption, methods=["PUT"]),
]
