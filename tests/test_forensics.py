"""Election forensics on synthetic stations whose truth is known, and on a real CEC file."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import example, given
from hypothesis import strategies as st

from hramada.observe.forensics.data import Results, load
from hramada.observe.forensics.integers import integer_test, near_integer

RUSSIA = Path(__file__).parents[2] / "shared/data/russia-elections/2012.csv.zip"


def _synthetic(forced: int, n: int = 20_000, seed: int = 1) -> Results:
    rng = np.random.default_rng(seed)
    registered = rng.integers(300, 3000, n)
    voted = rng.binomial(registered, rng.uniform(0.4, 0.8, n))
    registered[:forced] = 100 * rng.integers(3, 30, forced)  # so k % is a whole count
    voted[:forced] = np.rint(registered[:forced] * rng.integers(60, 95, forced) / 100)
    leader = rng.binomial(voted, 0.55)
    votes = pd.DataFrame({"A": leader, "B": voted - leader})
    return Results(np.arange(n).astype(str), np.full(n, "R"), registered, voted, votes)


def test_clean_binomial_data_is_not_flagged() -> None:
    outcome = integer_test(_synthetic(0), "A", simulations=200)
    assert outcome["turnout"].p_value >= 0.01
    assert outcome["leader"].p_value >= 0.01


def test_forced_integer_turnout_is_flagged_with_the_right_excess() -> None:
    outcome = integer_test(_synthetic(300), "A", simulations=200)["turnout"]
    assert outcome.p_value < 0.01
    assert abs(outcome.excess - 300) < 60  # forced ones that were near an integer anyway


def test_the_2012_file_shows_an_integer_excess() -> None:
    results = load(RUSSIA)
    assert len(results.station) > 95_000
    assert results.leader_column(None).startswith("Путин")
    outcome = integer_test(results, None, simulations=50)
    assert outcome["turnout"].excess > 200 and outcome["leader"].excess > 200


@example((1401, 2000))  # 70.05 %: on the window's edge, inside
@example((1399, 2000))  # 69.95 %
@example((141, 200))  # 70.5 %: the farthest from an integer
@given(st.integers(1, 100_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_near_integer_agrees_with_exact_fractions(pair: tuple[int, int]) -> None:
    count, total = pair
    percent = Fraction(100 * count, total)
    for window in ("0.05", "0.1", "0"):
        exact = abs(percent - round(percent)) <= Fraction(window)
        computed = near_integer(np.array([count]), np.array([total]), float(window))[0]
        assert computed == exact, (count, total, window)
