"""The member's page, served by the registry at /member: the member key from a written code, one
blind-signed credential per election, the registration posted at a random delay, the booth."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from hramada.booth.i18n import negotiate
from hramada.booth.pages import STATIC_DIR, render

DEFAULT_PORTS = {"http": 80, "https": 443}
DEFAULT_DELAY = (30, 300)  # seconds between the registry's answer and the registration


@dataclass(frozen=True)
class MemberPage:
    """The election servers the page may talk to (their origins) and the random delay."""

    servers: tuple[str, ...] = ()
    delay: tuple[int, int] = DEFAULT_DELAY


def origin(url: str) -> str:
    """An election server's origin as the page's `new URL(...).origin` spells it (lower-case
    host, no default port), from its address; ValueError if it is not one."""
    parts = urlsplit(url.strip())
    wrong = ValueError(f"{url!r}: an election server is http(s)://host[:port]")
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/"):
        raise wrong
    if parts.query or parts.fragment or parts.username or parts.password:
        raise wrong
    try:
        port = parts.port
    except ValueError:
        raise wrong from None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (
        "" if port in (None, DEFAULT_PORTS[parts.scheme]) else f":{port}"
    )


def delay(text: str) -> tuple[int, int]:
    """MIN:MAX seconds; ValueError unless 0 <= MIN <= MAX."""
    low, _, high = text.partition(":")
    if not (low.isdigit() and high.isdigit()) or int(low) > int(high):
        raise ValueError(f"{text!r}: the delay is MIN:MAX seconds, e.g. 30:300")
    return int(low), int(high)


def headers(settings: MemberPage) -> dict[str, str]:
    """The election server's strict headers; the page may also connect to the listed servers."""
    connect = " ".join(["'self'", *settings.servers])
    csp = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src {connect}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    return {
        "content-security-policy": csp,
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "x-frame-options": "DENY",
        "cross-origin-opener-policy": "same-origin",
        "permissions-policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
        "cache-control": "no-store",
    }


def routes(settings: MemberPage) -> list[BaseRoute]:
    async def page(request: Request) -> Response:
        lang = negotiate(
            request.query_params.get("lang"), None, request.headers.get("accept-language")
        )
        html = render("member.html", lang, servers=list(settings.servers), delay=settings.delay)
        return HTMLResponse(html, headers=headers(settings))

    async def home(request: Request) -> Response:
        return RedirectResponse("/member", status_code=303)

    return [
        Route("/", home, methods=["GET"]),
        Route("/member", page, methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC_DIR)),
    ]
