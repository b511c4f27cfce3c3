"""The JSON API: public reads, casting, administrators' and trustees' actions."""

from __future__ import annotations

from functools import partial
from typing import Any

import msgspec
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hramada.server import accounts, adminlog, rights
from hramada.server.adminlog import Entry
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
    except RecursionError:
        raise Problem(400, "json", "the request body is JSON nested too deeply") from None
    if not isinstance(value, dict):
        raise Problem(400, "json", "the request body must be a JSON object")
    return value


def _same_origin(request: Request) -> None:
    """Refuse a browser's request sent by another site's page (CSRF): its Origin must be
    the configured public address. Clients that are not browsers send no Origin."""
    origin = request.headers.get("origin")
    cross = request.headers.get("sec-fetch-site") in ("cross-site", "same-site")
    if cross or (origin is not None and origin != request.app.state.settings.public_url):
        raise Problem(403, "origin", "cross-site requests are refused")


async def _admin(request: Request) -> tuple[int, str]:
    """The logged-in administrator, for a request that may change something only if it
    comes from our own pages (same origin) with a live session."""
    if request.method != "GET":
        _same_origin(request)
    engine, token = request.app.state.engine, request.cookies.get(SESSION_COOKIE)
    user = await run_in_threadpool(accounts.session_user, engine, token)
    if user is None:
        raise Problem(401, "login", "log in as an administrator first")
    return user


def _uuid(request: Request) -> str:
    return str(request.path_params["uuid"])


async def _owner(request: Request) -> tuple[tuple[int, str], str]:
    """The logged-in administrator and the election of the path, which they may act on."""
    admin, uuid = await _admin(request), _uuid(request)
    await run_in_threadpool(_may_act, request, admin, uuid)
    return admin, uuid


def _may_act(request: Request, admin: tuple[int, str], uuid: str) -> None:
    _elections(request).require_exists(uuid)  # 404 for an unknown election, whoever asks
    rights.require(request.app.state.engine, admin, uuid)


# --- public --------------------------------------------------------------------------


async def list_elections(request: Request) -> Response:
    return JSONResponse(await run_in_threadpool(_elections(request).summaries))


async def election_info(request: Request) -> Response:
    return JSONResponse(await run_in_threadpool(_elections(request).info, _uuid(request)))


@penalized("cast")
async def cast_ballot(request: Request) -> Response:
    elections = _elections(request)
    uuid = _uuid(request)
    elections.live_election(uuid).require_voting()  # before reading a body that can't count
    data = await read_body(request, request.app.state.settings.limits.ballot_bytes)
    tracker = await elections.cast(uuid, data)
    return JSONResponse({"tracking_code": tracker})


async def registration_info(request: Request) -> Response:
    registrations = _elections(request).registrations
    return JSONResponse(await run_in_threadpool(registrations.info, _uuid(request)))


@penalized("register")
async def register(request: Request) -> Response:
    """A member's device posts its public credential with the registry's blind signature."""
    body = await _json(request)
    await _elections(request).registrations.register_soon(_uuid(request), body)
    return JSONResponse({"registered": True}, status_code=201)


async def ballots(request: Request) -> Response:
    """A page of the bulletin board (`?page=N`, from 1), with the totals."""
    elections, uuid = _elections(request), _uuid(request)
    return JSONResponse(await run_in_threadpool(elections.board, uuid, page_number(request)))


async def find_ballot(request: Request) -> Response:
    code = request.query_params.get("code", "")
    return JSONResponse(await run_in_threadpool(_elections(request).find, _uuid(request), code))


# --- administrators ------------------------------------------------------------------


@penalized("login")
async def login(request: Request) -> Response:
    _same_origin(request)
    body = await _json(request)
    username = body.get("username")
    response = JSONResponse({"username": username})
    return await start_session(request, username, body.get("password"), response)


async def start_session(
    request: Request,
    username: object,
    password: object,
    response: Response,
    cookie: str = SESSION_COOKIE,
) -> Response:
    """Check an account's password off the event loop; `response` gets the session cookie."""
    if not isinstance(username, str) or not isinstance(password, str):
        raise Problem(400, "login", "username and password are texts")
    engine, hours = request.app.state.engine, request.app.state.settings.session_hours
    token = await run_in_threadpool(accounts.login, engine, username, password, hours)
    if token is None:
        raise Problem(401, "login", "wrong username or password")
    response.set_cookie(
        cookie,
        token,
        max_age=hours * 3600,
        httponly=True,
        samesite="strict",
        secure=_https(request),
    )
    return response


def _https(request: Request) -> bool:
    """Cookies are Secure when visitors use HTTPS (directly or through the proxy)."""
    return request.app.state.settings.https or request.url.scheme == "https"


