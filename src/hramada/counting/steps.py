"""The steps of a seat allocation in words: English, with the key and values to translate it."""

from __future__ import annotations

# The English text of each step; the pages' catalogs hold the same keys as `seats.step.<key>`.
ENGLISH = {
    "intro": "{lists} lists received {votes} votes; {seats} seats are allocated by {method}.",
    "threshold_under": "Threshold {threshold} % of {base} votes = {bar} votes; under it: {under}.",
    "threshold_all": "Threshold {threshold} % of {base} votes = {bar} votes; every list passes it.",
    "quota_all": "Quota ({method}) = {quota} votes per seat, from {base} votes (every list vote).",
    "quota_eligible": "Quota ({method}) = {quota} votes per seat, from {base} votes "
    "(votes of lists over the threshold).",
    "whole": "Each list gets one whole seat per full quota: {whole} ({total} seats).",
    "give_back": "Whole seats exceed {seats}: {list}, with the smallest remainder, gives one back.",
    "give_back_tie": "Whole seats exceed {seats}: {list}, with the smallest remainder, gives one "
    "back (tie broken by {rule}).",
    "remainder": "Remainder seat to {list} (remainder {remainder}).",
    "remainder_tie": "Remainder seat to {list} (remainder {remainder}), tie broken by {rule}.",
    "averages": "Each seat goes to the list with the highest average, its votes divided by "
    "{divisors}, ... for its 1st, 2nd, 3rd, 4th seat.",
    "average": "Seat {n} to {list} (average {average}).",
    "average_tie": "Seat {n} to {list} (average {average}), tie broken by {rule}.",
    "short_list": "{list} won {seats} seats but has only {standing} candidates standing: "
    "the rest stay empty.",
    "lot_seed": "Lot seed (the archive's final hash): {seed}.",
    "withdrawn": "{candidate} ({list}) has withdrawn: the list's next candidates move up.",
    "turnout": "Turnout {cast} of {registered} ({turnout} %); quorum {quorum} % {outcome}.",
    "majority": "Yes {yes} of {base} votes ({basis}): needs {comparison} {majority} %: {outcome}.",
    "adopted": "Adopted.",
    "not_adopted": "Not adopted.",
}
# The words some values stand for, by value name: translated with the pages' `seats.<name>.`
# keys, and in English here.
WORDS = {
    "outcome": {"met": "met", "not-met": "NOT met"},
    "basis": {
        "cast": "cast",
        "valid": "valid",
        "valid-blank": "valid, blank included",
        "registered": "registered voters",
    },
    "comparison": {"at-least": "at least", "more-than": "more than"},
}


class Step(str):
    """One step in English (it is that string), with `key` and `values` for other languages."""

    key: str
    values: dict[str, str]

    def __new__(cls, key: str, **values: object) -> Step:
        texts = {name: str(value) for name, value in values.items()}
        english = {name: WORDS.get(name, {}).get(text, text) for name, text in texts.items()}
        step = super().__new__(cls, ENGLISH[key].format(**english))
        step.key, step.values = key, texts
        return step


def tied(key: str, rule: str | None, **values: object) -> Step:
    """The step `key`, or its `_tie` form naming the rule that broke a tie."""
    return Step(key, **values) if rule is None else Step(f"{key}_tie", rule=rule, **values)
