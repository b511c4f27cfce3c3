"""The published tie-break: rules in order (most votes, list order), then a lot anyone redraws."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from enum import StrEnum


class TieRule(StrEnum):
    most_votes = "most-votes"
    list_order = "list-order"
    lot = "lot"


DEFAULT_TIE_BREAK = (TieRule.most_votes, TieRule.lot)


def lot_key(seed: str, name: str) -> bytes:
    """The lot of a list: SHA-256 of the seed and its name; the smallest digest is drawn first."""
    return hashlib.sha256(f"hramada-lot\0{seed}\0{name}".encode()).digest()


def _key(rule: TieRule, i: int, names: Sequence[str], votes: Sequence[int], seed: str) -> object:
    if rule is TieRule.most_votes:
        return -votes[i]
    if rule is TieRule.list_order:
        return i
    return lot_key(seed, names[i])


def rank_tied(
    tied: Sequence[int],
    names: Sequence[str],
    votes: Sequence[int],
    rules: Sequence[TieRule],
    seed: str,
) -> tuple[list[int], str | None]:
    """The tied indices, favoured first, and the rule that separated the first two (None: no
    tie; list order when no rule decided)."""
    order = sorted(set(tied), key=lambda i: (*(_key(r, i, names, votes, seed) for r in rules), i))
    if len(order) < 2:
        return order, None
    a, b = order[0], order[1]
    for rule in rules:
        if _key(rule, a, names, votes, seed) != _key(rule, b, names, votes, seed):
            return order, rule.value
    return order, TieRule.list_order.value
