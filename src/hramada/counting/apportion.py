"""Seats for closed lists: largest remainder (Hare, Droop, Imperiali) and highest averages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from typing import Any

from hramada.counting.steps import Step, tied
from hramada.counting.ties import DEFAULT_TIE_BREAK, TieRule, rank_tied


class Method(StrEnum):
    hare = "hare"
    droop = "droop"
    imperiali = "imperiali"
    dhondt = "dhondt"
    sainte_lague = "sainte-lague"
    modified_sainte_lague = "modified-sainte-lague"


LARGEST_REMAINDER = (Method.hare, Method.droop, Method.imperiali)


class QuotaBase(StrEnum):
    all = "all"  # every valid list vote, lists under the threshold included
    eligible = "eligible"  # only the votes of lists over the threshold


class RulesError(ValueError):
    """Rules that contradict themselves or the election; the message names the rule."""


@dataclass(frozen=True)
class ListSeats:
    name: str
    votes: int
    share: Fraction  # of the threshold base
    eligible: bool
    quota_share: Fraction | None  # votes / quota (largest remainder only)
    whole: int | None
    remainder: Fraction | None
    remainder_seats: int | None
    seats: int


@dataclass(frozen=True)
class Allocation:
    method: Method
    seats: int
    quota: Fraction | None
    lists: tuple[ListSeats, ...]
    steps: tuple[Step, ...] = field(default=())

    def by_name(self) -> dict[str, int]:
        return {row.name: row.seats for row in self.lists}


def divisor(method: Method, k: int) -> Fraction:
    """The divisor for a list's (k+1)-th seat."""
    if method is Method.dhondt:
        return Fraction(k + 1)
    if method is Method.modified_sainte_lague and k == 0:
        return Fraction(7, 5)
    return Fraction(2 * k + 1)


