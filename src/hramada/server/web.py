"""The pages: each renders the booth's templates in the visitor's language."""

from __future__ import annotations

from functools import partial
from typing import Any

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response, StreamingResponse
from starlette.routing import Route

from hramada.booth.i18n import negotiate
from hramada.booth.pages import render
from hramada.server.elections import Elections, Json
from hramada.server.problems import Problem

LANG_COOKIE = "lang"


def language(request: Request) -> str:
    return negotiate(
        request.query_params.get("lang"),
        request.cookies.get(LANG_COOKIE),
        request.headers.get("accept-language"),
    )


def page(request: Request, name: str, code: int = 200, **context: Any) -> Response:
    """Render a page; remember a language the visitor picked (a preference, nothing else)."""
    return _answer(request, render(name, language(request), **context), code)


def _answer(request: Request, html: str, code: int = 200) -> Response:
    response = HTMLResponse(html, status_code=code)
    lang = language(request)
    if request.query_params.get("lang") == lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


def page_number(request: Request) -> int:
    """The `page` query parameter, 1 when absent or not a number."""
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) < 10 else 1


def error_page(request: Request, problem: Problem) -> Response:
    return page(
        request,
        "error.html",
        problem.status,
        status=problem.status,
        check=problem.check,
        message=problem.message,
    )


def _elections(request: Request) -> Elections:
    return request.app.state.elections


def _base(request: Request) -> str:
    """The public address, from the configuration: never from the request's Host header."""
    return str(request.app.state.settings.public_url)


async def index(request: Request) -> Response:
    summaries = await run_in_threadpool(_elections(request).summaries)
    return page(request, "index.html", elections=summaries)


async def _info(request: Request) -> Json:
    return await run_in_threadpool(_elections(request).info, request.path_params["uuid"])


async def election(request: Request) -> Response:
    info = await _info(request)
    return page(request, "election.html", election=info, base_url=_base(request))


async def vote(request: Request) -> Response:
    return page(request, "vote.html", election=await _info(request))


_boards: dict[tuple[str, int, str, str | None], str] = {}  # rendered board pages
# One board page rendered at a time, in a thread: the event loop shares the interpreter with
# that one thread only, however many board requests come in.
_rendering = anyio.CapacityLimiter(1)


async def board(request: Request) -> Response:
    """One page of the bulletin board, rendered off the event loop once per archive state."""
    uuid = request.path_params["uuid"]
    elections = _elections(request)
    listing = await run_in_threadpool(elections.board, uuid, page_number(request))
    lang = language(request)
    key = (uuid, listing["page"], lang, listing["chain_head"])
    html = _boards.get(key)
    if html is None:
        context = {k: v for k, v in listing.items() if k != "page"}  # `page` names the template
        context |= {"current": listing["page"], "election": await _info(request)}
        html = await anyio.to_thread.run_sync(
            partial(render, "board.html", lang, **context), limiter=_rendering
        )
        if len(_boards) >= 256:
            _boards.clear()
        _boards[key] = html
    return _answer(request, html)


async def result(request: Request) -> Response:
    info = await _info(request)
    return page(request, "result.html", election=info, base_url=_base(request))


async def admin(request: Request) -> Response:
    return page(request, "admin.html")


async def trustee(request: Request) -> Response:
    token = request.path_params["token"]
    info = await run_in_threadpool(_elections(request).trustee_info, token)
    return page(request, "trustee.html", trustee=info, token=token, base_url=_base(request))


async def election_json(request: Request) -> Response:
    text = _elections(request).election_text(request.path_params["uuid"])
    return Response(text, media_type="application/json")


async def trustees_json(request: Request) -> Response:
    """The trustees' keys and proofs: the booth checks the election key against them."""
    live = _elections(request).live_election(request.path_params["uuid"])
    return Response(live.setup[1], media_type="application/json")


async def credentials_json(request: Request) -> Response:
    """The public credential list: the booth checks a voter's credential against it first."""
    live = _elections(request).live_election(request.path_params["uuid"])
    return Response(live.setup[2], media_type="application/json")


async def rules_json(request: Request) -> Response:
    """The seat rules file, byte for byte: its SHA-256 is the one the election is bound to."""
    data = _elections(request).rules_text(request.path_params["uuid"])
    return Response(data, media_type="application/json")


async def registrations_json(request: Request) -> Response:
    """Every anonymous registration with the registry's signature, beside the archive."""
    path = _elections(request).registrations_json(request.path_params["uuid"])
    return FileResponse(path, media_type="application/json")


async def archive(request: Request) -> Response:
    """The archive as it stands, streamed from a thread so casting goes on meanwhile."""
    uuid = request.path_params["uuid"]
    return StreamingResponse(
        _elections(request).archive_chunks(uuid),
        media_type="application/x-tar",
        headers={"content-disposition": f'attachment; filename="{uuid}.bel"'},
    )


routes = [
    Route("/", index),
    Route("/admin", admin),
    Route("/trustee/{token}", trustee),
    Route("/elections/{uuid}", election),
    Route("/elections/{uuid}/vote", vote),
    Route("/elections/{uuid}/board", board),
    Route("/elections/{uuid}/result", result),
    Route("/elections/{uuid}/election.json", election_json),
    Route("/elections/{uuid}/trustees.json", trustees_json),
    Route("/elections/{uuid}/public_credentials.json", credentials_json),
    Route("/elections/{uuid}/archive.bel", archive),
    Route("/elections/{uuid}/rules.json", rules_json),
    Route("/elections/{uuid}/registrations.json", registrations_json),
]
