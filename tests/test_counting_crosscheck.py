"""Our seats against two apportionment packages nobody here wrote (apportionment, votelib)."""

from __future__ import annotations

import random
from collections.abc import Callable

import apportionment.methods as apportionment
import pytest
from votelib.evaluate.proportional import LargestRemainder

from hramada.counting.apportion import Allocation, Method, allocate

CASES = 1000

PEERS: dict[Method, Callable[[list[int], int], list[int]]] = {
    Method.hare: lambda v, n: apportionment.compute("largest_remainder", v, n, fractions=True),
    Method.dhondt: lambda v, n: apportionment.compute("dhondt", v, n, fractions=True),
    Method.sainte_lague: lambda v, n: apportionment.compute("saintelague", v, n, fractions=True),
    Method.modified_sainte_lague: lambda v, n: apportionment.compute("modified_saintelague", v, n),
}


def _votelib(quota: str) -> Callable[[list[int], int], list[int]]:
    def run(votes: list[int], n: int) -> list[int]:
        got = LargestRemainder(quota).evaluate(dict(enumerate(votes)), n)
        return [int(got.get(i, 0)) for i in range(len(votes))]

    return run


PEERS[Method.droop] = _votelib("droop")
PEERS[Method.imperiali] = _votelib("imperiali")


def _comparable(alloc: Allocation) -> bool:
    """Exact ties (each package breaks them its own way) and overshoot are left out."""
    return not any("tie broken" in s or "exceed" in s for s in alloc.steps)


@pytest.mark.parametrize("method", list(Method))
def test_same_seats_as_an_independent_package(method: Method) -> None:
    rnd = random.Random(f"crosscheck-{method.value}")
    compared = 0
    while compared < CASES:
        votes = [rnd.randint(1, 5000) for _ in range(rnd.randint(2, 8))]
        n = rnd.randint(1, 60)
        names = [f"L{i}" for i in range(len(votes))]
        ours = allocate(names, votes, n, method)
        if not _comparable(ours):
            continue
        assert [r.seats for r in ours.lists] == PEERS[method](votes, n), (votes, n)
        compared += 1
