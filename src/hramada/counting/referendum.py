"""Referendum outcomes: simple or qualified majority of a stated base, quorum, blank votes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from hramada.counting.steps import Step


class MajorityBase(StrEnum):
    cast = "cast"  # every ballot cast, blank and invalid included
    valid = "valid"  # yes + no (+ blank when blank counts)
    registered = "registered"  # every registered voter


@dataclass(frozen=True)
class ReferendumRules:
    majority: Fraction = Fraction(1, 2)  # "more than" this share of the base (1/2: simple)
    base: MajorityBase = MajorityBase.valid
    quorum: Fraction = Fraction(0)  # turnout: share of registered voters who must cast
    blank_counts: bool = False  # blank votes count in the valid base
    at_least: bool = False  # "at least" the share (e.g. 2/3) instead of "more than"


@dataclass(frozen=True)
class Outcome:
    adopted: bool
    steps: tuple[Step, ...]


def referendum(
    yes: int, no: int, blank: int, cast: int, registered: int, rules: ReferendumRules
) -> Outcome:
    """Whether the proposal is adopted, with each step in words."""
    if not yes + no + blank <= cast <= registered:
        raise ValueError("referendum counts: yes + no + blank <= cast <= registered must hold")
    steps = []
    turnout = Fraction(cast, registered) if registered else Fraction(0)
    quorum_met = turnout >= rules.quorum
    steps.append(
        Step(
            "turnout",
            cast=cast,
            registered=registered,
            turnout=f"{float(turnout * 100):.2f}",
            quorum=f"{float(rules.quorum * 100):g}",
            outcome="met" if quorum_met else "not-met",
        )
    )
    base = {
        MajorityBase.cast: cast,
        MajorityBase.valid: yes + no + (blank if rules.blank_counts else 0),
        MajorityBase.registered: registered,
    }[rules.base]
    share = Fraction(yes, base) if base else Fraction(0)
    majority_met = base > 0 and (
        share >= rules.majority if rules.at_least else share > rules.majority
    )
    blank_in = rules.blank_counts and rules.base is MajorityBase.valid
    steps.append(
        Step(
            "majority",
            yes=yes,
            base=base,
            basis="valid-blank" if blank_in else rules.base.value,
            comparison="at-least" if rules.at_least else "more-than",
            majority=f"{float(rules.majority * 100):g}",
            outcome="met" if majority_met else "not-met",
        )
    )
    adopted = quorum_met and majority_met
    steps.append(Step("adopted" if adopted else "not_adopted"))
    return Outcome(adopted, tuple(steps))
