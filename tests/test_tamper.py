"""Tampered archives: every rewrite keeps hashes and the chain valid, and the verifier must still
reject it and name the check that failed (and where).

Each test takes a complete demo election, changes one thing with `archive_edit` (which rewrites
member hashes, payload references, parents and heights), and asserts on the first problem the
verifier reports. A test that changes a ballot's content and wants a proof check, not the
signature, to fail adds a credential of its own to the list so it can sign the ballot again.

Some tests pin bugs this file found in src/ (crashes instead of a named problem); they were
fixed and the tests stay as regressions.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from archive_edit import (
    EditableArchive,
    Step,
    dump,
    edit_json,
    load,
    new_step,
    owned,
    read_members,
    setup_data,
    sized_tally,
    write_members,
)
from conftest import hramada

from hramada.crypto.credentials import derive_secret, generate_credential
from hramada.crypto.group import Group, GroupError
from hramada.crypto.groups import get_group
from hramada.crypto.proofs import schnorr_prove
from hramada.election.ballot import check_ballot, create_ballot
from hramada.election.context import ElectionContext, load_context
from hramada.election.demo import DEMO_TEMPLATE, DemoOutcome, run_demo
from hramada.election.tally import compute_tally, encode_tally, last_ballots
from hramada.election.trustees import public_key_with_pok
from hramada.protocol.archive import ArchiveWriter, StoredMembers, read_archive
from hramada.protocol.canonical import FormatError, sha256_b64
from hramada.protocol.model import Template
from hramada.verify import parallel
from hramada.verify.report import Problem
from hramada.verify.verifier import verify_archive

FAST = ["ff-single", "ed-threshold"]  # a finite-field and an Ed25519 election
ALL = ["ff-single", "ff-threshold", "rfc-single", "ed-threshold"]


# --- fixtures and helpers -------------------------------------------------------------------


@pytest.fixture(scope="module")
def originals(demo_archives: dict[str, DemoOutcome]) -> dict[str, EditableArchive]:
    """The fast demo elections, parsed once; tests edit copies."""
    out = {}
    for name in FAST:
        arch = EditableArchive.read(demo_archives[name].path)
        # The tampered archives are only meaningful if the untampered ones verify.
        report = verify_archive(demo_archives[name].path)
        assert report.ok, report.problems
        out[name] = arch
    return out


@pytest.fixture(params=FAST)
def arch(request: pytest.FixtureRequest, originals: dict[str, EditableArchive]) -> EditableArchive:
    """A fresh copy of each fast election, to edit."""
    return originals[request.param].copy()


def across(cases: Iterable[str]) -> list[Any]:
    """Parameters (arch, case) for a table of variants of one tampering: every variant on the
    Ed25519 election, whose checks are quick, and the first on the finite-field one as well.
    Use with `indirect=["arch"]`."""
    names = list(cases)
    pairs = [("ed-threshold", c) for c in names] + [("ff-single", names[0])]
    return [pytest.param(e, c, id=f"{e}-{c}") for e, c in pairs]


ACROSS = {"argnames": ("arch", "case"), "indirect": ["arch"]}


def group_of(arch: EditableArchive) -> Group:
    return get_group(load(arch.election)["group"])


def bump_element(group: Group, s: str) -> str:
    """Another valid group element: s times g."""
    return group.encode(group.mul(group.decode(s), group.g))


def bump_scalar(group: Group, s: str) -> str:
    return str((int(s) + 1) % group.q)


def not_an_element(group: Group) -> str:
    bad = "0" if group.name != "Ed25519" else "00" * 32
    with pytest.raises(GroupError):
        group.decode(bad)
    return bad


def verify(path: Path, *, collect_all: bool = False) -> list[Problem]:
    return verify_archive(path, collect_all=collect_all).problems


def rejected(arch: EditableArchive, tmp_path: Path, *, fix_refs: bool = True) -> Problem:
    """Write the edited archive and return the one problem the verifier stops at."""
    problems = verify(arch.write(tmp_path / "tampered.bel", fix_refs=fix_refs))
    assert problems, "the verifier accepted a tampered archive"
    assert len(problems) == 1, problems  # it stops at the first problem unless collect_all
    return problems[0]


def expect(problem: Problem, height: int | None, event: str, check: str, detail: str = "") -> None:
    assert (problem.height, problem.event, problem.check) == (height, event, check), problem
    assert detail in problem.detail, problem


def ballot_credentials(arch: EditableArchive) -> list[str]:
    return [arch.steps[h].json()["credential"] for h in arch.heights("Ballot")]


def counted_ballot(arch: EditableArchive) -> int:
    """The height of a ballot the tally counts: its credential casts nothing after it."""
    creds = ballot_credentials(arch)
    heights = arch.heights("Ballot")
    return next(h for i, h in enumerate(heights) if creds[i] not in creds[i + 1 :])


def superseded_ballot(arch: EditableArchive) -> int:
    """The height of a ballot replaced by a later one with the same credential (a re-vote)."""
    creds = ballot_credentials(arch)
    heights = arch.heights("Ballot")
    return next(h for i, h in enumerate(heights) if creds[i] in creds[i + 1 :])


def credential_entries(arch: EditableArchive) -> list[tuple[str, int | None]]:
    """The public credential list as (key, weight), weight None when the list has no weights."""
    out: list[tuple[str, int | None]] = []
    for entry in load(arch.credentials):
        key, _, weight = entry.partition(",")
        out.append((key, int(weight) if weight else None))
    return out


def set_credential_entries(arch: EditableArchive, entries: list[tuple[str, int | None]]) -> None:
    arch.credentials = dump([k if w is None else f"{k},{w}" for k, w in entries])


def recompute_tally(arch: EditableArchive) -> None:
    """Replace the stored tally by a correct one for the archive's current setup and ballots,
    as anyone can (the tally is computed from public data); the decryptions stay as they are."""
    ctx = load_context(arch.election, arch.trustees, arch.credentials)
    accepted = [check_ballot(ctx, arch.steps[h].payload) for h in arch.heights("Ballot")]
    tally = compute_tally(ctx, last_ballots(accepted))
    arch.step("EncryptedTally").records = list(encode_tally(ctx.group, tally))


# --- a voter of our own, to re-sign tampered ballots --------------------------------------


@dataclass
class OwnVoter:
    ctx: ElectionContext
    credential: str
    secret: int

    def ballot(self) -> dict[str, Any]:
        """A valid ballot: the first answer (not blank) of every question."""
        plaintexts = []
        for q in self.ctx.election.questions:
            assert q.answers is not None
            m = [1] + [0] * (len(q.answers) - 1)
            plaintexts.append([0, *m] if q.blank else m)
        ballot: dict[str, Any] = load(create_ballot(self.ctx, self.credential, plaintexts))
        return ballot

    def sign(self, ballot: dict[str, Any]) -> bytes:
        """Sign the ballot as it now is, as only the credential's holder can."""
        group = self.ctx.group
        ballot.pop("signature", None)
        h = sha256_b64(dump(ballot))
        proof = schnorr_prove(group, self.secret, f"sig|{h}|")
        signature = {"challenge": str(proof.challenge), "response": str(proof.response)}
        ballot["signature"] = {"hash": h, "proof": signature}
        return dump(ballot)


