"""An opened election in memory: its ballot box, casting lock, group commit and board index."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hramada.election.ballot import AcceptedBallot
from hramada.election.box import BallotBox, Outcome
from hramada.election.context import ElectionContext
from hramada.protocol.canonical import decode
from hramada.protocol.model import SetupData
from hramada.server.checking import Setup
from hramada.server.durability import GroupCommit, save_checkpoint
from hramada.server.problems import Problem
from hramada.verify.parallel import check_ballots

STATES = {"voting": "open", "closed": "closed", "tallied": "tallied", "done": "published"}


def _setup_of(box: BallotBox) -> Setup:
    archive = box.writer.archive
    setup = decode(archive.payload(archive.events[0][1]), SetupData, "setup data")
    return (
        archive.data[setup.election],
        archive.data[setup.trustees],
        archive.data[setup.credentials],
    )


@dataclass
class Live:
    """The archive is the truth; everything else here is derived from it or from the DB row."""

    box: BallotBox
    opens_at: datetime | None
    closes_at: datetime | None
    setup: Setup = field(init=False)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    commit: GroupCommit = field(init=False)
    index: dict[str, int] = field(default_factory=dict)  # tracking code -> position
    last: dict[str, int] = field(default_factory=dict)  # credential -> position of its last

    def __post_init__(self) -> None:
        self.setup = _setup_of(self.box)
        self.commit = GroupCommit(self.box, self._settled)
        self._settled(self.box.ballots)

    @classmethod
    def open(
        cls, path: Path, opens_at: datetime | None, closes_at: datetime | None, workers: int
    ) -> Live:
        """Replay the archive, its ballots checked again on `workers` processes (those its
        checkpoint covers excepted), and checkpoint what was checked."""

        def check_all(ctx: ElectionContext, ballots: list[tuple[int, bytes]]) -> dict[int, Outcome]:
            return check_ballots(ctx, ballots, workers)

        box = BallotBox.open(path, check_all)
        if box.writer.trusted_events < len(box.writer.archive.events):
            save_checkpoint(box.writer)
        return cls(box, opens_at, closes_at)

    def _settled(self, ballots: list[AcceptedBallot]) -> None:
        """Index ballots just made durable (the last ones of `box.ballots`)."""
        first = len(self.box.ballots) - len(ballots)
        for i, b in enumerate(ballots, first):
            self.index[b.tracker] = i
            self.last[b.credential] = i

    @property
    def state(self) -> str:
        return STATES[self.box.phase]

    def voting_now(self, now: datetime | None = None) -> bool:
        now = now or datetime.now(UTC)
        return (
            self.box.phase == "voting"
            and (self.opens_at is None or now >= self.opens_at)
            and (self.closes_at is None or now < self.closes_at)
        )

    @property
    def problem(self) -> str | None:
        """Why this election refuses every change until the server restarts, if it does."""
        return self.box.writer.broken

    def require_writable(self) -> None:
        if self.problem:
            raise Problem(
                503,
                "storage",
                "the server could not store data for this election safely, so it stores "
                "nothing more until it is restarted; nothing was recorded",
            )

    def require_voting(self) -> None:
        self.require_writable()
        if self.box.phase != "voting":
            raise Problem(409, "phase", f"voting has ended: the election is {self.state}")
        if not self.voting_now():
            raise Problem(403, "window", "the voting window is not open now")

    def accept(self, data: bytes, checked: AcceptedBallot) -> int:
        """Append a checked ballot (pending until durable); returns the group-commit ticket."""
        self.box.cast(data, checked, sync=False)
        return self.commit.ticket()

    def superseded(self, i: int) -> bool:
        return self.last[self.box.ballots[i].credential] != i

    def board_page(self, page: int, size: int) -> dict[str, Any]:
        """Page `page` (from 1) of the tracking codes, `size` a page, and the totals."""
        ballots = self.box.ballots
        total = len(ballots)
        pages = max(1, -(-total // size))
        page = min(max(page, 1), pages)
        start = (page - 1) * size
        listed = [
            {"tracking_code": b.tracker, "superseded": self.last[b.credential] != i}
            for i, b in enumerate(ballots[start : start + size], start)
        ]
        return {
            "total": total,
            "counted": len(self.last),
            "page": page,
            "pages": pages,
            "per_page": size,
            "ballots": listed,
        }
