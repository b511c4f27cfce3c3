"""The registry's pages (the registrar's enrolment page) in the six languages, with the election
server's strict headers; their scripts may reach only the registry and the custodians named."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hramada.booth.i18n import negotiate
from hramada.booth.pages import STATIC_DIR, render

LANG_COOKIE = "lang"  # the language a visitor picked, as on the election server's pages


def policy(custodian_origins: Sequence[str]) -> str:
    """The content security policy: nothing from elsewhere, and connections only to the registry
    itself and the custodians (the registrar's page asks them directly)."""
    connect = " ".join(["'self'", *custodian_origins])
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src {connect}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )


class SecurityHeaders:
    """The election server's strict headers on every answer of the registry."""

    def __init__(self, app: ASGIApp, custodian_origins: Sequence[str]) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", policy(custodian_origins).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (
                b"permissions-policy",
                b"camera=(), microphone=(), geolocation=(), interest-cohort=()",
            ),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                known = {name for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in self.headers if n not in known]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def routes(custodian_origins: Sequence[str]) -> list[BaseRoute]:
    """The registrar's page and the pages' static files (styles, the bundled scripts)."""

    async def registrar(request: Request) -> Response:
        requested = request.query_params.get("lang")
        lang = negotiate(
            requested, request.cookies.get(LANG_COOKIE), request.headers.get("accept-language")
        )
        html = render(
            "registrar.html", lang, home="/registrar", custodian_origins=list(custodian_origins)
        )
        response = HTMLResponse(html, headers={"cache-control": "no-store"})
        if requested == lang:
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
        return response

    return [
        Route("/registrar", registrar, methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC_DIR)),
    ]