def add_own_voter(arch: EditableArchive) -> OwnVoter:
    """Add a credential we hold to the public list (weight 1), kept sorted as Belenios does."""
    election = load(arch.election)
    group = get_group(election["group"])
    credential = generate_credential()
    secret = derive_secret(credential, election["uuid"], group.q)
    key = group.encode(group.g_pow(secret))
    entries = credential_entries(arch)
    weighted = entries[0][1] is not None
    entries.append((key, 1 if weighted else None))
    entries.sort(key=lambda e: group.element_key(group.decode(e[0])))
    set_credential_entries(arch, entries)
    ctx = load_context(arch.election, arch.trustees, arch.credentials)
    return OwnVoter(ctx, credential, secret)


def cast_last(arch: EditableArchive, ballot: bytes) -> int:
    """Append a Ballot event just before EndBallots; return its height."""
    height = arch.height("EndBallots")
    arch.insert(height, new_step("Ballot", [ballot]))
    return height


# --- baseline and the helper itself ---------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_untampered_archive_rewrites_identically_and_verifies(
    name: str, demo_archives: dict[str, DemoOutcome], tmp_path: Path
) -> None:
    outcome = demo_archives[name]
    copy = EditableArchive.read(outcome.path).write(tmp_path / "copy.bel")
    assert copy.read_bytes() == outcome.path.read_bytes()
    report = verify_archive(copy)
    assert report.ok, report.problems
    assert report.result == outcome.result == outcome.expected


def test_members_round_trip_through_json(originals: dict[str, EditableArchive]) -> None:
    for arch in originals.values():
        for step in arch.steps:
            assert [dump(load(r)) for r in step.records] == step.records
        copy = arch.copy()
        copy.fix_references()
        assert copy == arch  # nothing to fix in an untampered archive


def assert_references_match(arch: EditableArchive) -> None:
    """Every record naming another member is what the writer makes from that member's bytes."""
    assert arch.setup.payload == setup_data(arch.election, arch.trustees, arch.credentials)
    tally = arch.step("EncryptedTally")
    sized = tally.json()
    assert tally.payload == sized_tally(
        tally.records[0], sized["num_tallied"], sized["total_weight"]
    )
    for h in arch.heights("PartialDecryption"):
        step = arch.steps[h]
        assert step.payload == owned(step.json()["owner"], step.records[0])


def test_reference_builders_match_the_writer(arch: EditableArchive) -> None:
    assert_references_match(arch)


def test_fix_references_repoints_every_reference(arch: EditableArchive) -> None:
    arch.election += b" "
    arch.trustees += b" "
    arch.credentials += b" "
    arch.step("EncryptedTally").records[0] += b" "
    for h in arch.heights("PartialDecryption"):
        arch.steps[h].records[0] += b" "
    arch.fix_references()
    assert_references_match(arch)


# --- ballots: changed content without the credential --------------------------------------


def test_changed_choice_ciphertext_breaks_the_signature(
    arch: EditableArchive, tmp_path: Path
) -> None:
    group = group_of(arch)
    h = arch.height("Ballot", 3)
    arch.steps[h].edit(
        lambda b: b["answers"][0]["choices"][1].update(
            alpha=bump_element(group, b["answers"][0]["choices"][1]["alpha"])
        )
    )
    expect(rejected(arch, tmp_path), h, "Ballot", "signature", "signed hash")


@pytest.mark.parametrize(
    **ACROSS, argvalues=across(["individual", "overall", "blank", "signature"])
)
def test_changed_proof_value_breaks_the_signature(
    arch: EditableArchive, tmp_path: Path, case: str
) -> None:
    group = group_of(arch)
    h = arch.height("Ballot", 0)

    def change(b: dict[str, Any]) -> None:
        q1 = b["answers"][0]
        proof = {
            "individual": q1["individual_proofs"][2][1],
            "overall": q1["overall_proof"][0],
            "blank": q1["blank_proof"][1],
            "signature": b["signature"]["proof"],
        }[case]
        proof["response"] = bump_scalar(group, proof["response"])

    arch.steps[h].edit(change)
    # Only the signature's own proof is not covered by the signed hash.
    detail = "invalid signature" if case == "signature" else "signed hash"
    expect(rejected(arch, tmp_path), h, "Ballot", "signature", detail)


@pytest.mark.parametrize(**ACROSS, argvalues=across(["same-hash", "rehashed"]))
def test_ballot_with_another_listed_credential(
    arch: EditableArchive, tmp_path: Path, case: str
) -> None:
    rehash = case == "rehashed"
    h = counted_ballot(arch)
    mine = arch.steps[h].json()["credential"]
    other = next(k for k, _ in credential_entries(arch) if k != mine)

    def change(b: dict[str, Any]) -> None:
        b["credential"] = other
        if rehash:  # a consistent hash, but the proof was made with another key
            signature = b.pop("signature")
            signature["hash"] = sha256_b64(dump(b))
            b["signature"] = signature

    arch.steps[h].edit(change)
    detail = "invalid signature by the credential" if rehash else "signed hash"
    expect(rejected(arch, tmp_path), h, "Ballot", "signature", detail)


