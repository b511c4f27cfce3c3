"""Group commit: many ballots appended, one fsync, then all of them acknowledged; and the
checkpoint that spares a restart from checking those ballots again."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from hramada.election.ballot import AcceptedBallot
from hramada.election.box import BallotBox
from hramada.protocol.archive import ArchiveWriter, WriteFailed
from hramada.protocol.checkpoint import Checkpoint, write_checkpoint

CHECKPOINT_SECONDS = 1.0  # at most one checkpoint a second per election while ballots come in
log = logging.getLogger("hramada.server")


def save_checkpoint(writer: ArchiveWriter) -> None:
    """Record what of the archive is on disk now, so a restart re-checks only what follows.

    A failure costs only a slower restart: it is logged and otherwise ignored."""
    _write(writer, writer.checkpoint())


def _write(writer: ArchiveWriter, checkpoint: Checkpoint) -> None:
    try:
        write_checkpoint(writer.path, checkpoint)
    except OSError as e:
        log.warning("the checkpoint of %s was not written: %s", writer.path.name, e)


class GroupCommit:
    """Acknowledge a ballot only once an fsync that started after its append has finished.

    A failed fsync acknowledges nothing: the box forgets every pending ballot, the archive
    is cut back to its last durable length and refuses appends until the server restarts.
    """

    def __init__(self, box: BallotBox, settled: Callable[[list[AcceptedBallot]], None]) -> None:
        self.box = box
        self.settled = settled  # told of the ballots each fsync made durable, in order
        self._lock = asyncio.Lock()
        self._saved = time.monotonic()  # when the last checkpoint was begun
        self._saving: asyncio.Task[None] | None = None  # one checkpoint written at a time

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
                self._checkpoint()
        if len(box.ballots) < ticket:
            raise WriteFailed(box.writer.broken or "the ballot was not stored")

    def _checkpoint(self) -> None:
        """Begin writing a checkpoint of what is durable now, if the last is a second old."""
        now = time.monotonic()
        if (self._saving and not self._saving.done()) or now - self._saved < CHECKPOINT_SECONDS:
            return
        self._saved = now
        writer = self.box.writer
        self._saving = asyncio.create_task(asyncio.to_thread(_write, writer, writer.checkpoint()))
