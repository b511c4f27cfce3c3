"""`hramada seats --rules RULES ARCHIVE.bel` on a real council election with a list question:
verified first, bound to its rules by the fingerprint, refused when either does not hold."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest
from archive_edit import EditableArchive, edit_json
from conftest import belenios_verify, hramada, needs_belenios

from hramada.counting.apportion import RulesError
from hramada.counting.council import check_election
from hramada.counting.rules import binding_line, load_rules
from hramada.crypto.groups import get_group
from hramada.election.ballot import create_ballot
from hramada.election.box import BallotBox
from hramada.election.context import check_questions
from hramada.election.credentials import Voter, generate_credentials
from hramada.election.decryption import make_partial_decryption
from hramada.election.errors import Rejected
from hramada.election.setup import make_election, make_trustees, new_uuid
from hramada.election.trustees import election_public_key, make_trustee_key
from hramada.protocol.canonical import encode
from hramada.protocol.model import Election, ListCandidate, Question, Template

RULES = {
    "rules_version": 1,
    "name": "Test council",
    "seats": 5,
    "method": "dhondt",
    "threshold": {"percent": "15", "base": "valid-votes"},
    "list_validity": {"min_candidates": 2, "min_gender_share": "40"},
}
LISTS = {
    "Alpha": [("Ala", "f"), ("Boris", "m"), ("Cara", "f"), ("Dzianis", "m")],
    "Beta": [("Eva", "f"), ("Filip", "m"), ("Hanna", "f"), ("Kiryl", "m")],
    "Gamma": [("Ihar", "m"), ("Jana", "f")],
}
OTHER = [{"name": "Ala", "gender": "f"}, {"name": "Zmicier", "gender": "m"}]
# One row per voter: blank flag, then Alpha, Beta, Gamma.
VOTES = [[0, 1, 0, 0]] * 4 + [[0, 0, 1, 0]] * 2 + [[0, 0, 0, 1], [1, 0, 0, 0]]
CHARTER = Question(answers=["Yes", "No"], min=1, max=1, question="Approve the charter?")
# The archive's election also asks for the charter, adopted by a majority of the valid votes
# if 85 % of the 10 registered voters vote: 8 do, 6 of them yes.
REFERENDUM = {"question": 1, "majority": "50", "quorum": "85"}
ANSWERS = [[1, 0]] * 6 + [[0, 1]] * 2


def list_question(lists: dict[str, list[tuple[str, str]]]) -> Question:
    return Question(
        answers=list(lists),
        blank=True,
        min=1,
        max=1,
        question="Vote for one list",
        candidates=[[ListCandidate(name=n, gender=g) for n, g in c] for c in lists.values()],
    )


def council_archive(folder: Path, rules: bytes) -> Path:
    """A whole election (BELENIOS-2048, one trustee) whose list question is bound to `rules`."""
    group = get_group("BELENIOS-2048")
    template = Template(
        description=f"Council election.\n{binding_line(rules)}",
        name="Council",
        questions=[list_question(LISTS), CHARTER],
    )
    uuid = new_uuid()
    x, key = make_trustee_key(group, "trustee")
    election = make_election(template, group, uuid, election_public_key(group, [key]))
    batch = generate_credentials(group, uuid, [Voter(f"v{i}", 1) for i in range(len(VOTES) + 2)])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid}.bel"
    box = BallotBox.create(path, election, make_trustees([key]), batch.public)
    for credential, row, answer in zip(batch.private.values(), VOTES, ANSWERS, strict=False):
        box.cast(create_ballot(box.ctx, credential, [row, answer]))
    box.close()
    tally = box.compute_tally()
    box.add_partial_decryption(1, encode(make_partial_decryption(box.ctx, tally.ciphertexts, x)))
    box.publish_result()
    return path


@pytest.fixture(scope="module")
def council(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("council")
    rules = folder / "rules.json"
    rules.write_text(json.dumps(RULES | {"referendums": [REFERENDUM]}))
    return rules, council_archive(folder / "archive", rules.read_bytes())


def test_seats_from_the_verified_archive_and_its_bound_rules(council: tuple[Path, Path]) -> None:
    rules, archive = council
    out = hramada("seats", "--rules", str(rules), str(archive), "--json", check=True)
    seats = json.loads(out.stdout)
    assert [(r["name"], r["votes"], r["seats"]) for r in seats["lists"]] == [
        ("Alpha", 4, 4),
        ("Beta", 2, 1),
        ("Gamma", 1, 0),  # 1 of 8 valid votes (blank included) is under 15 %
    ]
    assert seats["elected"] == {
        "Alpha": ["Ala", "Boris", "Cara", "Dzianis"],
        "Beta": ["Eva"],
        "Gamma": [],
    }
    assert "under it: Gamma" in seats["steps"][1]
    assert seats["steps"][-1].startswith("Lot seed (the archive's final hash): ")
    # The turnout is the archive's: 8 of the 10 credentials voted, under the 85 % quorum.
    assert seats["steps"][-4:-1] == [
        "Question 1: Turnout 8 of 10 (80.00 %); quorum 85 % NOT met.",
        "Question 1: Yes 6 of 8 votes (valid): needs more than 50 %: met.",
        "Question 1: Not adopted.",
    ]
    table = hramada("seats", "--rules", str(rules), str(archive), check=True).stdout
    assert "Ala, Boris, Cara, Dzianis" in table and "How the seats were allocated" in table


def test_candidates_who_withdrew_after_the_vote_are_replaced_in_list_order(
    council: tuple[Path, Path],
) -> None:
    rules, archive = council
    args = ["seats", "--rules", str(rules), str(archive), "--json"]
    gone = ["--withdrawn", "Beta:Eva", "--withdrawn", "Alpha:Boris"]
    seats = json.loads(hramada(*args, *gone, check=True).stdout)
    assert [r["seats"] for r in seats["lists"]] == [4, 1, 0]  # seats stay with the lists
    assert seats["elected"] == {"Alpha": ["Ala", "Cara", "Dzianis"], "Beta": ["Filip"], "Gamma": []}
    assert "Eva (Beta) has withdrawn: the list's next candidates move up." in seats["steps"]
    assert (
        "Alpha won 4 seats but has only 3 candidates standing: the rest stay empty."
        in (seats["steps"])
    )
    unknown = hramada(*args, "--withdrawn", "Beta:Nobody")
    assert unknown.returncode == 1 and "withdrawn: 'Nobody' is not a candidate" in unknown.stderr


@needs_belenios
def test_belenios_tool_verifies_a_council_archive(council: tuple[Path, Path]) -> None:
    _, archive = council
    proc = belenios_verify(archive)
    assert proc.returncode == 0, proc.stderr


def test_rules_other_than_the_bound_ones_are_refused(
    council: tuple[Path, Path], tmp_path: Path
) -> None:
    _, archive = council
    other = tmp_path / "other-rules.json"
    other.write_text(json.dumps(RULES | {"method": "sainte-lague"}))
    out = hramada("seats", "--rules", str(other), str(archive))
    assert out.returncode == 1
    assert "rules binding" in out.stderr and "other-rules.json" in out.stderr
    assert out.stdout == ""


def test_an_archive_rebound_to_other_rules_does_not_verify_and_is_refused(
    council: tuple[Path, Path], tmp_path: Path
) -> None:
    """Whoever swaps the binding line changes the fingerprint, so every ballot stops matching."""
    rules, archive = council
    other = tmp_path / "other-rules.json"
    other.write_text(json.dumps(RULES | {"seats": 6}))
    edited = EditableArchive.read(archive)
    edited.election = edit_json(
        edited.election,
        lambda e: e.update(description=f"Council election.\n{binding_line(other.read_bytes())}"),
    )
    forged = edited.write(tmp_path / archive.name)
    out = hramada("seats", "--rules", str(other), str(forged))
    assert out.returncode == 1
    assert "does not verify" in out.stderr and out.stdout == ""
    # The genuine rules are refused on the forged archive too: it is bound to the other file.
    assert hramada("seats", "--rules", str(rules), str(forged)).returncode == 1


def council_election(lists: dict[str, list[tuple[str, str]]] = LISTS) -> Election:
    return Election(
        version=1,
        description="",
        name="Council",
        group="BELENIOS-2048",
        public_key="",
        uuid="",
        questions=[
            list_question(lists),
            CHARTER,
        ],
    )


@pytest.mark.parametrize(
    ("change", "lists", "rule"),
    [
        ({"seats": 11}, LISTS, "seats"),  # 10 candidates stand
        ({"list_validity": {"min_candidates": 3}}, LISTS, "list_validity.min_candidates"),
        ({}, LISTS | {"Gamma": [("Ihar", "m"), ("Jan", "m")]}, "list_validity.min_gender_share"),
        ({"question": 2}, LISTS, "question"),
        ({"lists": [{"name": "Alpha"}, {"name": "Beta"}]}, LISTS, "lists"),
        ({"lists": [{"name": n} for n in LISTS] + [{"name": "Delta"}]}, LISTS, "lists"),
        (
            {
                "lists": [
                    {"name": "Alpha", "candidates": OTHER},
                    {"name": "Beta"},
                    {"name": "Gamma"},
                ]
            },
            LISTS,
            "lists",
        ),
        ({"referendums": [{"question": 0}]}, LISTS, "referendums.question"),
    ],
)
def test_rules_that_contradict_the_election_are_refused_naming_the_rule(
    change: dict[str, object], lists: dict[str, list[tuple[str, str]]], rule: str
) -> None:
    rules = load_rules(json.dumps(RULES | change).encode())
    with pytest.raises(RulesError, match=f"^{rule}[:.]"):
        check_election(rules, council_election(lists))


def test_the_gender_exception_is_granted_by_the_rules_per_list() -> None:
    lists = LISTS | {"Gamma": [("Ihar", "m"), ("Jan", "m"), ("Jana", "f"), ("Kim", "m")]}
    strict = RULES | {"list_validity": {"min_gender_share": "40", "exception_gender_share": "20"}}
    with pytest.raises(RulesError, match="Gamma"):
        check_election(load_rules(json.dumps(strict).encode()), council_election(lists))
    names = [{"name": n, "gender_exception": n == "Gamma"} for n in lists]
    excepted = load_rules(json.dumps(strict | {"lists": names}).encode())
    people = check_election(excepted, council_election(lists))
    assert [c.name for c in people["Gamma"] or []] == ["Ihar", "Jan", "Jana", "Kim"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"max": 2}, "a list question is a vote for one list"),
        ({"candidates": [[ListCandidate(name="A")]]}, "1 candidate lists for 3 lists"),
        ({"candidates": [[ListCandidate(name=" ")], [], []]}, "unnamed candidate"),
    ],
)
def test_a_malformed_list_question_is_refused(change: dict[str, object], message: str) -> None:
    election = council_election()
    question = msgspec.structs.replace(election.questions[0], **change)
    with pytest.raises(Rejected, match=message):
        check_questions(msgspec.structs.replace(election, questions=[question]))
