"""Group commit: many ballots appended, one fsync, then all of them acknowledged."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from hramada.election.ballot import AcceptedBallot
from hramada.election.box import BallotBox
from hramada.protocol.archive import WriteFailed


class GroupCommit:
    """Acknowledge a ballot only once an fsync that started after its append has finished.

    A failed fsync acknowledges nothing: the box forgets every pending ballot, the archive
    is cut back to its last durable length and refuses appends until the server restarts.
    """

    def __init__(self, box: BallotBox, settled: Callable[[list[AcceptedBallot]], None]) -> None:
        self.box = box
        self.settled = settled  # told of the ballots each fsync made durable, in order
        self._lock = asyncio.Lock()

    def ticket(self) -> int:
        """The ticket of the ballot just appended: its position among all ballots, plus one."""
        return len(self.box.ballots) + len(self.box.pending)

    async def durable(self, ticket: int) -> None:
        """Return once the ballot with this ticket (and all before it) is on disk; raises
        WriteFailed if it never will be."""
        box = self.box
        async with self._lock:
            if len(box.ballots) < ticket and box.pending:
                mark = box.mark()
                try:
                    await asyncio.to_thread(box.writer.fsync)
                except OSError as e:
                    raise box.abandon(e) from e
                self.settled(box.settle(mark))
        if len(box.ballots) < ticket:
            raise WriteFailed(box.writer.broken or "the ballot was not stored")
