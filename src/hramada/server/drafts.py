"""Validating what an administrator submits for a new election: texts, questions, window."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

from hramada.booth.i18n import LANGUAGES
from hramada.counting.apportion import RulesError
from hramada.counting.council import check_election
from hramada.counting.rules import BINDING, binding_line, load_rules, rules_hash
from hramada.crypto.groups import GROUP_NAMES
from hramada.election.context import check_questions, check_translations
from hramada.election.errors import Rejected
from hramada.protocol.model import (
    Election,
    ListCandidate,
    Question,
    QuestionText,
    Template,
    Translation,
    Translations,
)
from hramada.server.problems import Problem

MAX_QUESTIONS = 50
MAX_ANSWERS = 200
MAX_TEXT = 10_000
MAX_CANDIDATES = 500  # on one party list


def _text(value: object, what: str, limit: int = 1000, empty: bool = False) -> str:
    if not isinstance(value, str) or (not empty and not value.strip()) or len(value) > limit:
        raise Problem(400, "election", f"{what}: a text of 1 to {limit} characters")
    return value.strip()


def _int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Problem(400, "election", f"{what}: an integer")
    return value


def parse_time(value: object, what: str) -> datetime | None:
    """An ISO 8601 time (UTC when no offset is given), or None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Problem(400, "window", f"{what}: an ISO 8601 date and time")
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Problem(400, "window", f"{what}: {value[:40]!r} is not an ISO 8601 time") from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def check_window(opens: datetime | None, closes: datetime | None) -> None:
    if opens and closes and closes <= opens:
        raise Problem(400, "window", "the voting window must close after it opens")


def _question(raw: object, i: int) -> Question:
    if not isinstance(raw, dict):
        raise Problem(400, "election", f"question {i}: an object")
    answers = raw.get("answers")
    if not isinstance(answers, list) or not 1 <= len(answers) <= MAX_ANSWERS:
        raise Problem(400, "election", f"question {i}: 1 to {MAX_ANSWERS} answers")
    blank = raw.get("blank", False)
    if not isinstance(blank, bool):
        raise Problem(400, "election", f"question {i}: blank is true or false")
    lists = raw.get("candidates")
    return Question(
        answers=[_text(a, f"question {i}, answer {j}") for j, a in enumerate(answers, 1)],
        blank=True if blank else None,
        min=_int(raw.get("min"), f"question {i}: min"),
        max=_int(raw.get("max"), f"question {i}: max"),
        question=_text(raw.get("question"), f"question {i}"),
        candidates=None if lists is None else _lists(lists, len(answers), i),
    )


def _lists(raw: object, count: int, i: int) -> list[list[ListCandidate]]:
    """A list question's candidates: per answer (a party list), [{name, gender}] in list order."""
    what = f"question {i}: candidates"
    if not isinstance(raw, list) or len(raw) != count:
        raise Problem(400, "election", f"{what}: one list of candidates per answer")
    out = []
    for j, people in enumerate(raw, 1):
        if not isinstance(people, list) or not 1 <= len(people) <= MAX_CANDIDATES:
            raise Problem(400, "election", f"{what} of list {j}: 1 to {MAX_CANDIDATES}")
        out.append([_candidate(c, f"{what} of list {j}, {k}") for k, c in enumerate(people, 1)])
    return out


def _candidate(raw: object, what: str) -> ListCandidate:
    """{name, gender} (the gender optional) or just the name."""
    if not isinstance(raw, dict):
        return ListCandidate(name=_text(raw, f"{what}: name", 200))
    gender = raw.get("gender")
    return ListCandidate(
        name=_text(raw.get("name"), f"{what}: name", 200),
        gender=_text(gender, f"{what}: gender", 20) if gender else None,
    )