def test_ballot_with_unlisted_credential(arch: EditableArchive, tmp_path: Path) -> None:
    group = group_of(arch)
    h = arch.height("Ballot", 1)
    arch.steps[h].edit(lambda b: b.update(credential=group.encode(group.g_pow(12345))))
    expect(rejected(arch, tmp_path), h, "Ballot", "credential", "not in the list")


OTHER_ELECTION = {"election_uuid": "election uuid", "election_hash": "election fingerprint"}


@pytest.mark.parametrize(**ACROSS, argvalues=across(OTHER_ELECTION))
def test_ballot_for_another_election(arch: EditableArchive, tmp_path: Path, case: str) -> None:
    field, check = case, OTHER_ELECTION[case]
    h = arch.height("Ballot", 2)
    arch.steps[h].edit(lambda b: b.update({field: b[field][::-1]}))
    expect(rejected(arch, tmp_path), h, "Ballot", check)


def _uuid_last(ballot: dict[str, Any]) -> dict[str, Any]:
    uuid = ballot.pop("election_uuid")
    return {**ballot, "election_uuid": uuid}


RESPELL: dict[str, Callable[[bytes], bytes]] = {
    "space": lambda d: d.replace(b",", b", ", 1),
    "newline": lambda d: d + b"\n",
    "field-order": lambda d: dump(_uuid_last(load(d))),  # not the specification's order
}


@pytest.mark.parametrize(**ACROSS, argvalues=across(RESPELL))
def test_non_canonical_ballot(arch: EditableArchive, tmp_path: Path, case: str) -> None:
    h = arch.height("Ballot", 4)
    step = arch.steps[h]
    original = step.payload
    step.payload = RESPELL[case](original)
    assert step.payload != original and load(step.payload) == load(original)  # same ballot
    expect(rejected(arch, tmp_path), h, "Ballot", "ballot format", "canonical")


def test_ballot_with_a_number_where_a_string_belongs(arch: EditableArchive, tmp_path: Path) -> None:
    h = arch.height("Ballot", 0)
    arch.steps[h].edit(
        lambda b: b["signature"]["proof"].update(
            challenge=int(b["signature"]["proof"]["challenge"])
        )
    )
    expect(rejected(arch, tmp_path), h, "Ballot", "ballot format", "malformed")


# --- ballots: changed content, signed again with a credential we hold ----------------------


def test_own_ballot_is_accepted(arch: EditableArchive, tmp_path: Path) -> None:
    """Control for the tests below: our re-signed ballots pass every ballot check, so the only
    thing wrong with the archive is that the stored tally does not count the extra ballot."""
    voter = add_own_voter(arch)
    cast_last(arch, voter.sign(voter.ballot()))
    expect(
        rejected(arch, tmp_path),
        arch.height("EncryptedTally"),
        "EncryptedTally",
        "encrypted tally",
        "num_tallied",
    )


def _swap(xs: list[Any], i: int, j: int) -> None:
    xs[i], xs[j] = xs[j], xs[i]


def _swap_choices(answer: dict[str, Any]) -> None:
    """Exchange two choices together with their individual proofs: each stays valid alone."""
    _swap(answer["choices"], 0, 1)
    _swap(answer["individual_proofs"], 0, 1)


RESIGNED: dict[str, tuple[Callable[[Group, dict[str, Any]], Any], str, str]] = {
    # name: (edit of the ballot, expected check, expected detail)
    "choice-ciphertext": (
        lambda g, b: b["answers"][0]["choices"][1].update(
            alpha=bump_element(g, b["answers"][0]["choices"][1]["alpha"])
        ),
        "individual proof",
        "question 1, choice 1",
    ),
    "individual-proof": (
        lambda g, b: b["answers"][0]["individual_proofs"][2][0].update(
            response=bump_scalar(g, b["answers"][0]["individual_proofs"][2][0]["response"])
        ),
        "individual proof",
        "question 1, choice 2",
    ),
    "blank-proof": (
        lambda g, b: b["answers"][0]["blank_proof"][0].update(
            challenge=bump_scalar(g, b["answers"][0]["blank_proof"][0]["challenge"])
        ),
        "blank proof",
        "question 1",
    ),
    "overall-proof-q1": (
        lambda g, b: b["answers"][0]["overall_proof"][-1].update(
            response=bump_scalar(g, b["answers"][0]["overall_proof"][-1]["response"])
        ),
        "overall proof",
        "question 1",
    ),
    "overall-proof-q2": (
        lambda g, b: b["answers"][1]["overall_proof"][0].update(
            challenge=bump_scalar(g, b["answers"][1]["overall_proof"][0]["challenge"])
        ),
        "overall proof",
        "question 2",
    ),
    "swapped-choices-q1": (
        lambda g, b: _swap_choices(b["answers"][0]),
        "blank proof",
        "question 1",
    ),
    "swapped-choices-q2": (
        lambda g, b: _swap_choices(b["answers"][1]),
        "overall proof",
        "question 2",
    ),
    "scalar-out-of-range": (
        lambda g, b: b["answers"][0]["individual_proofs"][0][0].update(
            response=str(g.q + int(b["answers"][0]["individual_proofs"][0][0]["response"]))
        ),
        "ballot element",
        "range",
    ),
    "not-an-element": (
        lambda g, b: b["answers"][1]["choices"][0].update(alpha=not_an_element(g)),
        "ballot element",
        "",
    ),
    "missing-blank-proof": (
        lambda g, b: b["answers"][0].pop("blank_proof"),
        "ballot format",
        "question 1",
    ),
    "missing-answer": (lambda g, b: b["answers"].pop(), "ballot format", "number of answers"),
}


@pytest.mark.parametrize(**ACROSS, argvalues=across(RESIGNED))
def test_resigned_tampered_ballot(arch: EditableArchive, tmp_path: Path, case: str) -> None:
    change, check, detail = RESIGNED[case]
    voter = add_own_voter(arch)
    ballot = voter.ballot()
    change(voter.ctx.group, ballot)
    h = cast_last(arch, voter.sign(ballot))
    expect(rejected(arch, tmp_path), h, "Ballot", check, detail)


