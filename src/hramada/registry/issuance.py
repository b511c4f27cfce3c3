"""Group commit of the registry's issued flags: the flags of every signature waiting meanwhile go
to disk in one transaction, and each signature is released only once its own flag is there."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine

from hramada.registry import registry_store as store

BATCH = 500  # flags per transaction at most


class IssuedFlags:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._waiting: list[tuple[tuple[str, str], asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def mark(self, uuid: str, tag: str) -> bool:
        """Set (election, tag) as issued, durably: True if this call set it, False if it was
        set already. Raises (and sets nothing) if the database could not store it."""
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append(((uuid, tag), answer))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        return await answer

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:BATCH], self._waiting[BATCH:]
            try:
                results = await asyncio.to_thread(
                    store.mark_issued, self.engine, [flag for flag, _ in batch]
                )
            except Exception as e:
                for _, answer in batch:
                    if not answer.done():
                        answer.set_exception(e)
                continue
            for (_, answer), done in zip(batch, results, strict=True):
                if not answer.done():
                    answer.set_result(done)