async def logout(request: Request) -> Response:
    _same_origin(request)
    engine, token = request.app.state.engine, request.cookies.get(SESSION_COOKIE)
    await run_in_threadpool(accounts.logout, engine, token)
    response = JSONResponse({})
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="strict", secure=_https(request))
    return response


async def me(request: Request) -> Response:
    admin = await _admin(request)
    superuser = await run_in_threadpool(accounts.is_superuser, request.app.state.engine, admin[1])
    return JSONResponse({"username": admin[1], "superuser": superuser})


async def create_account(request: Request) -> Response:
    admin = await _admin(request)
    engine = request.app.state.engine
    await run_in_threadpool(rights.require_superuser, engine, admin)
    body = await _json(request)
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise Problem(400, "account", "username and password are texts")
    try:
        await run_in_threadpool(accounts.create_admin, engine, username, password)
    except ValueError as e:
        raise Problem(400, "account", str(e)) from None
    with engine.begin() as db:
        adminlog.record(db, admin[1], "account", {"username": username})
    return JSONResponse({"username": username}, status_code=201)


async def admin_elections(request: Request) -> Response:
    allowed = await run_in_threadpool(
        rights.visible, request.app.state.engine, await _admin(request)
    )
    summaries = await run_in_threadpool(partial(_elections(request).summaries, drafts=True))
    return JSONResponse([s for s in summaries if allowed is None or s["uuid"] in allowed])


async def grant_election(request: Request) -> Response:
    admin, uuid = await _owner(request)
    body = await _json(request)
    rights.grant(request.app.state.engine, admin, uuid, body.get("username"))
    return JSONResponse({"granted": body.get("username")})


async def create_election(request: Request) -> Response:
    admin = await _admin(request)
    uuid = _elections(request).create(admin, await _json(request))
    return JSONResponse({"uuid": uuid}, status_code=201)


async def admin_election(request: Request) -> Response:
    _, uuid = await _owner(request)
    return await _admin_info(request, uuid)


async def _admin_info(request: Request, uuid: str) -> Response:
    """What an administrator sees of the election, read off the event loop."""
    return JSONResponse(await run_in_threadpool(_elections(request).info, uuid, True))


async def upload_credentials(request: Request) -> Response:
    admin, uuid = await _owner(request)
    limit = request.app.state.settings.limits.credentials_bytes
    data = await read_body(request, limit, large=True)
    elections = _elections(request)
    async with elections.setup_lock(uuid):  # checking every key can take minutes: off the loop
        done = await run_in_threadpool(elections.set_credentials, admin, uuid, data)
    return JSONResponse(done)


async def set_registry(request: Request) -> Response:
    admin, uuid = await _owner(request)
    data = await read_body(request, request.app.state.settings.limits.json_bytes)
    return JSONResponse(_elections(request).set_registry(admin, uuid, data))


async def open_registration(request: Request) -> Response:
    admin, uuid = await _owner(request)
    _elections(request).open_registration(admin, uuid)
    return await _admin_info(request, uuid)


async def close_registration(request: Request) -> Response:
    admin, uuid = await _owner(request)
    elections = _elections(request)
    async with elections.setup_lock(uuid):  # sorting every registration: off the loop
        return JSONResponse(await run_in_threadpool(elections.close_registration, admin, uuid))


async def add_trustee(request: Request) -> Response:
    admin, uuid = await _owner(request)
    body = await _json(request)
    made = _elections(request).add_trustee(admin, uuid, body.get("name"))
    return JSONResponse(made, status_code=201)


async def reissue_trustee_link(request: Request) -> Response:
    admin, uuid = await _owner(request)
    trustee = request.path_params["trustee"]
    return JSONResponse(_elections(request).reissue_link(admin, uuid, trustee))


async def set_window(request: Request) -> Response:
    admin, uuid = await _owner(request)
    body = await _json(request)
    return JSONResponse(_elections(request).set_window(admin, uuid, body))


async def open_election(request: Request) -> Response:
    admin, uuid = await _owner(request)
    await _elections(request).open(admin, uuid)
    return await _admin_info(request, uuid)


async def close_election(request: Request) -> Response:
    admin, uuid = await _owner(request)
    await _elections(request).close(admin, uuid)
    return await _admin_info(request, uuid)


async def publish_election(request: Request) -> Response:
    admin, uuid = await _owner(request)
    await _elections(request).publish(admin, uuid)
    return await _admin_info(request, uuid)


async def restart_ceremony(request: Request) -> Response:
    admin, uuid = await _owner(request)
    _elections(request).ceremonies.reset(admin, uuid)
    return await _admin_info(request, uuid)


