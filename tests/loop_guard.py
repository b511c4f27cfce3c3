"""Catching database statements run on the event loop, where one slow query would stall
every other request: handlers hand them to the thread pool."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event


@contextmanager
def statements_on_the_loop(engine: Engine) -> Iterator[list[str]]:
    """The statements `engine` runs, meanwhile, in a thread that is running an event loop."""
    found: list[str] = []

    def check(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # a worker thread
        found.append(" ".join(statement.split())[:80])

    event.listen(engine, "before_cursor_execute", check)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", check)
