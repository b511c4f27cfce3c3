"""Candidate lists: validity before the vote, and who takes a list's seats after it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Candidate:
    name: str
    gender: str  # as the rules need it, e.g. "f" / "m"
    withdrawn: bool = False


@dataclass(frozen=True)
class ListRules:
    min_candidates: int = 0
    min_gender_share: Fraction = Fraction(0)  # of the less-represented gender
    exception_gender_share: Fraction | None = None  # the lower share allowed by exception


def list_problems(
    name: str, candidates: Sequence[Candidate], rules: ListRules, *, exception: bool = False
) -> list[str]:
    """Why a list is not valid under the rules (empty: it is valid); each message names the rule."""
    problems = []
    if len(candidates) < rules.min_candidates:
        problems.append(
            f"min_candidates: list {name!r} has {len(candidates)} candidates, "
            f"fewer than {rules.min_candidates}"
        )
    need = rules.min_gender_share
    if exception and rules.exception_gender_share is not None:
        need = rules.exception_gender_share
    if need and candidates:
        counts: dict[str, int] = {}
        for c in candidates:
            counts[c.gender] = counts.get(c.gender, 0) + 1
        least = min(counts.values()) if len(counts) > 1 else 0
        if Fraction(least, len(candidates)) < need:
            rule = "exception_gender_share" if exception else "min_gender_share"
            problems.append(
                f"{rule}: list {name!r} has {least} of {len(candidates)} candidates of its "
                f"less-represented gender, under {float(need * 100):g} %"
            )
    return problems


def elected(
    candidates: Sequence[Candidate], seats: int, *, min_gender_share: Fraction = Fraction(0)
) -> list[Candidate]:
    """The list's `seats` candidates in list order, skipping withdrawn ones; with a gender share,
    a candidate of the under-represented gender moves up in place of the last one who would
    break it."""
    available = [c for c in candidates if not c.withdrawn]
    chosen = available[:seats]
    if not min_gender_share or not chosen:
        return chosen
    genders = sorted({c.gender for c in available})
    for gender in genders:
        need = -(-min_gender_share * len(chosen) // 1)  # ceiling
        while sum(c.gender == gender for c in chosen) < need:
            nxt = next((c for c in available if c not in chosen and c.gender == gender), None)
            out = next((c for c in reversed(chosen) if c.gender != gender), None)
            if nxt is None or out is None:
                break
            chosen = [c for c in chosen if c is not out] + [nxt]
            chosen.sort(key=available.index)
    return chosen
