"""The one error the server answers with: an HTTP status, the check that failed, a message."""

from __future__ import annotations

from hramada.election.errors import Rejected

# Rules whose failure means "not now" rather than "bad input".
_CONFLICTS = {"phase", "replay", "partial decryption state"}


class Problem(Exception):
    def __init__(self, status: int, check: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.check = check
        self.message = message

    @classmethod
    def rejected(cls, e: Rejected) -> Problem:
        return cls(409 if e.check in _CONFLICTS else 400, e.check, e.detail)

    def as_json(self) -> dict[str, dict[str, str]]:
        return {"error": {"check": self.check, "message": self.message}}
