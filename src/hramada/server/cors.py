"""Cross-origin access for the member page (served by the registry, another origin): exactly
the registration info (GET) and posting a registration (POST), anonymous and cookie-less, answer
any origin, without credentials. Every other address stays same-origin."""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# (path pattern, the one method another origin may use on it)
OPEN = [
    (re.compile(r"/api/elections/[^/]+/registration"), "GET"),
    (re.compile(r"/api/elections/[^/]+/registrations"), "POST"),
]
ALLOW_ORIGIN = (b"access-control-allow-origin", b"*")


def _method(path: str) -> str | None:
    return next((method for pattern, method in OPEN if pattern.fullmatch(path)), None)


class MemberPageCors:
    """Answer the preflight of the two open addresses, and let any origin read their answers
    (refusals too, so the member page can say why)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = _method(scope["path"]) if scope["type"] == "http" else None
        if method is None:
            await self.app(scope, receive, send)
            return
        asked = dict(scope["headers"]).get(b"access-control-request-method", b"").decode()
        if scope["method"] == "OPTIONS" and asked == method:
            headers = [
                ALLOW_ORIGIN,
                (b"access-control-allow-methods", method.encode()),
                (b"access-control-allow-headers", b"content-type"),
                (b"access-control-max-age", b"600"),
                (b"cache-control", b"no-store"),
            ]
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        if scope["method"] != method:
            await self.app(scope, receive, send)
            return

        async def with_origin(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), ALLOW_ORIGIN]
            await send(message)

        await self.app(scope, receive, with_origin)