async def admin_log(request: Request) -> Response:
    admin = await _admin(request)
    allowed, log = await run_in_threadpool(_log, request.app.state.engine, admin)
    # The chain is checked whole; an administrator reads only their elections' entries
    # and their own actions outside any election.
    shown = [
        e
        for e in log
        if allowed is None or (e.election in allowed if e.election else e.admin == admin[1])
    ]
    return JSONResponse(
        {
            "head": log[-1].hash if log else None,
            "broken": adminlog.chain_breaks(log),
            "entries": [e.as_json() for e in shown],
        }
    )


def _log(engine: Engine, admin: tuple[int, str]) -> tuple[set[str] | None, list[Entry]]:
    """The elections `admin` may see (None: all) and the whole log."""
    allowed = rights.visible(engine, admin)
    with engine.connect() as db:
        return allowed, adminlog.entries(db)


# --- trustees ------------------------------------------------------------------------


async def trustee_info(request: Request) -> Response:
    token = str(request.path_params["token"])
    return JSONResponse(await run_in_threadpool(_elections(request).trustee_info, token))


@penalized("trustee")
async def trustee_key(request: Request) -> Response:
    token = str(request.path_params["token"])
    await run_in_threadpool(_elections(request).trustee, token)  # a valid link, before the body
    data = await read_body(request, request.app.state.settings.limits.json_bytes)
    await run_in_threadpool(_elections(request).submit_key, token, data)  # the database only
    return JSONResponse({"accepted": "key"})


@penalized("trustee")
async def trustee_decryption(request: Request) -> Response:
    token = str(request.path_params["token"])
    await run_in_threadpool(_elections(request).trustee, token)  # a valid link, before the body
    limit = request.app.state.settings.limits.upload_bytes
    data = await read_body(request, limit, large=True)
    await _elections(request).submit_decryption(token, data)
    return JSONResponse({"accepted": "partial decryption"})


async def withdraw_candidate(request: Request) -> Response:
    admin, uuid = await _owner(request)
    detail = _elections(request).withdraw(admin, uuid, await _json(request))
    return JSONResponse(detail, status_code=201)


routes = [
    Route("/api/elections", list_elections),
    Route("/api/elections/{uuid}", election_info),
    Route("/api/elections/{uuid}/ballots", cast_ballot, methods=["POST"]),
    Route("/api/elections/{uuid}/ballots", ballots),
    Route("/api/elections/{uuid}/ballots/find", find_ballot),
    Route("/api/elections/{uuid}/registration", registration_info),
    Route("/api/elections/{uuid}/registrations", register, methods=["POST"]),
    Route("/api/admin/login", login, methods=["POST"]),
    Route("/api/admin/logout", logout, methods=["POST"]),
    Route("/api/admin/me", me),
    Route("/api/admin/log", admin_log),
    Route("/api/admin/accounts", create_account, methods=["POST"]),
    Route("/api/admin/elections", admin_elections),
    Route("/api/admin/elections", create_election, methods=["POST"]),
    Route("/api/admin/elections/{uuid}", admin_election),
    Route("/api/admin/elections/{uuid}/credentials", upload_credentials, methods=["PUT"]),
    Route("/api/admin/elections/{uuid}/trustees", add_trustee, methods=["POST"]),
    Route("/api/admin/elections/{uuid}/registry", set_registry, methods=["PUT"]),
    Route("/api/admin/elections/{uuid}/registration/open", open_registration, methods=["POST"]),
    Route("/api/admin/elections/{uuid}/registration/close", close_registration, methods=["POST"]),
    Route("/api/admin/elections/{uuid}/window", set_window, methods=["PUT"]),
    Route(
        "/api/admin/elections/{uuid}/trustees/{trustee:int}/link",
        reissue_trustee_link,
        methods=["POST"],
    ),
    Route("/api/admin/elections/{uuid}/grants", grant_election, methods=["POST"]),
    Route("/api/admin/elections/{uuid}/open", open_election, methods=["POST"]),
    Route("/api/admin/elections/{uuid}/withdrawals", withdraw_candidate, methods=["POST"]),
    Route("/api/admin/elections/{uuid}/ceremony/restart", restart_ceremony, methods=["POST"]),
    Route("/api/admin/elections/{uuid}/close", close_election, methods=["POST"]),
    Route("/api/admin/elections/{uuid}/publish", publish_election, methods=["POST"]),
    Route("/api/trustee/{token}", trustee_info),
    Route("/api/trustee/{token}/key", trustee_key, methods=["PUT"]),
    Route("/api/trustee/{token}/decryption", trustee_decryption, methods=["PUT"]),
]
