"""The ASGI application: routes, security headers, error answers, and start-up."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hramada.booth.pages import STATIC_DIR
from hramada.server import api, ceremony_api, web
from hramada.server.checking import Checker
from hramada.server.config import Settings
from hramada.server.cors import MemberPageCors
from hramada.server.database import connect
from hramada.server.elections import Elections
from hramada.server.limits import Penalties, unexpected
from hramada.server.problems import Problem

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; worker-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
]


class SecurityHeaders:
    """Add the strict headers to every response; API answers are never cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_api = scope["path"].startswith("/api/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", [])) + HEADERS
                if is_api:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Failures:
    """Answer 500 to a request whose handling failed unexpectedly, logging its traceback
    once per kind of failure (see `limits.unexpected`), never once per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as e:
            request = Request(scope)
            problem = unexpected(e, request)
            if not started:
                await (await problem_answer(request, problem))(scope, receive, send)


async def problem_answer(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    if request.url.path.startswith("/api/"):
        headers = {"retry-after": "60"} if exc.status in (429, 503) else None
        return JSONResponse(exc.as_json(), status_code=exc.status, headers=headers)
    return web.error_page(request, exc)


async def not_found(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 404)
    message = "not found" if status == 404 else str(getattr(exc, "detail", "refused"))
    return await problem_answer(request, Problem(status, "request", message))


def create_app(settings: Settings) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        settings.prepare_data_dir()
        engine = connect(settings.db_url)
        checker = Checker(settings.workers)
        elections = Elections(engine, settings, checker)
        elections.load()
        # The replayed elections live as long as the server: keep the garbage collector from
        # walking them again and again (with 100,000 ballots a walk stalls every request).
        gc.freeze()
        app.state.settings = settings
        app.state.engine = engine
        app.state.elections = elections
        app.state.penalties = Penalties(
            settings.limits.rejections_per_minute, settings.limits.rejection_burst
        )
        app.state.large_uploads = 0  # being read now (see limits.read_body)
        try:
            yield
        finally:
            elections.close_all()
            checker.close()
            engine.dispose()

    return Starlette(
        routes=[
            *api.routes,
            *ceremony_api.routes,
            *web.routes,
            Mount("/static", StaticFiles(directory=STATIC_DIR)),
        ],
        middleware=[Middleware(MemberPageCors), Middleware(SecurityHeaders), Middleware(Failures)],
        exception_handlers={Problem: problem_answer, 404: not_found, 405: not_found},
        lifespan=lifespan,
    )
