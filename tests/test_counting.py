"""Seat allocation: textbook examples, properties, exact ties, lists and referendums."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hramada.counting.apportion import (
    LARGEST_REMAINDER,
    Method,
    QuotaBase,
    RulesError,
    alabama_paradox,
    allocate,
)
from hramada.counting.lists import Candidate, ListRules, elected, list_problems
from hramada.counting.referendum import MajorityBase, ReferendumRules, referendum
from hramada.counting.ties import TieRule

ABCD = ["A", "B", "C", "D"]
WIKI_LR = ["Yellows", "Whites", "Reds", "Greens", "Blues", "Pinks"]
WIKI_LR_VOTES = [47000, 16000, 15800, 12000, 6100, 3100]


def seats(names: list[str], votes: list[int], n: int, method: Method, **kw: object) -> list[int]:
    return [row.seats for row in allocate(names, votes, n, method, **kw).lists]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        # Hand-checked: Hare quota 10,000 gives 4,1,1,1,0,0 whole seats, remainders .7 .61 .6 win.
        (Method.hare, [5, 2, 1, 1, 1, 0]),
        # Droop quota floor(100000/11)+1 = 9091: 5,1,1,1 whole, remainders .76 and .74 win.
        (Method.droop, [5, 2, 2, 1, 0, 0]),
        # Imperiali quota 100000/12: 5,1,1,1 whole, remainders .92 and .896 win.
        (Method.imperiali, [5, 2, 2, 1, 0, 0]),
    ],
)
def test_largest_remainder_textbook(method: Method, expected: list[int]) -> None:
    assert seats(WIKI_LR, WIKI_LR_VOTES, 10, method) == expected


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        (Method.dhondt, [4, 3, 1, 0]),
        (Method.sainte_lague, [3, 3, 1, 1]),
        # 100000/7 == 20000/1.4 exactly: the 8th seat is an exact tie, most votes wins it.
        (Method.modified_sainte_lague, [4, 3, 1, 0]),
    ],
)
def test_highest_averages_textbook(method: Method, expected: list[int]) -> None:
    assert seats(ABCD, [100000, 80000, 30000, 20000], 8, method) == expected


def test_exact_tie_is_explained_and_follows_the_rule() -> None:
    alloc = allocate(ABCD, [100000, 80000, 30000, 20000], 8, Method.modified_sainte_lague)
    assert alloc.steps[-1] == "Seat 8 to A (average 14285.7143), tie broken by most-votes."
    by_order = allocate(
        ["D", "A", "B", "C"],
        [20000, 100000, 80000, 30000],
        8,
        Method.modified_sainte_lague,
        tie_break=[TieRule.list_order],
    )
    assert by_order.by_name()["D"] == 1


def test_lot_is_the_same_on_every_run_and_machine() -> None:
    # Equal votes, one seat: only the lot separates X and Y. The winners are written down here,
    # so a change of hash, encoding or ordering anywhere fails this test.
    wins = {
        seed: [
            r.name
            for r in allocate(["X", "Y"], [5, 5], 1, Method.dhondt, seed=seed).lists
            if r.seats
        ]
        for seed in "abcdefgh"
    }
    assert wins == {s: [w] for s, w in zip("abcdefgh", "YYYYYYXY", strict=True)}
    assert allocate(["X", "Y"], [5, 5], 1, Method.hare, seed="g").steps[-1].endswith("by lot.")


def test_threshold_and_quota_base() -> None:
    names, votes = ["A", "B", "C"], [60, 36, 4]
    assert seats(names, votes, 10, Method.hare, threshold=Fraction(5)) == [6, 4, 0]
    # The quota from all votes (10) leaves one seat for the remainders round.
    alloc = allocate(names, votes, 10, Method.hare, threshold=Fraction(5), quota_base=QuotaBase.all)
    assert alloc.quota == 10 and alloc.by_name() == {"A": 6, "B": 4, "C": 0}
    # A threshold base larger than the list votes (blank votes count) raises the bar.
    assert seats(
        names, [60, 36, 4], 10, Method.dhondt, threshold=Fraction(5), threshold_base=100
    ) == [6, 4, 0]
    assert seats(
        names, [60, 36, 5], 10, Method.dhondt, threshold=Fraction(5), threshold_base=200
    ) == [6, 4, 0]


@pytest.mark.parametrize(
    ("kwargs", "rule"),
    [
        ({"threshold": Fraction(101)}, "threshold"),
        ({"threshold": Fraction(-1)}, "threshold"),
        ({"threshold_base": 5}, "threshold base"),
        ({"threshold": Fraction(100)}, "threshold"),
    ],
)
def test_bad_rules_name_the_rule(kwargs: dict[str, object], rule: str) -> None:
    with pytest.raises(RulesError, match=f"^{rule}:"):
        allocate(["A", "B"], [3, 7], 5, Method.hare, **kwargs)  # type: ignore[arg-type]


def test_alabama_paradox_occurs_for_hare_and_is_reported() -> None:
    assert seats(["A", "B", "C"], [6, 6, 2], 10, Method.hare) == [4, 4, 2]
    assert seats(["A", "B", "C"], [6, 6, 2], 11, Method.hare) == [5, 5, 1]
    assert alabama_paradox(["A", "B", "C"], [6, 6, 2], 10, Method.hare) == ["C"]
    assert alabama_paradox(["A", "B", "C"], [6, 6, 2], 10, Method.dhondt) == []


votes_lists = st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=8).filter(
    lambda v: sum(v) > 0
)


@settings(max_examples=150, deadline=None)
@given(votes_lists, st.integers(1, 60), st.sampled_from(list(Method)), st.integers(0, 10))
def test_seats_add_up(votes: list[int], n: int, method: Method, threshold: int) -> None:
    names = [f"L{i}" for i in range(len(votes))]
    try:
        alloc = allocate(names, votes, n, method, threshold=Fraction(threshold))
    except RulesError:
        assert all(v < Fraction(threshold * sum(votes), 100) or v == 0 for v in votes)
        return
    assert sum(r.seats for r in alloc.lists) == n
    assert all(r.seats == 0 for r in alloc.lists if not r.eligible)


@settings(max_examples=150, deadline=None)
@given(votes_lists, st.integers(1, 60))
def test_hare_satisfies_the_quota_rule(votes: list[int], n: int) -> None:
    names = [f"L{i}" for i in range(len(votes))]
    for row in allocate(names, votes, n, Method.hare).lists:
        q = Fraction(row.votes * n, sum(votes))
        assert q - 1 < row.seats < q + 1


@settings(max_examples=100, deadline=None)
@given(
    votes_lists,
    st.integers(1, 40),
    st.sampled_from([Method.dhondt, Method.sainte_lague, Method.modified_sainte_lague]),
    st.data(),
)
def test_divisor_methods_are_monotone(
    votes: list[int], n: int, method: Method, data: st.DataObject
) -> None:
    names = [f"L{i}" for i in range(len(votes))]
    base = allocate(names, votes, n, method).by_name()
    bigger = allocate(names, votes, n + 1, method).by_name()
    assert all(bigger[k] >= base[k] for k in names)  # no Alabama paradox
    i = data.draw(st.integers(0, len(votes) - 1))
    more = list(votes)
    more[i] += data.draw(st.integers(1, 1000))
    assert allocate(names, more, n, method).by_name()[names[i]] >= base[names[i]]


@settings(max_examples=100, deadline=None)
@given(votes_lists, st.integers(1, 40), st.sampled_from(list(Method)), st.randoms())
def test_list_order_does_not_matter(votes: list[int], n: int, method: Method, rnd: object) -> None:
    names = [f"L{i}" for i in range(len(votes))]
    pairs = list(zip(names, votes, strict=True))
    rnd.shuffle(pairs)  # type: ignore[attr-defined]
    a = allocate(names, votes, n, method, seed="s").by_name()
    b = allocate([p[0] for p in pairs], [p[1] for p in pairs], n, method, seed="s").by_name()
    assert a == b


def test_largest_remainder_methods_are_the_three_quotas() -> None:
    assert set(LARGEST_REMAINDER) == {Method.hare, Method.droop, Method.imperiali}


F, M = "f", "m"


def test_list_validity_names_the_rule() -> None:
    rules = ListRules(10, Fraction(2, 5), Fraction(1, 5))
    ten = [Candidate(f"c{i}", F if i < 3 else M) for i in range(10)]
    assert list_problems("L", ten[:9], rules)[0].startswith("min_candidates: list 'L' has 9")
    assert list_problems("L", ten, rules) == [
        "min_gender_share: list 'L' has 3 of 10 candidates of its less-represented gender, under 40 %"  # noqa: E501
    ]
    assert list_problems("L", ten, rules, exception=True) == []
    one = [Candidate(f"c{i}", M) for i in range(10)]
    assert list_problems("L", one, rules, exception=True)[0].startswith("exception_gender_share")


def test_filling_seats_with_replacements_and_gender_balance() -> None:
    cands = [
        Candidate("a", M),
        Candidate("b", M, withdrawn=True),
        Candidate("c", M),
        Candidate("d", F),
        Candidate("e", M),
    ]
    assert [c.name for c in elected(cands, 2)] == ["a", "c"]
    assert [c.name for c in elected(cands, 3)] == ["a", "c", "d"]
    assert [c.name for c in elected(cands, 2, min_gender_share=Fraction(2, 5))] == ["a", "d"]


@pytest.mark.parametrize(
    ("counts", "rules", "adopted"),
    [
        ((51, 49, 0, 100, 200), ReferendumRules(), True),
        ((50, 50, 0, 100, 200), ReferendumRules(), False),
        ((51, 40, 9, 100, 200), ReferendumRules(blank_counts=True), True),
        ((50, 40, 10, 100, 200), ReferendumRules(blank_counts=True), False),
        ((60, 30, 0, 100, 200), ReferendumRules(Fraction(2, 3), at_least=True), True),
        ((60, 31, 0, 100, 200), ReferendumRules(Fraction(2, 3), at_least=True), False),
        ((60, 30, 0, 100, 200), ReferendumRules(base=MajorityBase.cast), True),
        ((60, 30, 0, 100, 200), ReferendumRules(base=MajorityBase.registered), False),
        ((60, 30, 0, 100, 200), ReferendumRules(quorum=Fraction(1, 2)), True),
        ((60, 30, 0, 99, 200), ReferendumRules(quorum=Fraction(1, 2)), False),
    ],
)
def test_referendum(
    counts: tuple[int, int, int, int, int], rules: ReferendumRules, adopted: bool
) -> None:
    outcome = referendum(*counts, rules)
    assert outcome.adopted is adopted
    assert outcome.steps[-1] == ("Adopted." if adopted else "Not adopted.")