def _translation(raw: object, lang: str) -> Translation:
    what = f"translation {lang}"
    if not isinstance(raw, dict) or not isinstance(raw.get("questions"), list):
        raise Problem(400, "election", f"{what}: an object with name, description and questions")
    questions = []
    for i, q in enumerate(raw["questions"][: MAX_QUESTIONS + 1], 1):
        answers = q.get("answers") if isinstance(q, dict) else None
        if not isinstance(answers, list) or len(answers) > MAX_ANSWERS:
            raise Problem(400, "election", f"{what}, question {i}: a question and its answers")
        questions.append(
            QuestionText(
                question=_text(q.get("question"), f"{what}, question {i}"),
                answers=[
                    _text(a, f"{what}, question {i}, answer {j}") for j, a in enumerate(answers, 1)
                ],
            )
        )
    return Translation(
        name=_text(raw.get("name"), f"{what}: name", 200),
        description=_text(raw.get("description", ""), f"{what}: description", MAX_TEXT, empty=True),
        questions=questions,
    )


def _translations(raw: object) -> Translations | None:
    """The election's texts in other languages ({lang: {name, description, questions}}), in
    the order of LANGUAGES so that the same content always gives the same bytes."""
    if raw is None or raw == {}:
        return None
    if not isinstance(raw, dict) or any(lang not in LANGUAGES for lang in raw):
        raise Problem(400, "election", f"translations: by language, of {', '.join(LANGUAGES)}")
    return {lang: _translation(raw[lang], lang) for lang in LANGUAGES if lang in raw}


def keyless_election(template: Template, group: str, uuid: str = "") -> Election:
    """The election a template makes before its joint key exists (`public_key` empty): all
    the question, translation and seat-rules checks read."""
    return Election(
        version=1,
        description=template.description,
        name=template.name,
        group=group,
        public_key="",
        questions=template.questions,
        uuid=uuid,
        administrator=template.administrator,
        credential_authority=template.credential_authority,
        translations=template.translations,
    )


def parse_draft(body: dict[str, Any]) -> tuple[Template, str]:
    """The election template and group an administrator asked for; raises Problem."""
    group = body.get("group", "Ed25519")
    if group not in GROUP_NAMES:
        raise Problem(400, "election", f"group: one of {', '.join(GROUP_NAMES)}")
    questions = body.get("questions")
    if not isinstance(questions, list) or not 1 <= len(questions) <= MAX_QUESTIONS:
        raise Problem(400, "election", f"questions: 1 to {MAX_QUESTIONS}")
    template = Template(
        description=_text(body.get("description", ""), "description", MAX_TEXT, empty=True),
        name=_text(body.get("name"), "name", 200),
        questions=[_question(q, i) for i, q in enumerate(questions, 1)],
        translations=_translations(body.get("translations")),
    )
    probe = keyless_election(template, group)
    try:
        check_questions(probe)
        check_translations(probe)
    except Rejected as e:
        raise Problem(400, "election", e.detail) from None
    return template, group


def bind_rules(
    body: dict[str, Any], template: Template, group: str
) -> tuple[Template, bytes | None]:
    """The seat rules file an administrator gave (`seat_rules`, its text), checked on its own
    and against the election; the template's description then carries its binding line."""
    raw = body.get("seat_rules")
    if raw is None or raw == "":
        if BINDING.search(template.description):
            raise Problem(400, "seat rules", "the description binds seat rules: upload them")
        return template, None
    if not isinstance(raw, str):
        raise Problem(400, "seat rules", "seat_rules: the text of the rules file")
    data = raw.encode()
    written = {found.group(1) for found in BINDING.finditer(template.description)}
    if written - {rules_hash(data)}:
        raise Problem(
            400,
            "seat rules",
            f"rules binding: the description binds sha256:{min(written - {rules_hash(data)})}, "
            f"but the rules file given is sha256:{rules_hash(data)}",
        )
    description = template.description
    if not written:
        description = f"{description.rstrip()}\n{binding_line(data)}".lstrip()
    bound = msgspec.structs.replace(template, description=description)
    try:
        check_election(load_rules(data), keyless_election(bound, group))
    except RulesError as e:
        raise Problem(400, "seat rules", str(e)) from None
    return bound, data