# --- the ballot list: dropped, replayed, out of phase --------------------------------------


def test_dropped_ballot(arch: EditableArchive, tmp_path: Path) -> None:
    arch.drop(counted_ballot(arch))
    h = arch.height("EncryptedTally")
    expect(rejected(arch, tmp_path), h, "EncryptedTally", "encrypted tally", "num_tallied")


def test_dropped_ballot_with_recomputed_tally(arch: EditableArchive, tmp_path: Path) -> None:
    """A consistent new tally is caught by the trustees' decryption proofs, made for the old."""
    arch.drop(counted_ballot(arch))
    recompute_tally(arch)
    h = arch.height("PartialDecryption")
    expect(rejected(arch, tmp_path), h, "PartialDecryption", "decryption proof")


def test_dropped_superseded_ballot_is_not_detectable(arch: EditableArchive, tmp_path: Path) -> None:
    """Limit of what an observer can see: a re-voter's earlier ballot counts for nothing, so an
    archive without it is a consistent election. Only the voter, looking for the tracking code,
    can notice."""
    arch.drop(superseded_ballot(arch))
    assert verify(arch.write(tmp_path / "tampered.bel")) == []


def test_replayed_ballot(arch: EditableArchive, tmp_path: Path) -> None:
    h = arch.duplicate(arch.height("Ballot", 2))
    expect(rejected(arch, tmp_path), h, "Ballot", "replay")


def test_replayed_ballot_at_the_end(arch: EditableArchive, tmp_path: Path) -> None:
    """Replaying a voter's old ballot after their re-vote would change their vote back."""
    old = arch.steps[superseded_ballot(arch)]
    h = cast_last(arch, old.payload)
    expect(rejected(arch, tmp_path), h, "Ballot", "replay")


def test_ballot_after_end_ballots(arch: EditableArchive, tmp_path: Path) -> None:
    end = arch.height("EndBallots")
    arch.move(arch.height("Ballot", -1), end)  # the last ballot now follows EndBallots
    expect(rejected(arch, tmp_path), end, "Ballot", "phase", "cannot follow EndBallots")


PHASES = {
    "result-first": ("Result", "Result cannot follow EncryptedTally"),
    "event-after-result": ("EndBallots", "EndBallots cannot follow Result"),
    "second-setup": ("Setup", "Setup cannot follow Ballot"),
    "tally-before-end": ("EncryptedTally", "EncryptedTally cannot follow Ballot"),
}


@pytest.mark.parametrize(**ACROSS, argvalues=across(PHASES))
def test_events_out_of_phase(arch: EditableArchive, tmp_path: Path, case: str) -> None:
    event, detail = PHASES[case]
    if case == "result-first":
        h = arch.height("PartialDecryption")
        arch.move(arch.height("Result"), h)
    elif case == "event-after-result":
        h = arch.duplicate(arch.height("EndBallots"), at=len(arch.steps))
    elif case == "second-setup":
        h = arch.duplicate(0, at=2)
    else:
        h = arch.height("EndBallots")
        arch.drop(h)
    expect(rejected(arch, tmp_path), h, event, "phase", detail)


# --- setup: election text, credentials, trustees --------------------------------------------


ELECTION_CHANGES: dict[str, tuple[Callable[[Any], object], str]] = {
    "question": (
        lambda e: e["questions"][1].update(question="Reject the charter?"),
        "election fingerprint",
    ),
    "answer-order": (lambda e: e["questions"][0]["answers"].reverse(), "election fingerprint"),
    "description": (lambda e: e.update(description=e["description"] + " "), "election fingerprint"),
    "uuid": (lambda e: e.update(uuid=e["uuid"][::-1]), "election uuid"),
}


@pytest.mark.parametrize(**ACROSS, argvalues=across(ELECTION_CHANGES))
def test_changed_election_text(arch: EditableArchive, tmp_path: Path, case: str) -> None:
    change, check = ELECTION_CHANGES[case]
    arch.election = edit_json(arch.election, change)
    # The setup is still valid (the key is untouched); every ballot names the old election.
    expect(rejected(arch, tmp_path), arch.height("Ballot"), "Ballot", check)


def _changed_weights(arch: EditableArchive) -> int:
    """Raise one voter's weight by one; return the new total weight of the counted ballots."""
    entries = credential_entries(arch)
    key, weight = entries[0]
    if weight is None:  # no weights in the list: write them all, the changed one as 2
        entries = [(k, 1) for k, _ in entries]
    entries[0] = (key, (weight or 1) + 1)
    set_credential_entries(arch, entries)
    voted = set(ballot_credentials(arch))
    return sum(w or 1 for k, w in entries if k in voted)


def test_changed_credential_weight(arch: EditableArchive, tmp_path: Path) -> None:
    before = load(arch.step("EncryptedTally").payload)["total_weight"]
    after = _changed_weights(arch)
    assert after == int(before) + 1  # every voter voted, this one too
    problem = rejected(arch, tmp_path)
    expect(problem, arch.height("EncryptedTally"), "EncryptedTally", "encrypted tally")
    assert problem.detail == f"total_weight is {before}, expected {after}"


def test_changed_credential_weight_with_recomputed_tally(
    arch: EditableArchive, tmp_path: Path
) -> None:
    _changed_weights(arch)
    recompute_tally(arch)
    h = arch.height("PartialDecryption")
    expect(rejected(arch, tmp_path), h, "PartialDecryption", "decryption proof")


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        (lambda cs: cs.append(cs[0]), "listed twice"),
        (lambda cs: cs.__setitem__(0, cs[0].split(",")[0]), "mix weighted"),
        (lambda cs: cs.__setitem__(0, cs[0].split(",")[0] + ",0"), "positive"),
        (lambda cs: cs.__setitem__(0, "1," + cs[0]), "entry 0"),
    ],
    ids=["duplicate", "mixed-forms", "zero-weight", "not-a-key"],
)
def test_malformed_credential_list(
    originals: dict[str, EditableArchive],
    tmp_path: Path,
    change: Callable[[list[str]], Any],
    detail: str,
) -> None:
    arch = originals["ff-single"].copy()
    if credential_entries(arch)[0][1] is None:  # make sure the list is weighted
        set_credential_entries(arch, [(k, 1) for k, _ in credential_entries(arch)])
    arch.credentials = edit_json(arch.credentials, change)
    expect(rejected(arch, tmp_path), 0, "Setup", "credentials", detail)


