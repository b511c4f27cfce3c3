"""Group commit: many ballots appended, one fsync, then all of them acknowledged."""

from __future__ import annotations

import asyncio

from hramada.protocol.archive import ArchiveWriter


class GroupCommit:
    """Acknowledge an append only once an fsync that started after it has finished."""

    def __init__(self, writer: ArchiveWriter) -> None:
        self.writer = writer
        self.written = 0  # appends made
        self.synced = 0  # appends known durable
        self._lock = asyncio.Lock()

    def appended(self) -> int:
        """Count an append just made; returns its ticket for `durable`."""
        self.written += 1
        return self.written

    async def durable(self, ticket: int) -> None:
        """Return once the append with this ticket (and all before it) is on disk."""
        async with self._lock:
            if self.synced >= ticket:
                return
            target = self.written
            await asyncio.to_thread(self.writer.sync)
            self.synced = target
