"""The one error every rule of the protocol raises, naming the check that failed."""

from __future__ import annotations


class Rejected(ValueError):
    """Input that breaks a protocol rule; `check` names the rule, the message says what is wrong."""

    def __init__(self, check: str, detail: str) -> None:
        super().__init__(f"{check}: {detail}")
        self.check = check
        self.detail = detail

    def __reduce__(self) -> tuple[type[Rejected], tuple[str, str]]:
        return Rejected, (self.check, self.detail)  # crosses process boundaries intact
