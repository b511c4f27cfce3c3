"""The election's texts in several languages: a `translations` field inside the election, so
the fingerprint covers it; belenios-tool ignores it; a swapped translation fails verification."""
# ruff: noqa: RUF001  (Belarusian and Russian text is meant to be Cyrillic)

from __future__ import annotations

from pathlib import Path

import pytest
from archive_edit import EditableArchive, edit_json, load
from conftest import belenios_verify, needs_belenios

from hramada.election.context import check_translations
from hramada.election.demo import run_demo
from hramada.election.errors import Rejected
from hramada.protocol.canonical import decode, sha256_b64
from hramada.protocol.model import Election, Question, QuestionText, Template, Translation
from hramada.server.drafts import parse_draft
from hramada.server.problems import Problem
from hramada.verify.verifier import verify_archive

QUESTIONS = [
    Question(answers=["Alena", "Bazyli"], blank=True, min=1, max=1, question="Who?"),
    Question(answers=["Yes", "No"], min=1, max=1, question="Approve?"),
]
BE = Translation(
    name="Выбары",
    description="Апісанне",
    questions=[
        QuestionText(question="Хто?", answers=["Алена", "Базыль"]),
        QuestionText(question="Ухваліць?", answers=["Так", "Не"]),
    ],
)
RU = Translation(
    name="Выборы",
    description="",
    questions=[
        QuestionText(question="Кто?", answers=["Алёна", "Василий"]),
        QuestionText(question="Одобрить?", answers=["Да", "Нет"]),
    ],
)
TEMPLATE = Template(
    description="Council", name="Election", questions=QUESTIONS, translations={"be": BE, "ru": RU}
)


def probe(translations: dict[str, Translation]) -> Election:
    return Election(
        version=1, description="", name="x", group="Ed25519", public_key="", questions=QUESTIONS,
        uuid="", translations=translations,
    )  # fmt: skip


def test_a_translation_must_match_the_questions() -> None:
    check_translations(probe({"be": BE, "ru": RU}))
    short = QuestionText(question="Хто?", answers=["Алена"])
    broken = {
        "answers": Translation(name="x", description="", questions=[short, BE.questions[1]]),
        "questions": Translation(name="x", description="", questions=BE.questions[:1]),
        "name": Translation(name=" ", description="", questions=BE.questions),
        "empty": Translation(name="x", description="", questions=[short, QuestionText("", [])]),
    }
    for what, translation in broken.items():
        with pytest.raises(Rejected) as info:
            check_translations(probe({"be": translation}))
        assert info.value.check == "election", what
    with pytest.raises(Rejected):
        check_translations(probe({"Belarusian!": BE}))


def test_the_console_draft_takes_translations_in_a_fixed_order() -> None:
    questions = [{"question": "Who?", "answers": ["A", "B"], "min": 1, "max": 1}]
    who = [{"question": "Хто?", "answers": ["А", "Б"]}]
    be = {"name": " Выбары ", "description": "", "questions": who}
    en = {"name": "Vote", "questions": [{"question": "Who?", "answers": ["A", "B"]}]}
    body = {"name": "x", "questions": questions, "translations": {"en": en, "be": be}}
    template, _ = parse_draft(body)
    assert template.translations is not None
    assert list(template.translations) == ["be", "en"]  # the same texts give the same bytes
    assert template.translations["be"].name == "Выбары"
    for translations in (
        {"fr": en},  # not one of the six languages
        {"be": {**be, "questions": []}},  # not the election's questions
        {"be": {**be, "questions": [{"question": "Хто?", "answers": ["А"]}]}},
        {"be": "Выбары"},
    ):
        with pytest.raises(Problem) as info:
            parse_draft(body | {"translations": translations})
        assert info.value.status == 400
    assert parse_draft(body | {"translations": {}})[0].translations is None


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("translated")
    outcome = run_demo(
        out, voters=3, group_name="BELENIOS-2048", trustees=1, threshold=1, template=TEMPLATE
    )
    return outcome.path


def test_translations_are_inside_the_fingerprinted_election(archive: Path) -> None:
    edit = EditableArchive.read(archive)
    election = decode(edit.election, Election, "election")
    assert election.translations == {"be": BE, "ru": RU}
    # The fingerprint every ballot names is the hash of these bytes, translations included.
    ballot = edit.steps[edit.height("Ballot")].json()
    assert ballot["election_hash"] == sha256_b64(edit.election)
    assert verify_archive(archive).ok


@needs_belenios
def test_belenios_tool_accepts_a_translated_election(archive: Path) -> None:
    proc = belenios_verify(archive)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_swapped_translation_fails_verification(archive: Path, tmp_path: Path) -> None:
    edit = EditableArchive.read(archive)

    def swap(election: dict[str, object]) -> None:
        answers = load(edit.election)["translations"]["be"]["questions"][0]["answers"]
        election["translations"]["be"]["questions"][0]["answers"] = answers[::-1]  # type: ignore[index]

    edit.election = edit_json(edit.election, swap)
    assert load(edit.election)["translations"]["be"]["questions"][0]["answers"] == [
        "Базыль",
        "Алена",
    ]
    report = verify_archive(edit.write(tmp_path / "swapped.bel"))
    assert not report.ok
    problem = report.problems[0]
    assert (problem.event, problem.check) == ("Ballot", "election fingerprint"), problem
