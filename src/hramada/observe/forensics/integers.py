"""The integer-percentage test against a binomial Monte Carlo null (Kobak et al. 2016)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from hramada.observe.forensics.data import Results

CHUNK = 25  # simulations drawn at once: ~25 x 95k int64 stays small


@dataclass(frozen=True)
class Outcome:
    """Stations near an integer percentage: observed, the null's mean, their difference, p."""

    observed: int
    expected: float
    excess: float
    p_value: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def near_integer(count: np.ndarray, total: np.ndarray, window: float) -> np.ndarray:
    """Whether 100 * count / total lies within `window` percentage points of an integer."""
    percent = 100.0 * count / total
    return np.abs(percent - np.rint(percent)) <= window + 1e-9


def _test(
    count: np.ndarray,
    total: np.ndarray,
    window: float,
    simulations: int,
    rng: np.random.Generator,
    tick: Callable[[int], None],
) -> Outcome:
    observed = int(near_integer(count, total, window).sum())
    rate = count / total
    null = np.empty(simulations, dtype=np.int64)
    for start in range(0, simulations, CHUNK):
        size = min(CHUNK, simulations - start)
        drawn = rng.binomial(total, rate, size=(size, total.size))
        null[start : start + size] = near_integer(drawn, total, window).sum(axis=1)
        tick(size)
    expected = float(null.mean())
    p_value = float((1 + np.count_nonzero(null >= observed)) / (1 + simulations))
    return Outcome(observed, expected, observed - expected, p_value)


def integer_test(
    results: Results,
    leader: str | None,
    *,
    window: float = 0.05,
    min_registered: int = 100,
    simulations: int = 1000,
    seed: int = 2016,
    tick: Callable[[int], None] = lambda n: None,
) -> dict[str, Outcome]:
    """Turnout and the leader's share, each tested; `tick` hears of every batch of simulations.

    Null model: each station's count is redrawn from a binomial with its own observed rate
    (turnout: voted of registered; leader: leader's votes of those who voted), so the null keeps
    every station's size and rate and only removes any preference for round percentages.
    """
    big = results.registered >= min_registered
    registered, voted = results.registered[big], results.voted[big]
    leader_votes = results.leader(leader)[big]
    rng = np.random.default_rng(seed)
    return {
        "turnout": _test(voted, registered, window, simulations, rng, tick),
        "leader": _test(leader_votes, voted, window, simulations, rng, tick),
    }


def to_json(outcome: dict[str, Outcome]) -> str:
    """`{"turnout": {observed, expected, excess, p_value}, "leader": {...}}`, indented."""
    return json.dumps({name: o.as_dict() for name, o in outcome.items()}, indent=2)
