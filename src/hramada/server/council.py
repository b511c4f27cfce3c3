"""An election's seat rules as the pages show them: the lists' validity before the vote, then
the seats, the elected candidates and each step, computed from the verified result."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from hramada.counting.apportion import RulesError
from hramada.counting.council import check_election, council_seats
from hramada.counting.lists import list_problems
from hramada.counting.rules import RulesFile, list_rules, load_rules, rules_hash
from hramada.protocol.model import Election

Json = dict[str, Any]


def _num(x: Fraction | None) -> str | None:
    return None if x is None else f"{float(x):.4f}"


def seats_info(
    data: bytes,
    election: Election,
    result: Sequence[Sequence[int]] | None,
    seed: str | None,
    turnout: tuple[int, int] | None = None,
    withdrawn: Sequence[tuple[str, str]] = (),
) -> Json:
    """The rules (file hash, method, seats, threshold), each list's validity, and with a
    result its seats, elected candidates and steps; `problem` says why they cannot be had."""
    try:
        rules: RulesFile = load_rules(data)
    except RulesError as e:  # checked when the election was created: the file was changed since
        return {"hash": rules_hash(data), "question": None, "lists": [], "result": None,
                "problem": str(e)}  # fmt: skip
    info: Json = {
        "hash": rules_hash(data),
        "name": rules.name,
        "seats": rules.seats,
        "method": rules.method.value,
        "threshold": str(rules.threshold.percent),
        "threshold_base": rules.threshold.base,
        "quota_base": rules.quota_base.value,
        "question": rules.question,
        "min_candidates": rules.list_validity.min_candidates,
        "min_gender_share": str(rules.list_validity.min_gender_share),
        "lists": [],
        "withdrawn": [{"list": list_name, "candidate": name} for list_name, name in withdrawn],
        "result": None,
        "problem": None,
    }
    try:
        people = check_election(rules, election)
    except RulesError as e:
        info["problem"] = str(e)
        return info
    validity = list_rules(rules)
    exceptions = {spec.name for spec in rules.lists if spec.gender_exception}
    for name, found in people.items():
        genders = Counter(c.gender for c in found or [])
        problems = list_problems(name, found or [], validity, exception=name in exceptions)
        info["lists"].append(
            {
                "name": name,
                "candidates": len(found or []),
                "genders": dict(sorted(genders.items())),
                "valid": found is not None and not problems,
                "gender_share": str(
                    rules.list_validity.exception_gender_share
                    if name in exceptions and rules.list_validity.exception_gender_share is not None
                    else rules.list_validity.min_gender_share
                ),
            }
        )
    if result is None or seed is None:
        return info
    try:
        council = council_seats(rules, election, result, seed, turnout, withdrawn)
    except RulesError as e:
        info["problem"] = str(e)
        return info
    info["result"] = {
        "lists": [
            {
                "name": r.name,
                "votes": r.votes,
                "share": f"{float(r.share * 100):.2f}",
                "eligible": r.eligible,
                "quota_share": _num(r.quota_share),
                "whole": r.whole,
                "remainder": _num(r.remainder),
                "remainder_seats": r.remainder_seats,
                "seats": r.seats,
            }
            for r in council.allocation.lists
        ],
        "largest_remainder": council.allocation.quota is not None,
        "elected": {name: [c.name for c in chosen] for name, chosen in council.elected.items()},
        "steps": [{"key": s.key, "values": s.values} for s in council.steps],
        "seed": seed,
        "referendums": [
            {
                "question": ref.question,
                "adopted": outcome.adopted,
                "steps": [{"key": s.key, "values": s.values} for s in outcome.steps],
            }
            for ref, outcome in zip(rules.referendums, council.referendums, strict=True)
        ],
    }
    return info
