"""A council election's seats and elected candidates from its list question's verified counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from hramada.counting.apportion import Allocation, RulesError, allocate
from hramada.counting.lists import Candidate, elected, list_problems
from hramada.counting.referendum import Outcome, referendum
from hramada.counting.rules import RulesFile, candidates, list_rules, pct, referendum_rules
from hramada.counting.steps import Step
from hramada.protocol.model import Election, Question


@dataclass(frozen=True)
class CouncilResult:
    allocation: Allocation
    elected: dict[str, list[Candidate]]
    referendums: list[Outcome]
    steps: tuple[Step, ...]


def list_question(election: Election, question: int) -> Question:
    """The election's question `question`, which must be a vote for one list."""
    if not 0 <= question < len(election.questions):
        raise RulesError(f"question: the election has no question {question}")
    q = election.questions[question]
    if not q.homomorphic or q.answers is None or q.max != 1:
        raise RulesError(f"question: question {question} is not a vote for one list")
    return q


def list_counts(
    election: Election, result: Sequence[Sequence[int]], question: int
) -> tuple[list[str], list[int], int]:
    """The list names, their votes and the blank votes of the election's list question."""
    q = list_question(election, question)
    assert q.answers is not None
    row = list(result[question])
    blank = row.pop(0) if q.blank else 0
    return list(q.answers), row, blank


def standing(rules: RulesFile, election: Election) -> dict[str, list[Candidate] | None]:
    """Each list's candidates in list order, from the election's list question or, for a list
    the rules file spells out, from the rules (None: nobody says who is on the list)."""
    q = list_question(election, rules.question)
    assert q.answers is not None
    specs = {spec.name: spec for spec in rules.lists}
    out: dict[str, list[Candidate] | None] = {}
    for i, name in enumerate(q.answers):
        on_ballot = (
            None
            if q.candidates is None
            else [Candidate(c.name, c.gender or "") for c in q.candidates[i]]
        )
        spec = specs.get(name)
        in_rules = None if spec is None or spec.candidates is None else candidates(spec)
        who = [
            [(c.name, c.gender) for c in found]
            for found in (on_ballot, in_rules)
            if found is not None
        ]
        if len(who) == 2 and who[0] != who[1]:
            raise RulesError(f"lists: the candidates of {name!r} differ from the ballot's")
        out[name] = in_rules if in_rules is not None else on_ballot
    return out


def check_election(rules: RulesFile, election: Election) -> dict[str, list[Candidate] | None]:
    """Refuse rules that contradict the election (naming the rule); each list's candidates."""
    q = list_question(election, rules.question)
    if rules.lists and [spec.name for spec in rules.lists] != q.answers:
        raise RulesError(
            f"lists: the rules' lists differ from the answers of question {rules.question}"
        )
    people = standing(rules, election)
    validity = list_rules(rules)
    exceptions = {spec.name for spec in rules.lists if spec.gender_exception}
    for name, found in people.items():
        if found is None:
            continue
        problems = list_problems(name, found, validity, exception=name in exceptions)
        if problems:
            raise RulesError(f"list_validity.{problems[0]}")
    if all(found is not None for found in people.values()):
        total = sum(len([c for c in found or [] if not c.withdrawn]) for found in people.values())
        if total < rules.seats:
            raise RulesError(f"seats: {rules.seats} seats but only {total} candidates on the lists")
    for ref in rules.referendums:
        if not 0 <= ref.question < len(election.questions) or ref.question == rules.question:
            raise RulesError(f"referendums.question: {ref.question} is not a yes/no question")
        answers = election.questions[ref.question].answers
        if answers is None or len(answers) != 2:
            raise RulesError(f"referendums.question: {ref.question} is not a yes/no question")
    return people


def council_seats(
    rules: RulesFile,
    election: Election,
    result: Sequence[Sequence[int]],
    seed: str,
    turnout: tuple[int, int] | None = None,
    withdrawn: Sequence[tuple[str, str]] = (),
) -> CouncilResult:
    """Apply the rules to the verified counts: seats, elected candidates, referendum outcomes.

    `turnout` is (ballots counted, registered voters) from the archive; without it a
    referendum's ballots are its answers and blank votes, and its registered voters those of
    the rules (else the ballots). `withdrawn` names (list, candidate) who withdrew after the
    lists were fixed: the next candidates of their lists take their places."""
    people = check_election(rules, election)
    names, votes, blank = list_counts(election, result, rules.question)
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
    for list_name, name in withdrawn:
        found = people.get(list_name)
        if found is None or all(c.name != name for c in found):
            raise RulesError(f"withdrawn: {name!r} is not a candidate of list {list_name!r}")
        people[list_name] = [replace(c, withdrawn=True) if c.name == name else c for c in found]
        steps.append(Step("withdrawn", candidate=name, list=list_name))
    chosen: dict[str, list[Candidate]] = {}
    share = pct(rules.elected_gender_share, "elected_gender_share") / 100
    for row in allocation.lists:
        found = people[row.name]
        if found is None:
            continue
        chosen[row.name] = elected(found, row.seats, min_gender_share=share)
        if len(chosen[row.name]) < row.seats:
            steps.append(
                Step("short_list", list=row.name, seats=row.seats, standing=len(chosen[row.name]))
            )
    outcomes = []
    for ref in rules.referendums:
        q = election.questions[ref.question]
        counts = list(result[ref.question])
        blanks = counts.pop(0) if q.blank else 0
        yes, no = counts[0], counts[1]
        cast = turnout[0] if turnout else yes + no + blanks
        registered = ref.registered or (turnout[1] if turnout else cast)
        outcome = referendum(yes, no, blanks, cast, registered, referendum_rules(ref))
        outcomes.append(outcome)
    return CouncilResult(allocation, chosen, outcomes, tuple(steps))
