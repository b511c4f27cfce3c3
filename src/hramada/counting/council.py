"""A council election's seats and elected candidates from its list question's verified counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hramada.counting.apportion import Allocation, RulesError, allocate
from hramada.counting.lists import Candidate, elected
from hramada.counting.referendum import Outcome, referendum
from hramada.counting.rules import RulesFile, candidates, pct, referendum_rules
from hramada.protocol.model import Election


@dataclass(frozen=True)
class CouncilResult:
    allocation: Allocation
    elected: dict[str, list[Candidate]]
    referendums: list[Outcome]
    steps: tuple[str, ...]


def list_counts(
    election: Election, result: Sequence[Sequence[int]], question: int
) -> tuple[list[str], list[int], int]:
    """The list names, their votes and the blank votes of the election's list question."""
    if not 0 <= question < len(election.questions):
        raise RulesError(f"question: the election has no question {question}")
    q = election.questions[question]
    if not q.homomorphic or q.answers is None or q.max != 1:
        raise RulesError(f"question: question {question} is not a vote for one list")
    row = list(result[question])
    blank = row.pop(0) if q.blank else 0
    return list(q.answers), row, blank


def council_seats(
    rules: RulesFile, election: Election, result: Sequence[Sequence[int]], seed: str
) -> CouncilResult:
    """Apply the rules to the verified counts: seats, elected candidates, referendum outcomes."""
    names, votes, blank = list_counts(election, result, rules.question)
    if rules.lists and [spec.name for spec in rules.lists] != names:
        raise RulesError(
            f"lists: the rules' lists differ from the answers of question {rules.question}"
        )
    base = sum(votes) + (blank if rules.threshold.base == "valid-votes" else 0)
    allocation = allocate(
        names,
        votes,
        rules.seats,
        rules.method,
        threshold=pct(rules.threshold.percent, "threshold.percent"),
        threshold_base=base,
        quota_base=rules.quota_base,
        tie_break=rules.tie_break,
        seed=seed,
    )
    steps = list(allocation.steps)
    chosen: dict[str, list[Candidate]] = {}
    share = pct(rules.elected_gender_share, "elected_gender_share") / 100
    for spec, row in zip(rules.lists, allocation.lists, strict=False):
        chosen[spec.name] = elected(candidates(spec), row.seats, min_gender_share=share)
        if len(chosen[spec.name]) < row.seats:
            steps.append(
                f"{spec.name} won {row.seats} seats but has only {len(chosen[spec.name])} "
                "candidates standing: the rest stay empty."
            )
    outcomes = []
    for ref in rules.referendums:
        q = election.questions[ref.question]
        counts = list(result[ref.question])
        blanks = counts.pop(0) if q.blank else 0
        yes, no = counts[0], counts[1]
        cast = yes + no + blanks
        outcome = referendum(yes, no, blanks, cast, ref.registered or cast, referendum_rules(ref))
        outcomes.append(outcome)
        steps.extend(f"Question {ref.question}: {s}" for s in outcome.steps)
    return CouncilResult(allocation, chosen, outcomes, tuple(steps))
