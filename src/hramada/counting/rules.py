"""The seat rules as data: a versioned JSON file, checked for contradictions, bound by its hash."""

from __future__ import annotations

import hashlib
import re
from fractions import Fraction
from typing import Literal

import msgspec

from hramada.counting.apportion import Method, QuotaBase, RulesError
from hramada.counting.lists import Candidate, ListRules, list_problems
from hramada.counting.referendum import MajorityBase, ReferendumRules
from hramada.counting.ties import DEFAULT_TIE_BREAK, TieRule

RULES_VERSION = 1
BINDING = re.compile(r"Seat rules: sha256:([0-9a-f]{64})")

Percent = str | int  # "3", "2.5" or 3: exact decimals, never floats


class Threshold(msgspec.Struct, forbid_unknown_fields=True):
    percent: Percent = 0
    base: Literal["list-votes", "valid-votes"] = "list-votes"  # valid-votes: blank included


class CandidateSpec(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    gender: str = ""
    withdrawn: bool = False


class ListSpec(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    candidates: list[CandidateSpec] | None = None  # None: not in this file, not checked
    gender_exception: bool = False  # allowed the exception share


class Validity(msgspec.Struct, forbid_unknown_fields=True):
    min_candidates: int = 0
    min_gender_share: Percent = 0
    exception_gender_share: Percent | None = None


class ReferendumSpec(msgspec.Struct, forbid_unknown_fields=True):
    question: int
    majority: Percent = 50
    at_least: bool = False
    base: MajorityBase = MajorityBase.valid
    quorum: Percent = 0
    blank_counts: bool = False
    registered: int | None = None


class RulesFile(msgspec.Struct, forbid_unknown_fields=True):
    """What an election's seat rules file holds (`rules_version` 1)."""

    rules_version: int
    name: str
    seats: int
    method: Method
    question: int = 0  # the list question in the election, counted from 0
    threshold: Threshold = msgspec.field(default_factory=Threshold)
    quota_base: QuotaBase = QuotaBase.eligible
    tie_break: list[TieRule] = msgspec.field(default_factory=lambda: list(DEFAULT_TIE_BREAK))
    lot_seed: Literal["archive-final-hash"] = "archive-final-hash"
    list_validity: Validity = msgspec.field(default_factory=Validity)
    elected_gender_share: Percent = 0
    lists: list[ListSpec] = []
    referendums: list[ReferendumSpec] = []


def schema() -> dict[str, object]:
    """The JSON Schema of a rules file."""
    return msgspec.json.schema(RulesFile)


def pct(value: Percent, rule: str) -> Fraction:
    try:
        share = Fraction(str(value))
    except ValueError:
        raise RulesError(f"{rule}: {value!r} is not a number") from None
    if not 0 <= share <= 100:
        raise RulesError(f"{rule}: {value} % is not between 0 and 100 %")
    return share


def rules_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def binding_line(data: bytes) -> str:
    """The line the election's description carries, which binds it to these rules."""
    return f"Seat rules: sha256:{rules_hash(data)}"


def bound_hash(description: str) -> str | None:
    found = BINDING.search(description)
    return found.group(1) if found else None


def load_rules(data: bytes) -> RulesFile:
    """Parse and check a rules file; contradictions raise RulesError naming the rule."""
    try:
        rules = msgspec.json.decode(data, type=RulesFile)
    except msgspec.ValidationError as e:
        raise RulesError(f"rules file: {e}") from None
    except msgspec.DecodeError as e:
        raise RulesError(f"rules file: not JSON ({e})") from None
    if rules.rules_version != RULES_VERSION:
        raise RulesError(f"rules_version: {rules.rules_version} is not {RULES_VERSION}")
    if rules.seats < 1:
        raise RulesError(f"seats: {rules.seats} is not a positive number of seats")
    pct(rules.threshold.percent, "threshold.percent")
    pct(rules.elected_gender_share, "elected_gender_share")
    validity = list_rules(rules)
    names = [spec.name for spec in rules.lists]
    if len(set(names)) != len(names):
        raise RulesError("lists: two lists have the same name")
    for spec in rules.lists:
        if spec.candidates is None:
            continue
        problems = list_problems(
            spec.name, candidates(spec), validity, exception=spec.gender_exception
        )
        if problems:
            raise RulesError(f"list_validity.{problems[0]}")
    standing = sum(len(candidates(spec, standing=True)) for spec in rules.lists)
    complete = all(spec.candidates is not None for spec in rules.lists)
    if rules.lists and complete and standing < rules.seats:
        raise RulesError(f"seats: {rules.seats} seats but only {standing} candidates on the lists")
    for ref in rules.referendums:
        pct(ref.majority, "referendums.majority")
        pct(ref.quorum, "referendums.quorum")
    return rules


def list_rules(rules: RulesFile) -> ListRules:
    v = rules.list_validity
    return ListRules(
        v.min_candidates,
        pct(v.min_gender_share, "list_validity.min_gender_share") / 100,
        None
        if v.exception_gender_share is None
        else pct(v.exception_gender_share, "list_validity.exception_gender_share") / 100,
    )


def candidates(spec: ListSpec, *, standing: bool = False) -> list[Candidate]:
    return [
        Candidate(c.name, c.gender, c.withdrawn)
        for c in spec.candidates or []
        if not (standing and c.withdrawn)
    ]


def referendum_rules(spec: ReferendumSpec) -> ReferendumRules:
    return ReferendumRules(
        pct(spec.majority, "referendums.majority") / 100,
        spec.base,
        pct(spec.quorum, "referendums.quorum") / 100,
        spec.blank_counts,
        spec.at_least,
    )
