"""What a verification found: the problems, what could not be checked, the verified result."""

from __future__ import annotations

from dataclasses import dataclass, field

from hramada.protocol.model import Election


@dataclass(frozen=True)
class Problem:
    """A failed check, located at the event (height and type) it concerns."""

    height: int | None
    event: str
    check: str
    detail: str

    def __str__(self) -> str:
        where = "archive" if self.height is None else f"event {self.height} ({self.event})"
        return f"{where}: {self.check}: {self.detail}"


class StopVerification(Exception):
    """Raised at the first problem unless every problem is to be collected."""


@dataclass
class Report:
    election: Election | None = None
    problems: list[Problem] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    ballots: int = 0
    tallied: int | None = None
    total_weight: int | None = None  # of the ballots tallied (their number, without weights)
    registered: int | None = None  # total weight of the credentials (the voters, unweighted)
    result: list[list[int]] | None = None  # homomorphic counts, checked against the decryption
    events: int = 0
    registrations: int | None = None  # anonymous registrations checked (registrations.json)
    last_event: str | None = None  # the hash of the archive's last event (the seed of lots)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def complete(self) -> bool:
        return self.ok and not self.unsupported
