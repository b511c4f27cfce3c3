"""The parallel vote tabulation's ASGI application (`hramada pvt serve`)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from hramada.booth.pages import STATIC_DIR
from hramada.server import pvt_web
from hramada.server.app import Failures, SecurityHeaders, not_found, problem_answer
from hramada.server.config import Settings
from hramada.server.limits import Penalties
from hramada.server.problems import Problem
from hramada.server.pvt_store import PvtStore


def create_pvt_app(data_dir: Path, database_url: str | None = None) -> Starlette:
    settings = Settings(data_dir=data_dir, database_url=database_url)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        store = PvtStore.open(data_dir, database_url)
        app.state.settings = settings
        app.state.store = store
        app.state.engine = store.engine
        app.state.large_uploads = 0
        app.state.uploads = 0  # submissions being received (see pvt_web.UPLOADS)
        app.state.cleaners = anyio.CapacityLimiter(os.cpu_count() or 1)
        app.state.penalties = Penalties(
            settings.limits.rejections_per_minute, settings.limits.rejection_burst
        )
        try:
            yield
        finally:
            store.engine.dispose()

    return Starlette(
        routes=[*pvt_web.routes, Mount("/static", StaticFiles(directory=STATIC_DIR))],
        middleware=[Middleware(SecurityHeaders), Middleware(Failures)],
        exception_handlers={Problem: problem_answer, 404: not_found, 405: not_found},
        lifespan=lifespan,
    )