def long_roll_with_bad_keys(arch: EditableArchive) -> int:
    """Lengthen the roll by 300 keys, with the identity at its 150th new entry and a
    non-element at its 290th; return the index of the first bad entry."""
    group = group_of(arch)
    entries = credential_entries(arch)
    weight = None if entries[0][1] is None else 1
    first = len(entries) + 150
    entries += [(group.encode(group.g_pow(group.random_scalar())), weight) for _ in range(300)]
    entries[first] = (group.encode(group.one), weight)
    outside = "ec" + "ff" * 30 + "7f"  # a point outside the subgroup; 2 is no square mod p
    entries[first + 140] = ("2" if group.name != "Ed25519" else outside, weight)
    with pytest.raises(GroupError):
        group.decode(entries[first + 140][0])
    set_credential_entries(arch, entries)
    return first


@pytest.mark.parametrize("arch", ["ed-threshold", "ff-single"], indirect=True)
def test_bad_keys_deep_in_a_long_roll(arch: EditableArchive, tmp_path: Path) -> None:
    """The keys are checked on the workers in chunks (these 300 span several): the first bad
    entry is named, as when one core checked them in order."""
    first = long_roll_with_bad_keys(arch)
    path = arch.write(tmp_path / "tampered.bel")
    for workers in (1, 2):
        [problem] = verify_archive(path, workers=workers).problems
        expect(problem, 0, "Setup", "credentials", f"entry {first}: the identity is no")


@pytest.mark.parametrize(
    ("variant", "check", "height"),
    [
        ("key-with-old-proof", "trustee proof", 0),
        ("key-with-new-proof", "election key", 0),
        ("key-and-election-key", "election fingerprint", 1),
    ],
)
def test_replaced_single_trustee_key(
    originals: dict[str, EditableArchive], tmp_path: Path, variant: str, check: str, height: int
) -> None:
    arch = originals["ff-single"].copy()
    group = group_of(arch)
    new = public_key_with_pok(group, group.random_scalar())

    def change(trustees: list[Any]) -> None:
        if variant == "key-with-old-proof":
            trustees[0][1]["public_key"] = new.public_key
        else:
            trustees[0][1] = load(dump(new))

    arch.trustees = edit_json(arch.trustees, change)
    if variant == "key-and-election-key":
        # A consistent new key set: the setup passes, but the ballots were made for the old one.
        keys = [group.decode(t[1]["public_key"]) for t in load(arch.trustees)]
        y = group.encode(group.prod(keys))
        arch.election = edit_json(arch.election, lambda e: e.update(public_key=y))
    event = "Setup" if height == 0 else "Ballot"
    expect(rejected(arch, tmp_path), height, event, check)


@pytest.mark.parametrize(
    ("variant", "check"),
    [
        ("verification-key-old-proof", "trustee proof"),
        ("verification-key-new-proof", "threshold verification key"),
        ("coefexps", "threshold coefexps"),
        ("certificate", "threshold certificate"),
        ("signature", "threshold signature"),
        ("threshold", "threshold certificate"),
    ],
)
def test_tampered_threshold_set(
    originals: dict[str, EditableArchive], tmp_path: Path, variant: str, check: str
) -> None:
    arch = originals["ed-threshold"].copy()
    group = group_of(arch)

    def change(trustees: list[Any]) -> None:
        ped = trustees[0][1]
        if variant == "verification-key-old-proof":
            ped["verification_keys"][1]["public_key"] = bump_element(
                group, ped["verification_keys"][1]["public_key"]
            )
        elif variant == "verification-key-new-proof":
            ped["verification_keys"][1] = load(dump(public_key_with_pok(group, 7)))
        elif variant == "coefexps":
            ped["coefexps"][1]["message"] = edit_json(
                ped["coefexps"][1]["message"].encode(),
                lambda m: m["coefexps"].reverse(),
            ).decode()
        elif variant == "certificate":
            ped["certs"][0]["signature"]["response"] = bump_scalar(
                group, ped["certs"][0]["signature"]["response"]
            )
        elif variant == "signature":
            ped["signatures"].reverse()
        else:
            ped["threshold"] += 1

    arch.trustees = edit_json(arch.trustees, change)
    expect(rejected(arch, tmp_path), 0, "Setup", check)


def test_threshold_set_without_signatures(
    originals: dict[str, EditableArchive], tmp_path: Path
) -> None:
    arch = originals["ed-threshold"].copy()
    arch.trustees = edit_json(arch.trustees, lambda t: t[0][1].update(signatures=[]))
    problem = rejected(arch, tmp_path)
    expect(problem, 0, "Setup", "threshold signature")


def test_setup_references_the_wrong_member(
    originals: dict[str, EditableArchive], tmp_path: Path
) -> None:
    arch = originals["ff-single"].copy()
    arch.setup.edit(lambda s: s.update(election=s["trustees"]))
    expect(rejected(arch, tmp_path, fix_refs=False), 0, "Setup", "election")


# --- the encrypted tally --------------------------------------------------------------------


TALLY_CHANGES: dict[str, tuple[Callable[[Any], object], str]] = {
    "swapped-slots": (lambda t: _swap(t[0], 1, 2), "question 1 differs"),
    "slot-from-other-question": (lambda t: t[1].__setitem__(0, t[0][0]), "question 2 differs"),
    "missing-slot": (lambda t: t[0].pop(), "question 1 differs"),
    "missing-question": (lambda t: t.pop(), "wrong number of questions"),
}


@pytest.mark.parametrize(**ACROSS, argvalues=across(TALLY_CHANGES))
def test_changed_stored_tally(arch: EditableArchive, tmp_path: Path, case: str) -> None:
    change, detail = TALLY_CHANGES[case]
    arch.step("EncryptedTally").edit(change, 0)  # `write` re-points the sized tally at it
    h = arch.height("EncryptedTally")
    expect(rejected(arch, tmp_path), h, "EncryptedTally", "encrypted tally", detail)