def quota_for(method: Method, base: int, seats: int) -> Fraction:
    if method is Method.hare:
        return Fraction(base, seats)
    if method is Method.droop:
        return Fraction(base // (seats + 1) + 1)
    return Fraction(base, seats + 2)


def allocate(
    names: Sequence[str],
    votes: Sequence[int],
    seats: int,
    method: Method,
    *,
    threshold: Fraction = Fraction(0),
    threshold_base: int | None = None,
    quota_base: QuotaBase = QuotaBase.eligible,
    tie_break: Sequence[TieRule] = DEFAULT_TIE_BREAK,
    seed: str = "",
) -> Allocation:
    """Allocate `seats` among lists; `threshold` is a percentage of `threshold_base` (default: all list votes)."""  # noqa: E501
    _check(names, votes, seats, threshold)
    total = sum(votes)
    tbase = total if threshold_base is None else threshold_base
    if tbase < total:
        raise RulesError(f"threshold base: {tbase} is fewer than the {total} list votes")
    steps = [Step("intro", lists=len(names), votes=total, seats=seats, method=method.value)]
    bar = Fraction(tbase) * threshold / 100
    eligible = [v > 0 and v >= bar for v in votes]
    if threshold:
        under = [n for n, ok in zip(names, eligible, strict=True) if not ok]
        common = {"threshold": threshold, "base": tbase, "bar": f"{float(bar):.2f}"}
        steps.append(
            Step("threshold_under", under=", ".join(under), **common)
            if under
            else Step("threshold_all", **common)
        )
    if not any(eligible):
        raise RulesError("threshold: no list reaches it, so no seat can be allocated")
    shares = [Fraction(v, tbase) if tbase else Fraction(0) for v in votes]
    if method in LARGEST_REMAINDER:
        return _largest_remainder(
            names, votes, seats, method, eligible, shares, quota_base, tie_break, seed, steps
        )
    return _highest_averages(names, votes, seats, method, eligible, shares, tie_break, seed, steps)


def _check(names: Sequence[str], votes: Sequence[int], seats: int, threshold: Fraction) -> None:
    if len(names) != len(votes) or not names:
        raise RulesError("lists: one vote count per list, at least one list")
    if len(set(names)) != len(names):
        raise RulesError("lists: two lists have the same name")
    if seats < 1:
        raise RulesError(f"seats: {seats} is not a positive number of seats")
    if not 0 <= threshold <= 100:
        raise RulesError(f"threshold: {threshold} % is not between 0 and 100 %")
    if any(v < 0 for v in votes):
        raise RulesError("votes: a list has a negative number of votes")


def _largest_remainder(
    names: Sequence[str],
    votes: Sequence[int],
    seats: int,
    method: Method,
    eligible: list[bool],
    shares: list[Fraction],
    quota_base: QuotaBase,
    tie_break: Sequence[TieRule],
    seed: str,
    steps: list[Step],
) -> Allocation:
    idx = [i for i, ok in enumerate(eligible) if ok]
    base = sum(votes) if quota_base is QuotaBase.all else sum(votes[i] for i in idx)
    quota = quota_for(method, base, seats)
    shown = f"{float(quota):.4f}"
    steps.append(Step(f"quota_{quota_base.value}", method=method.value, quota=shown, base=base))
    qshare = {i: Fraction(votes[i]) / quota for i in idx}
    whole = {i: qshare[i].numerator // qshare[i].denominator for i in idx}
    rem = {i: qshare[i] - whole[i] for i in idx}
    listed = ", ".join(f"{names[i]} {whole[i]}" for i in idx)
    steps.append(Step("whole", whole=listed, total=sum(whole.values())))
    while sum(whole.values()) > seats:  # Droop and Imperiali can overshoot on small houses
        holders = [i for i in idx if whole[i] > 0]
        low = min(rem[i] for i in holders)
        order, why = rank_tied([i for i in holders if rem[i] == low], names, votes, tie_break, seed)
        loser = order[-1]
        whole[loser] -= 1
        rem[loser] += 1
        steps.append(tied("give_back", why, seats=seats, list=names[loser]))
    extra = {i: 0 for i in idx}
    left = seats - sum(whole.values())
    while left:
        pool = [i for i in idx if extra[i] == min(extra.values())]
        while pool and left:
            high = max(rem[i] for i in pool)
            order, why = rank_tied(
                [i for i in pool if rem[i] == high], names, votes, tie_break, seed
            )
            i = order[0]
            extra[i] += 1
            left -= 1
            pool.remove(i)
            steps.append(tied("remainder", why, list=names[i], remainder=f"{float(rem[i]):.4f}"))
    rows = tuple(
        ListSeats(
            names[i],
            votes[i],
            shares[i],
            eligible[i],
            qshare.get(i),
            whole.get(i),
            rem.get(i),
            extra.get(i),
            whole.get(i, 0) + extra.get(i, 0),
        )
        for i in range(len(names))
    )
    return Allocation(method, seats, quota, rows, tuple(steps))


def _highest_averages(
    names: Sequence[str],
    votes: Sequence[int],
    seats: int,
    method: Method,
    eligible: list[bool],
    shares: list[Fraction],
    tie_break: Sequence[TieRule],
    seed: str,
    steps: list[Step],
) -> Allocation:
    idx = [i for i, ok in enumerate(eligible) if ok]
    won = {i: 0 for i in idx}
    divisors = ", ".join(str(divisor(method, k)) for k in range(4))
    steps.append(Step("averages", divisors=divisors))
    for n in range(1, seats + 1):
        avg = {i: Fraction(votes[i]) / divisor(method, won[i]) for i in idx}
        high = max(avg.values())
        order, why = rank_tied([i for i in idx if avg[i] == high], names, votes, tie_break, seed)
        i = order[0]
        won[i] += 1
        steps.append(tied("average", why, n=n, list=names[i], average=f"{float(high):.4f}"))
    rows = tuple(
        ListSeats(names[i], votes[i], shares[i], eligible[i], None, None, None, None, won.get(i, 0))
        for i in range(len(names))
    )
    return Allocation(method, seats, None, rows, tuple(steps))


def alabama_paradox(
    names: Sequence[str], votes: Sequence[int], seats: int, method: Method, **rules: Any
) -> list[str]:
    """The lists that lose a seat when the house grows from `seats` to `seats + 1`."""
    before = allocate(names, votes, seats, method, **rules).by_name()
    after = allocate(names, votes, seats + 1, method, **rules).by_name()
    return [n for n in names if after[n] < before[n]]
