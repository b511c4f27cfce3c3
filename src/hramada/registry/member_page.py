"""The member's page, served by the registry at /member: the member key from a written code, one
blind-signed credential per election, the registration posted at a random delay, the booth."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from hramada.booth.i18n import negotiate
from hramada.booth.pages import render
from hramada.registry.pages import LANG_COOKIE, policy

DEFAULT_DELAY = (30, 300)  # seconds between the registry's answer and the registration


@dataclass(frozen=True)
class MemberPage:
    """The election servers the page may talk to (their origins, `web.origin`) and the random
    delay."""

    servers: tuple[str, ...] = ()
    delay: tuple[int, int] = DEFAULT_DELAY


def delay(text: str) -> tuple[int, int]:
    """MIN:MAX seconds; ValueError unless 0 <= MIN <= MAX."""
    low, _, high = text.partition(":")
    if not (low.isdigit() and high.isdigit()) or int(low) > int(high):
        raise ValueError(f"{text!r}: the delay is MIN:MAX seconds, e.g. 30:300")
    return int(low), int(high)


def routes(settings: MemberPage) -> list[BaseRoute]:
    """The member's page; the registry's other headers and its static files are `pages`'."""

    async def page(request: Request) -> Response:
        requested = request.query_params.get("lang")
        lang = negotiate(
            requested, request.cookies.get(LANG_COOKIE), request.headers.get("accept-language")
        )
        html = render(
            "member.html", lang, home="/member", servers=list(settings.servers),
            delay=settings.delay,
        )  # fmt: skip
        # Its scripts may reach the registry and the listed election servers, nothing else.
        headers = {"content-security-policy": policy(settings.servers), "cache-control": "no-store"}
        response = HTMLResponse(html, headers=headers)
        if requested == lang:
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
        return response

    return [Route("/member", page, methods=["GET"])]