def test_stored_tally_with_a_non_element(arch: EditableArchive, tmp_path: Path) -> None:
    bad = not_an_element(group_of(arch))
    arch.step("EncryptedTally").edit(lambda t: t[0][0].update(beta=bad), 0)
    h = arch.height("EncryptedTally")
    expect(rejected(arch, tmp_path), h, "EncryptedTally", "encrypted tally")


def test_sized_tally_names_a_missing_member(arch: EditableArchive, tmp_path: Path) -> None:
    step = arch.step("EncryptedTally")
    step.edit(lambda t: _swap(t[0], 0, 1), 0)  # the reference is left pointing at the old bytes
    h = arch.height("EncryptedTally")
    problem = rejected(arch, tmp_path, fix_refs=False)
    expect(problem, h, "EncryptedTally", "encrypted tally", "unreadable")


SIZED_CHANGES: dict[str, tuple[str, Callable[[Any], object], str]] = {
    "more-tallied": ("num_tallied", lambda n: n + 1, "num_tallied is"),
    "fewer-tallied": ("num_tallied", lambda n: n - 1, "num_tallied is"),
    "heavier": ("total_weight", lambda w: int(w) + 1, "total_weight is"),
    "weight-as-string": ("total_weight", str, "unreadable"),  # a small weight is a JSON number
}


@pytest.mark.parametrize(**ACROSS, argvalues=across(SIZED_CHANGES))
def test_changed_sized_tally(arch: EditableArchive, tmp_path: Path, case: str) -> None:
    field, value, detail = SIZED_CHANGES[case]
    arch.step("EncryptedTally").edit(lambda s: s.update({field: value(s[field])}))
    h = arch.height("EncryptedTally")
    expect(rejected(arch, tmp_path), h, "EncryptedTally", "encrypted tally", detail)


# --- partial decryptions --------------------------------------------------------------------


PD_CHANGES: dict[str, tuple[Callable[[Group, dict[str, Any]], Any], str, str]] = {
    "factor": (
        lambda g, pd: pd["decryption_factors"][0].__setitem__(
            0, bump_element(g, pd["decryption_factors"][0][0])
        ),
        "decryption proof",
        "question 1, slot 0",
    ),
    "factor-of-another-slot": (
        lambda g, pd: pd["decryption_factors"][1].__setitem__(1, pd["decryption_factors"][1][0]),
        "decryption proof",
        "question 2, slot 1",
    ),
    "proof": (
        lambda g, pd: pd["decryption_proofs"][0][3].update(
            challenge=bump_scalar(g, pd["decryption_proofs"][0][3]["challenge"])
        ),
        "decryption proof",
        "question 1, slot 3",
    ),
    "not-an-element": (
        lambda g, pd: pd["decryption_factors"][0].__setitem__(2, not_an_element(g)),
        "partial decryption",
        "",
    ),
    "shape": (
        lambda g, pd: pd["decryption_factors"][0].pop(),
        "partial decryption",
        "shape differs",
    ),
}


@pytest.mark.parametrize(**ACROSS, argvalues=across(PD_CHANGES))
def test_changed_partial_decryption(arch: EditableArchive, tmp_path: Path, case: str) -> None:
    change, check, detail = PD_CHANGES[case]
    group = group_of(arch)
    h = arch.height("PartialDecryption", -1)
    arch.steps[h].edit(lambda pd: change(group, pd), 0)  # the owned record is re-pointed
    expect(rejected(arch, tmp_path), h, "PartialDecryption", check, detail)


def test_duplicated_partial_decryption(arch: EditableArchive, tmp_path: Path) -> None:
    h = arch.duplicate(arch.height("PartialDecryption", 0))
    expect(rejected(arch, tmp_path), h, "PartialDecryption", "partial decryption", "twice")


def test_dropped_partial_decryption(arch: EditableArchive, tmp_path: Path) -> None:
    arch.drop(arch.height("PartialDecryption", 0))
    h = arch.height("Result")
    expect(rejected(arch, tmp_path), h, "Result", "decryption")


def test_partial_decryption_claimed_by_another_trustee(
    arch: EditableArchive, tmp_path: Path
) -> None:
    h = arch.height("PartialDecryption", 0)
    owner = arch.steps[h].json()["owner"]
    arch.steps[h].edit(lambda o: o.update(owner=2 if owner == 1 else 1))
    expect(rejected(arch, tmp_path), h, "PartialDecryption", "decryption proof")


def test_partial_decryption_by_an_unknown_trustee(arch: EditableArchive, tmp_path: Path) -> None:
    h = arch.height("PartialDecryption", -1)
    arch.steps[h].edit(lambda o: o.update(owner=9))
    expect(rejected(arch, tmp_path), h, "PartialDecryption", "partial decryption", "number 9")


# --- the result -----------------------------------------------------------------------------


def _move_one_vote(result: dict[str, Any]) -> None:
    row = result["result"][0]
    src = next(i for i, n in enumerate(row) if n > 0)
    row[src] -= 1
    row[(src + 1) % len(row)] += 1


RESULT_CHANGES: dict[str, tuple[Callable[[Any], object], str]] = {
    "count": (lambda r: r["result"][1].__setitem__(0, r["result"][1][0] + 1), "question 2 claims"),
    "moved-vote": (_move_one_vote, "question 1 claims"),
    "count-as-string": (
        lambda r: r["result"][0].__setitem__(1, str(r["result"][0][1])),
        "not canonical",
    ),
    "extra-slot": (lambda r: r["result"][0].append(0), "question 1 claims"),
    "missing-question": (lambda r: r["result"].pop(), "wrong number of questions"),
}


@pytest.mark.parametrize(**ACROSS, argvalues=across(RESULT_CHANGES))
def test_changed_result(arch: EditableArchive, tmp_path: Path, case: str) -> None:
    change, detail = RESULT_CHANGES[case]
    arch.step("Result").edit(change)
    expect(rejected(arch, tmp_path), arch.height("Result"), "Result", "result", detail)


@pytest.mark.parametrize("value", [3.0, None], ids=["float", "null"])
def test_result_count_of_the_wrong_type(
    originals: dict[str, EditableArchive], tmp_path: Path, value: Any
) -> None:
    arch = originals["ed-threshold"].copy()
    arch.step("Result").edit(lambda r: r["result"][0].__setitem__(0, value))
    problem = rejected(arch, tmp_path)
    expect(problem, arch.height("Result"), "Result", "result")


# --- the container and the chain: edits that are NOT re-hashed ----------------------------


def _file_with_bytes_changed(source: Path, target: Path, offset: int) -> Path:
    raw = bytearray(source.read_bytes())
    raw[offset] = ord("7") if raw[offset] != ord("7") else ord("8")
    target.write_bytes(bytes(raw))
    return target


@pytest.mark.parametrize("where", ["ballot-data", "event", "tar-header"])
def test_member_edited_without_rehashing(
    demo_archives: dict[str, DemoOutcome], tmp_path: Path, where: str
) -> None:
    source = demo_archives["ed-threshold"].path
    members = read_members(source.read_bytes())
    ballot = next(m for m in members if m.data.startswith(b'{"election_uuid"'))
    event = next(m for m in members if m.name.endswith(".event.json") and b'"Ballot"' in m.data)
    offset = {
        "ballot-data": ballot.offset + ballot.data.index(b'"credential":"') + 20,
        "event": event.offset + event.data.index(b'"height":') + 9,
        "tar-header": event.offset - 512 + 5,  # a character of the member's name
    }[where]
    target = _file_with_bytes_changed(source, tmp_path / "edited.bel", offset)
    detail = "checksum" if where == "tar-header" else "does not hash to its name"
    expect(one_problem(target), None, "archive", "archive format", detail)


def one_problem(path: Path) -> Problem:
    problems = verify(path)
    assert len(problems) == 1, problems
    return problems[0]


@pytest.mark.parametrize(
    ("cut", "detail"),
    [(lambda m: m.offset + len(m.data) // 2, "truncated"), (lambda m: m.offset - 100, "trailing")],
    ids=["inside-a-member", "inside-a-header"],
)
def test_truncated_archive(
    demo_archives: dict[str, DemoOutcome], tmp_path: Path, cut: Callable[[Any], int], detail: str
) -> None:
    raw = demo_archives["ed-threshold"].path.read_bytes()
    members = read_members(raw)
    target = tmp_path / "cut.bel"
    target.write_bytes(raw[: cut(members[len(members) // 2])])
    expect(one_problem(target), None, "archive", "archive format", detail)


def test_archive_cut_after_an_event_is_a_valid_election_in_progress(
    demo_archives: dict[str, DemoOutcome], tmp_path: Path
) -> None:
    """Cut between events the archive is a valid prefix: nothing is wrong, nothing decided."""
    raw = demo_archives["ed-threshold"].path.read_bytes()
    members = read_members(raw)
    end_ballots = next(m for m in members if b'"type":"EndBallots"' in m.data)
    target = tmp_path / "closed.bel"
    target.write_bytes(raw[: end_ballots.offset + 512])
    report = verify_archive(target)
    assert report.ok, report.problems
    assert report.tallied is None and report.result is None


def _write_with_event_edit(
    arch: EditableArchive, path: Path, edit: Callable[[int, dict[str, Any]], dict[str, Any]]
) -> Path:
    return write_members(path, arch.timestamp, arch.members(edit))


def test_raw_writer_matches_the_archive_writer(arch: EditableArchive, tmp_path: Path) -> None:
    """The hand-written members (used below to break the chain) verify when left intact."""
    path = _write_with_event_edit(arch, tmp_path / "raw.bel", lambda _h, e: e)
    assert verify(path) == []


def test_wrong_parent(arch: EditableArchive, tmp_path: Path) -> None:
    h = arch.height("Ballot", 3)
    # Any other event's hash will do: take the Setup event's.
    setup_hash = next(n for n, _ in arch.members() if n.endswith(".event.json")).split(".")[0]
    path = _write_with_event_edit(
        arch,
        tmp_path / "t.bel",
        lambda height, e: {**e, "parent": setup_hash} if height == h else e,
    )
    expect(one_problem(path), h, "Ballot", "hash chain")


def test_height_gap(arch: EditableArchive, tmp_path: Path) -> None:
    h = arch.height("EndBallots")
    path = _write_with_event_edit(
        arch,
        tmp_path / "t.bel",
        lambda height, e: {**e, "height": height + 1} if height >= h else e,
    )
    expect(one_problem(path), h + 1, "EndBallots", "height", f"expected height {h}")


def test_event_whose_payload_member_is_missing(arch: EditableArchive, tmp_path: Path) -> None:
    h = arch.height("Ballot", 1)
    ballot = arch.steps[h].payload
    members = [(n, d) for n, d in arch.members() if d != ballot]
    path = write_members(tmp_path / "t.bel", arch.timestamp, members)
    expect(one_problem(path), h, "Ballot", "payload", "no payload member")


@pytest.mark.parametrize(**ACROSS, argvalues=across(["EndBallots", "Ballot"]))
def test_payload_presence(arch: EditableArchive, tmp_path: Path, case: str) -> None:
    event_type = case
    h = arch.height(event_type)
    arch.steps[h] = new_step(event_type, [] if event_type == "Ballot" else [b"{}"])
    expect(rejected(arch, tmp_path), h, event_type, "payload", "presence")


# --- several problems at once ---------------------------------------------------------------


def _three_independent_tamperings(arch: EditableArchive) -> list[tuple[int, str]]:
    replay = arch.duplicate(arch.height("Ballot", 0))
    arch.step("EncryptedTally").edit(lambda s: s.update(num_tallied=s["num_tallied"] + 5))
    arch.step("Result").edit(lambda r: r["result"][1].__setitem__(1, r["result"][1][1] + 1))
    return [
        (replay, "replay"),
        (arch.height("EncryptedTally"), "encrypted tally"),
        (arch.height("Result"), "result"),
    ]


def test_collect_all_reports_every_problem(arch: EditableArchive, tmp_path: Path) -> None:
    expected = _three_independent_tamperings(arch)
    path = arch.write(tmp_path / "tampered.bel")
    problems = verify(path, collect_all=True)
    assert [(p.height, p.check) for p in problems] == expected, problems
    first = verify(path)
    assert [(p.height, p.check) for p in first] == expected[:1]


def test_collect_all_with_an_unreadable_tally(
    originals: dict[str, EditableArchive], tmp_path: Path
) -> None:
    arch = originals["ed-threshold"].copy()
    arch.step("EncryptedTally").edit(lambda t: _swap(t[0], 0, 1), 0)
    path = arch.write(tmp_path / "t.bel", fix_refs=False)
    problems = verify(path, collect_all=True)
    assert problems[0].check == "encrypted tally"


def test_collect_all_with_a_rejected_ballot_at_a_wrong_height(
    originals: dict[str, EditableArchive], tmp_path: Path
) -> None:
    arch = originals["ed-threshold"].copy()
    h = arch.height("Ballot", 2)
    arch.steps[h].edit(lambda b: b.update(election_uuid="x"))
    path = _write_with_event_edit(
        arch, tmp_path / "t.bel", lambda height, e: {**e, "height": 99} if height == h else e
    )
    checks = [p.check for p in verify(path, collect_all=True)]
    assert "height" in checks and "election uuid" in checks


# --- the command line -----------------------------------------------------------------------


def test_cli_verify_exit_codes(originals: dict[str, EditableArchive], tmp_path: Path) -> None:
    arch = originals["ed-threshold"].copy()
    good = arch.write(tmp_path / "good.bel")
    ok = hramada("verify", str(good))
    assert ok.returncode == 0, ok.stderr
    assert "OK" in ok.stdout

    arch.step("Result").edit(lambda r: r["result"][1].__setitem__(0, r["result"][1][0] + 1))
    bad = hramada("verify", str(arch.write(tmp_path / "bad.bel")))
    assert bad.returncode == 1, bad.stderr
    assert f"FAILED event {arch.height('Result')} (Result): result: question 2" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_cli_verify_all_lists_every_problem(
    originals: dict[str, EditableArchive], tmp_path: Path
) -> None:
    arch = originals["ed-threshold"].copy()
    expected = _three_independent_tamperings(arch)
    run = hramada("verify", "--all", str(arch.write(tmp_path / "bad.bel")))
    assert run.returncode == 1, run.stderr
    for height, check in expected:
        assert f"event {height} " in run.stderr and f": {check}: " in run.stderr


def test_cli_prints_election_text_literally(tmp_path: Path) -> None:
    template = Template(
        description="Names are text, not markup.",
        name="Council [/x] [bold]2026",
        questions=DEMO_TEMPLATE.questions,
    )
    outcome = run_demo(tmp_path / "e", voters=2, group_name="Ed25519", template=template)
    run = hramada("verify", str(outcome.path))
    assert "Traceback" not in run.stderr
    assert run.returncode == 0
    assert "Council [/x] [bold]2026" in run.stdout


# --- reopening a damaged archive for appending ---------------------------------------------


def test_reopening_a_damaged_archive_keeps_its_events(
    demo_archives: dict[str, DemoOutcome], tmp_path: Path
) -> None:
    """Only a torn tail (an interrupted append) may be cut on reopening: damage in the middle
    must be refused, not "repaired" by dropping every later, acknowledged, event."""
    path = tmp_path / "damaged.bel"
    shutil.copy(demo_archives["ed-threshold"].path, path)
    members = read_members(path.read_bytes())
    _file_with_bytes_changed(path, path, members[8].offset - 512 + 3)  # a name in a header
    before = path.read_bytes()
    with pytest.raises(FormatError):
        ArchiveWriter.open(path)
    assert path.read_bytes() == before


def test_reopening_cuts_only_a_torn_tail(
    demo_archives: dict[str, DemoOutcome], tmp_path: Path
) -> None:
    path = tmp_path / "torn.bel"
    raw = demo_archives["ed-threshold"].path.read_bytes()
    ballot = next(m for m in read_members(raw) if m.data.startswith(b'{"election_uuid"'))
    path.write_bytes(raw + raw[ballot.offset - 512 : ballot.offset + 100])  # a torn append
    writer = ArchiveWriter.open(path)
    assert path.read_bytes() == raw
    assert len(writer.archive.events) == len(EditableArchive.read(path).steps)


def test_step_helpers(originals: dict[str, EditableArchive]) -> None:
    arch = originals["ff-single"].copy()
    n = len(arch.steps)
    assert arch.heights("Setup") == [0] and arch.height("Result") == n - 1
    assert arch.setup is arch.steps[0]
    assert isinstance(arch.step("EndBallots"), Step) and arch.step("EndBallots").records == []
    old = arch.steps[1].payload
    assert arch.replace_member(old, old + b" ") == 1


def test_a_ballot_changed_in_the_file_during_verification(
    demo_archives: dict[str, DemoOutcome], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ballots are read from the file as they are checked, not all first: a ballot changed
    after the first ones were checked is read again and refused, not believed."""
    path = shutil.copy(demo_archives["ed-threshold"].path, tmp_path / "changing.bel")
    monkeypatch.setattr(parallel, "_CHUNK", 2)  # two chunks are read ahead, then one at a time
    stored = read_archive(path).data
    assert isinstance(stored, StoredMembers)
    last = [e.payload for _, e in read_archive(path).events if e.type == "Ballot"][-1]
    assert last is not None
    offset, _ = stored.where[last]

    def change_the_last_ballot(stage: str, done: int, total: int) -> None:
        if stage != "ballots":
            return
        assert total > 3 * 2  # beyond the chunks read ahead
        if done == 2:
            with open(path, "r+b") as f:
                f.seek(offset)
                f.write(b"[")  # the ballot's opening brace

    report = verify_archive(path, workers=1, progress=change_the_last_ballot)
    (problem,) = report.problems
    assert (problem.height, problem.event, problem.check) == (None, "archive", "archive format")
    assert f"member {last}.data.json changed while the archive was read" in problem.detail
