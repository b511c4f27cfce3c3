"""The ballot box: every acceptance rule, phases, re-votes, replay of an archive, decryption.

Each test builds a tiny Ed25519 election by hand in tmp_path (a few milliseconds). Every input
the box refuses must raise `Rejected` naming the rule and leave the archive file as it was.
"""

from __future__ import annotations

import itertools
import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hramada.crypto.credentials import derive_secret, generate_credential
from hramada.crypto.group import Group
from hramada.crypto.groups import get_group
from hramada.crypto.proofs import schnorr_prove
from hramada.election.ballot import check_ballot, create_ballot
from hramada.election.box import BallotBox
from hramada.election.context import ElectionContext, load_context
from hramada.election.credentials import Voter, generate_credentials
from hramada.election.decryption import make_partial_decryption
from hramada.election.errors import Rejected
from hramada.election.setup import make_election, make_trustees, new_uuid
from hramada.election.tally import compute_tally, encode_tally
from hramada.election.trustees import election_public_key, make_pedersen, make_trustee_key
from hramada.protocol.canonical import FormatError, encode, sha256_b64
from hramada.protocol.model import Question, Template
from hramada.protocol.trustees import Trustee

GROUP = get_group("Ed25519")
TEMPLATE = Template(
    description="Casting tests",
    name="Tiny election",
    questions=[
        Question(answers=["A", "B", "C"], blank=True, min=1, max=2, question="Pick one or two"),
        Question(answers=["Yes", "No"], min=1, max=1, question="Yes or no?"),
    ],
)
VOTE_AB_YES = [[0, 1, 1, 0], [1, 0]]
VOTE_C_NO = [[0, 0, 0, 1], [0, 1]]
VOTE_BLANK_YES = [[1, 0, 0, 0], [1, 0]]
VOTE_A_NO = [[0, 1, 0, 0], [0, 1]]


def compact(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass
class Election:
    path: Path
    box: BallotBox
    creds: dict[str, str]  # voter id -> private credential
    keys: dict[int, int]  # owner number -> private key (share)
    weights: dict[str, int]

    @property
    def ctx(self) -> ElectionContext:
        return self.box.ctx

    def ballot(self, voter: str, plaintext: list[list[int]]) -> bytes:
        return create_ballot(self.ctx, self.creds[voter], plaintext)

    def decryption(self, owner: int, key: int | None = None) -> bytes:
        assert self.box.tally is not None
        x = self.keys[owner] if key is None else key
        return encode(make_partial_decryption(self.ctx, self.box.tally.ciphertexts, x))


def build(
    folder: Path,
    *,
    weights: dict[str, int] | None = None,
    pedersen: tuple[int, int] | None = None,
    singles: int = 1,
    group: Group = GROUP,
) -> Election:
    weights = weights or {"v1": 1, "v2": 1, "v3": 1}
    uuid = new_uuid()
    items: list[Trustee] = []
    keys: dict[int, int] = {}
    if pedersen:
        ped = make_pedersen(group, *pedersen)
        items.append(ped.parameters)
        keys = {j + 1: s for j, s in enumerate(ped.shares)}
    else:
        for i in range(singles):
            x, pub = make_trustee_key(group, f"t{i + 1}")
            items.append(pub)
            keys[i + 1] = x
    election = make_election(TEMPLATE, group, uuid, election_public_key(group, items))
    batch = generate_credentials(group, uuid, [Voter(v, w) for v, w in weights.items()])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid}.bel"
    box = BallotBox.create(path, election, make_trustees(items), batch.public)
    return Election(path, box, batch.private, keys, weights)


def expect_rejected(e: Election, check: str, action: Callable[[], object]) -> Rejected:
    """`action` raises Rejected(check) and changes neither the archive nor the box."""
    before = e.path.read_bytes()
    state = (e.box.phase, len(e.box.ballots), set(e.box.seen), dict(e.box.decryptions))
    with pytest.raises(Rejected) as info:
        action()
    assert info.value.check == check, str(info.value)
    assert e.path.read_bytes() == before
    assert (e.box.phase, len(e.box.ballots), set(e.box.seen), dict(e.box.decryptions)) == state
    return info.value


def signed(ctx: ElectionContext, obj: dict[str, Any], credential: str) -> bytes:
    """Re-sign a (tampered) ballot with the voter's real key, so only the tampering shows."""
    body = {k: v for k, v in obj.items() if k != "signature"}
    h = sha256_b64(compact(body))
    proof = schnorr_prove(ctx.group, derive_secret(credential, ctx.uuid, ctx.group.q), f"sig|{h}|")
    body["signature"] = {
        "hash": h,
        "proof": {"challenge": str(proof.challenge), "response": str(proof.response)},
    }
    return compact(body)


def bump(proof: dict[str, str], field: str = "challenge") -> None:
    proof[field] = str((int(proof[field]) + 1) % GROUP.q)


@pytest.fixture
def election(tmp_path: Path) -> Election:
    return build(tmp_path / "e")


# --- Accepted ballots -------------------------------------------------------------------------


def test_valid_ballots_are_accepted_and_appended(election: Election) -> None:
    e = election
    data = e.ballot("v1", VOTE_AB_YES)
    accepted = e.box.cast(data)
    assert accepted.tracker == sha256_b64(data)
    assert accepted.weight == 1
    archive_events = BallotBox.open(e.path).writer.archive.events
    assert [ev.type for _, ev in archive_events] == ["Setup", "Ballot"]
    assert check_ballot(e.ctx, data).hash == accepted.hash
    obj = json.loads(data)
    assert obj["election_uuid"] == e.ctx.uuid and obj["election_hash"] == e.ctx.fingerprint
    assert [len(a["choices"]) for a in obj["answers"]] == [4, 2]
    assert [len(a["overall_proof"]) for a in obj["answers"]] == [3, 1]  # max-min+2, max-min+1
    assert "blank_proof" in obj["answers"][0] and "blank_proof" not in obj["answers"][1]


# --- Rejected ballots -------------------------------------------------------------------------

Forgery = Callable[[Election], bytes]


def _obj(e: Election, voter: str = "v1", vote: list[list[int]] = VOTE_AB_YES) -> dict[str, Any]:
    return json.loads(e.ballot(voter, vote))


def _tamper(change: Callable[[dict[str, Any]], object]) -> Forgery:
    def forge(e: Election) -> bytes:
        obj = _obj(e)
        change(obj)
        return signed(e.ctx, obj, e.creds["v1"])

    return forge


def _raw(change: Callable[[dict[str, Any]], object]) -> Forgery:
    """Tamper without re-signing."""

    def forge(e: Election) -> bytes:
        obj = _obj(e)
        change(obj)
        return compact(obj)

    return forge


def _reordered(e: Election) -> bytes:
    obj = _obj(e)
    keys = list(obj)
    keys[0], keys[1] = keys[1], keys[0]
    return compact({k: obj[k] for k in keys})


def _drop_choice(obj: dict[str, Any]) -> None:
    answer = obj["answers"][0]
    answer["choices"].pop()
    answer["individual_proofs"].pop()


def _unregistered(e: Election) -> bytes:
    return create_ballot(e.ctx, generate_credential(), VOTE_AB_YES)


def _other_signer(e: Election) -> bytes:
    return signed(e.ctx, _obj(e), e.creds["v2"])  # v1's credential, v2's key


def _wrong_hash(e: Election) -> bytes:
    obj = _obj(e)
    obj["signature"]["hash"] = sha256_b64(b"another ballot")
    return compact(obj)


def _mix(e: Election, first: list[list[int]], second: list[list[int]], q: int) -> dict[str, Any]:
    """Question q's choices and individual proofs taken half from each of two valid ballots
    by the same voter: every individual proof still holds, the combination is invalid."""
    a, b = _obj(e, "v1", first), _obj(e, "v1", second)
    ans_a, ans_b = a["answers"][q], b["answers"][q]
    half = 1
    ans_a["choices"] = ans_a["choices"][:half] + ans_b["choices"][half:]
    ans_a["individual_proofs"] = (
        ans_a["individual_proofs"][:half] + ans_b["individual_proofs"][half:]
    )
    return a


def _double_yes(e: Election) -> bytes:
    """Question 2 voting Yes and No: [1, 1] with A's overall proof."""
    return signed(e.ctx, _mix(e, VOTE_AB_YES, VOTE_C_NO, 1), e.creds["v1"])


def _blank_and_choice(e: Election) -> bytes:
    """Question 1 = blank flag set and answer A chosen, with the blank vote's blank proof."""
    return signed(e.ctx, _mix(e, VOTE_BLANK_YES, VOTE_A_NO, 0), e.creds["v1"])


def _encrypted_two(e: Election) -> bytes:
    """Slot 1 replaced by the product of slots 1 and 2 (an encryption of 2)."""
    obj = _obj(e)
    choices = obj["answers"][0]["choices"]
    g = e.ctx.group
    alpha = g.mul(g.decode(choices[1]["alpha"]), g.decode(choices[2]["alpha"]))
    beta = g.mul(g.decode(choices[1]["beta"]), g.decode(choices[2]["beta"]))
    choices[1] = {"alpha": g.encode(alpha), "beta": g.encode(beta)}
    return signed(e.ctx, obj, e.creds["v1"])


def _swap_choices(obj: dict[str, Any]) -> None:
    choices = obj["answers"][0]["choices"]
    choices[1], choices[3] = choices[3], choices[1]


FORGERIES: list[tuple[str, Forgery, str]] = [
    ("empty", lambda e: b"", "ballot format"),
    ("not json", lambda e: b"ballot", "ballot format"),
    ("empty object", lambda e: b"{}", "ballot format"),
    ("pretty printed", lambda e: json.dumps(_obj(e), indent=1).encode(), "ballot format"),
    ("trailing newline", lambda e: e.ballot("v1", VOTE_AB_YES) + b"\n", "ballot format"),
    ("reordered fields", _reordered, "ballot format"),
    ("unknown field", _tamper(lambda o: o.update(extra=1)), "ballot format"),
    ("unknown answer field", _tamper(lambda o: o["answers"][1].update(x=1)), "ballot format"),
    ("null signature", _raw(lambda o: o.update(signature=None)), "ballot format"),
    ("answer missing", _tamper(lambda o: o["answers"].pop()), "ballot format"),
    ("extra answer", _tamper(lambda o: o["answers"].append(o["answers"][1])), "ballot format"),
    ("choice missing", _tamper(_drop_choice), "ballot format"),
    ("blank proof missing", _tamper(lambda o: o["answers"][0].pop("blank_proof")), "ballot format"),
    (
        "blank proof on a question without blank",
        _tamper(lambda o: o["answers"][1].update(blank_proof=o["answers"][0]["blank_proof"])),
        "ballot format",
    ),
    (
        "ranked answer to a homomorphic question",
        _tamper(lambda o: o["answers"][1].update(choices=o["answers"][1]["choices"][0])),
        "ballot format",
    ),
    ("other election uuid", _tamper(lambda o: o.update(election_uuid="x" * 14)), "election uuid"),
    (
        "other fingerprint",
        _tamper(lambda o: o.update(election_hash=sha256_b64(b"other election"))),
        "election fingerprint",
    ),
    ("unregistered credential", _unregistered, "credential"),
    (
        "credential spelt in upper case",
        _tamper(lambda o: o.update(credential=o["credential"].upper())),
        "credential",
    ),
    ("unsigned", _raw(lambda o: o.pop("signature")), "signature"),
    ("signed hash of another ballot", _wrong_hash, "signature"),
    (
        "content changed after signing",
        _raw(lambda o: bump(o["answers"][1]["overall_proof"][0])),
        "signature",
    ),
    ("signature challenge", _raw(lambda o: bump(o["signature"]["proof"])), "signature"),
    ("signature response", _raw(lambda o: bump(o["signature"]["proof"], "response")), "signature"),
    ("signed by another voter's key", _other_signer, "signature"),
    (
        "individual proof challenge",
        _tamper(lambda o: bump(o["answers"][0]["individual_proofs"][2][1])),
        "individual proof",
    ),
    (
        "individual proof response",
        _tamper(lambda o: bump(o["answers"][1]["individual_proofs"][0][0], "response")),
        "individual proof",
    ),
    ("choices swapped", _tamper(_swap_choices), "individual proof"),
    ("encryption of 2", _encrypted_two, "individual proof"),
    (
        "overall proof challenge",
        _tamper(lambda o: bump(o["answers"][1]["overall_proof"][0])),
        "overall proof",
    ),
    (
        "overall proof of the blank question",
        _tamper(lambda o: bump(o["answers"][0]["overall_proof"][2], "response")),
        "overall proof",
    ),
    ("two choices where one is allowed", _double_yes, "overall proof"),
    (
        "blank proof challenge",
        _tamper(lambda o: bump(o["answers"][0]["blank_proof"][1])),
        "blank proof",
    ),
    ("blank and a choice", _blank_and_choice, "blank proof"),
    (
        "challenge out of range",
        _tamper(lambda o: o["answers"][1]["overall_proof"][0].update(challenge=str(GROUP.q))),
        "ballot element",
    ),
    (
        "ciphertext not in the group",
        _tamper(lambda o: o["answers"][1]["choices"][0].update(alpha="7f" + "f" * 60 + "ec")),
        "ballot element",
    ),
]


@pytest.mark.parametrize(
    ("forge", "check"), [(f, c) for _, f, c in FORGERIES], ids=[n for n, _, _ in FORGERIES]
)
def test_forged_ballot_rejected(election: Election, forge: Forgery, check: str) -> None:
    e = election
    e.box.cast(e.ballot("v2", VOTE_C_NO))
    data = forge(e)
    expect_rejected(e, check, lambda: e.box.cast(data))
    with pytest.raises(Rejected) as info:
        check_ballot(e.ctx, data)
    assert info.value.check == check


def test_resigning_keeps_a_valid_ballot_valid(election: Election) -> None:
    """The forgeries are re-signed with the voter's key: that alone must not break a ballot."""
    e = election
    original = _obj(e, "v1", VOTE_AB_YES)
    assert check_ballot(e.ctx, signed(e.ctx, original, e.creds["v1"])).credential


def test_replay_rejected(election: Election) -> None:
    e = election
    data = e.ballot("v1", VOTE_AB_YES)
    e.box.cast(data)
    expect_rejected(e, "replay", lambda: e.box.cast(data))
    # Replaying an older ballot after a re-vote is refused too.
    e.box.cast(e.ballot("v1", VOTE_C_NO))
    expect_rejected(e, "replay", lambda: e.box.cast(data))


def test_ballot_from_another_election_rejected(tmp_path: Path) -> None:
    first, second = build(tmp_path / "a"), build(tmp_path / "b")
    data = first.ballot("v1", VOTE_AB_YES)
    expect_rejected(second, "election uuid", lambda: second.box.cast(data))


def test_same_uuid_other_election_text_rejected(tmp_path: Path) -> None:
    e = build(tmp_path / "a")
    other = load_context(
        e.ctx.election_bytes.replace(b"Tiny election", b"Tiny electiom"),
        *_setup_members(e)[1:],
    )
    data = create_ballot(other, e.creds["v1"], VOTE_AB_YES)
    expect_rejected(e, "election fingerprint", lambda: e.box.cast(data))


def _setup_members(e: Election) -> tuple[bytes, bytes, bytes]:
    archive = e.box.writer.archive
    setup = json.loads(archive.payload(archive.events[0][1]))
    return tuple(archive.data[setup[k]] for k in ("election", "trustees", "credentials"))  # type: ignore[return-value]


# --- Phases -----------------------------------------------------------------------------------


def test_phase_order(election: Election) -> None:
    e = election
    box = e.box
    early = e.ballot("v1", VOTE_AB_YES)
    expect_rejected(e, "phase", box.compute_tally)
    expect_rejected(e, "phase", box.publish_result)
    expect_rejected(e, "phase", lambda: box.add_partial_decryption(1, b"{}"))
    box.cast(early)
    box.close()
    late = e.ballot("v2", VOTE_C_NO)
    expect_rejected(e, "phase", lambda: box.cast(late))
    expect_rejected(e, "phase", box.close)
    expect_rejected(e, "phase", box.publish_result)
    box.compute_tally()
    expect_rejected(e, "phase", box.compute_tally)
    expect_rejected(e, "phase", lambda: box.cast(late))
    box.add_partial_decryption(1, e.decryption(1))
    assert box.publish_result() == [[0, 1, 1, 0], [1, 0]]
    assert box.phase == "done"
    expect_rejected(e, "phase", lambda: box.cast(late))
    expect_rejected(e, "phase", box.publish_result)
    expect_rejected(e, "phase", lambda: box.add_partial_decryption(1, e.decryption(1)))
    types = [ev.type for _, ev in BallotBox.open(e.path).writer.archive.events]
    assert types == [
        "Setup",
        "Ballot",
        "EndBallots",
        "EncryptedTally",
        "PartialDecryption",
        "Result",
    ]


# --- Re-votes and weights ---------------------------------------------------------------------


def test_revote_only_last_counts(tmp_path: Path) -> None:
    e = build(tmp_path / "e", weights={"v1": 1, "v2": 2, "v3": 1, "v4": 5})
    box = e.box
    box.cast(e.ballot("v1", VOTE_AB_YES))
    box.cast(e.ballot("v2", VOTE_AB_YES))
    box.cast(e.ballot("v1", VOTE_C_NO))  # replaces v1's first ballot
    box.cast(e.ballot("v3", VOTE_BLANK_YES))
    box.cast(e.ballot("v2", VOTE_A_NO))  # replaces v2's
    box.cast(e.ballot("v1", VOTE_BLANK_YES))  # and again
    assert len(box.ballots) == 6
    box.close()
    tally = box.compute_tally()
    assert tally.num_tallied == 3
    assert tally.total_weight == 1 + 2 + 1
    box.add_partial_decryption(1, e.decryption(1))
    # v1: blank, yes (1); v2: A, no (weight 2); v3: blank, yes (1).
    assert box.publish_result() == [[2, 2, 0, 0], [2, 2]]


@settings(max_examples=6, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["v1", "v2", "v3"]), st.integers(0, 3)), min_size=1, max_size=7
    )
)
def test_revotes_random(casts: list[tuple[str, int]]) -> None:
    """At least one ballot: see test_ed25519_election_without_ballots."""
    votes = [VOTE_AB_YES, VOTE_C_NO, VOTE_BLANK_YES, VOTE_A_NO]
    weights = {"v1": 1, "v2": 3, "v3": 2}
    with tempfile.TemporaryDirectory() as tmp:
        e = build(Path(tmp), weights=weights)
        last: dict[str, list[list[int]]] = {}
        for voter, v in casts:
            e.box.cast(e.ballot(voter, votes[v]))
            last[voter] = votes[v]
        e.box.close()
        tally = e.box.compute_tally()
        assert tally.num_tallied == len(last)
        assert tally.total_weight == sum(weights[v] for v in last)
        e.box.add_partial_decryption(1, e.decryption(1))
        expected = [
            [sum(weights[v] * vote[q][i] for v, vote in last.items()) for i in range(n)]
            for q, n in enumerate((4, 2))
        ]
        assert e.box.publish_result() == expected


# --- Invalid plaintexts -----------------------------------------------------------------------

INVALID_PLAINTEXTS = [
    [[0, 2, 0, 0], [1, 0]],  # not 0/1
    [[0, 1, 0, 0], [-1, 0]],
    [[0, 1, 1, 1], [1, 0]],  # three choices, max 2
    [[0, 1, 0, 0], [1, 1]],  # two choices, max 1
    [[0, 0, 0, 0], [1, 0]],  # no choice and not blank, min 1
    [[0, 1, 0, 0], [0, 0]],
    [[1, 1, 0, 0], [1, 0]],  # blank plus a choice
    [[1, 1, 1, 0], [1, 0]],
    [[0, 1, 0], [1, 0]],  # wrong number of slots
    [[0, 1, 0, 0, 0], [1, 0]],
    [[0, 1, 0, 0]],  # wrong number of questions
    [[0, 1, 0, 0], [1, 0], [1, 0]],
]


@pytest.mark.parametrize("plaintext", INVALID_PLAINTEXTS, ids=str)
def test_invalid_plaintexts_refused(election: Election, plaintext: list[list[int]]) -> None:
    with pytest.raises(ValueError):
        election.ballot("v1", plaintext)
    assert election.box.ballots == []


def _valid(plaintext: list[list[int]]) -> bool:
    q1, q2 = plaintext
    if any(x not in (0, 1) for x in q1 + q2):
        return False
    blank_ok = q1[0] == 1 and sum(q1[1:]) == 0
    q1_ok = blank_ok or (q1[0] == 0 and 1 <= sum(q1[1:]) <= 2)
    return q1_ok and sum(q2) == 1


@pytest.fixture(scope="module")
def shared_election(tmp_path_factory: pytest.TempPathFactory) -> Election:
    return build(tmp_path_factory.mktemp("shared"))


@settings(max_examples=30, deadline=None)
@given(
    st.tuples(
        st.lists(st.integers(0, 2), min_size=4, max_size=4),
        st.lists(st.integers(0, 2), min_size=2, max_size=2),
    )
)
def test_create_ballot_accepts_exactly_the_valid_plaintexts(
    shared_election: Election, plaintext: tuple[list[int], list[int]]
) -> None:
    vote = [list(plaintext[0]), list(plaintext[1])]
    if _valid(vote):
        data = shared_election.ballot("v1", vote)
        assert check_ballot(shared_election.ctx, data).weight == 1
    else:
        with pytest.raises(ValueError):
            shared_election.ballot("v1", vote)


def test_dashless_spelling_votes_with_the_same_credential(election: Election) -> None:
    e = election
    first = e.box.cast(e.ballot("v1", VOTE_AB_YES))
    second = e.box.cast(create_ballot(e.ctx, e.creds["v1"].replace("-", ""), VOTE_C_NO))
    assert first.credential == second.credential  # a re-vote, not a new voter
    e.box.close()
    assert e.box.compute_tally().num_tallied == 1


def test_create_ballot_refuses_a_mistyped_credential(election: Election) -> None:
    cred = election.creds["v1"]
    with pytest.raises(ValueError):
        create_ballot(election.ctx, cred[:-1] + ("a" if cred[-1] != "a" else "b"), VOTE_AB_YES)


# --- Re-opening an archive --------------------------------------------------------------------


def _state(box: BallotBox) -> tuple[Any, ...]:
    tally = None
    if box.tally is not None:
        tally = (
            [
                [(box.ctx.group.encode(c.alpha), box.ctx.group.encode(c.beta)) for c in col]
                for col in box.tally.ciphertexts
            ],
            box.tally.num_tallied,
            box.tally.total_weight,
        )
    return (
        box.phase,
        [(b.hash, b.tracker, b.credential, b.weight) for b in box.ballots],
        box.seen,
        tally,
        {
            k: [[box.ctx.group.encode(f) for f in row] for row in v]
            for k, v in box.decryptions.items()
        },
        box.ctx.fingerprint,
        box.ctx.credentials,
        box.writer.archive.events,
    )


def test_open_replays_to_the_same_state(tmp_path: Path) -> None:
    e = build(tmp_path / "e", weights={"v1": 1, "v2": 2, "v3": 1}, pedersen=(3, 2))
    box = e.box

    def same() -> None:
        reopened = BallotBox.open(e.path)
        assert _state(reopened) == _state(box)

    same()
    box.cast(e.ballot("v1", VOTE_AB_YES))
    box.cast(e.ballot("v2", VOTE_C_NO))
    box.cast(e.ballot("v1", VOTE_BLANK_YES))
    same()
    box.close()
    same()
    box.compute_tally()
    same()
    box.add_partial_decryption(3, e.decryption(3))
    same()
    # A box re-opened mid-decryption finishes the election.
    reopened = BallotBox.open(e.path)
    reopened.add_partial_decryption(1, e.decryption(1))
    assert reopened.publish_result() == [[1, 0, 0, 2], [1, 2]]
    final = BallotBox.open(e.path)
    assert final.phase == "done"
    assert _state(final)[:4] == _state(reopened)[:4]


def test_open_rejects_a_ballot_appended_without_checks(election: Election) -> None:
    e = election
    e.box.cast(e.ballot("v1", VOTE_AB_YES))
    obj = _obj(e, "v2", VOTE_C_NO)
    bump(obj["answers"][1]["overall_proof"][0])
    e.box.writer.append("Ballot", [signed(e.ctx, obj, e.creds["v2"])])
    with pytest.raises(Rejected) as info:
        BallotBox.open(e.path)
    assert info.value.check == "overall proof"


def test_open_rejects_a_ballot_after_end_ballots(election: Election) -> None:
    e = election
    e.box.close()
    e.box.writer.append("Ballot", [e.ballot("v1", VOTE_AB_YES)])
    with pytest.raises(Rejected) as info:
        BallotBox.open(e.path)
    assert info.value.check == "phase"


def test_open_rejects_a_tally_that_is_not_the_ballots_tally(election: Election) -> None:
    e = election
    e.box.cast(e.ballot("v1", VOTE_AB_YES))
    e.box.cast(e.ballot("v2", VOTE_C_NO))
    e.box.close()
    forged = compute_tally(e.ctx, e.box.ballots[:1])  # v2's ballot left out
    e.box.writer.append("EncryptedTally", list(encode_tally(e.ctx.group, forged)))
    with pytest.raises((Rejected, FormatError)):
        BallotBox.open(e.path)


def test_open_rejects_a_broken_chain(election: Election) -> None:
    e = election
    writer = e.box.writer
    digest, setup = writer.archive.events[0]
    writer.archive.events[0] = ("0" * 64, setup)  # the next event names a wrong parent
    writer.append("Ballot", [e.ballot("v1", VOTE_AB_YES)])
    writer.archive.events[0] = (digest, setup)
    with pytest.raises((Rejected, FormatError)):
        BallotBox.open(e.path)


# --- Partial decryptions ----------------------------------------------------------------------


def _tallied(folder: Path, **kwargs: Any) -> Election:
    e = build(folder, **kwargs)
    e.box.cast(e.ballot("v1", VOTE_AB_YES))
    e.box.cast(e.ballot("v2", VOTE_C_NO))
    e.box.cast(e.ballot("v3", VOTE_AB_YES))
    e.box.close()
    e.box.compute_tally()
    return e


EXPECTED = [[0, 2, 2, 1], [2, 1]]


def _pd(e: Election, owner: int) -> dict[str, Any]:
    return json.loads(e.decryption(owner))


def test_bad_partial_decryptions_rejected(tmp_path: Path) -> None:
    e = _tallied(tmp_path / "e", singles=2)
    box = e.box
    g = e.ctx.group

    wrong_key = e.decryption(1, key=e.keys[2])
    expect_rejected(e, "decryption proof", lambda: box.add_partial_decryption(1, wrong_key))

    pd = _pd(e, 1)
    bump(pd["decryption_proofs"][1][0])
    expect_rejected(e, "decryption proof", lambda: box.add_partial_decryption(1, compact(pd)))

    pd = _pd(e, 1)
    bump(pd["decryption_proofs"][0][3], "response")
    expect_rejected(e, "decryption proof", lambda: box.add_partial_decryption(1, compact(pd)))

    pd = _pd(e, 1)
    factor = g.decode(pd["decryption_factors"][0][0])
    pd["decryption_factors"][0][0] = g.encode(g.mul(factor, g.g))
    expect_rejected(e, "decryption proof", lambda: box.add_partial_decryption(1, compact(pd)))

    pd = _pd(e, 1)
    pd["decryption_factors"][0][0] = "7f" + "f" * 60 + "ec"  # a point of order 2
    expect_rejected(e, "partial decryption", lambda: box.add_partial_decryption(1, compact(pd)))

    pd = _pd(e, 1)
    pd["decryption_factors"].pop()
    pd["decryption_proofs"].pop()
    expect_rejected(e, "partial decryption", lambda: box.add_partial_decryption(1, compact(pd)))

    pd = _pd(e, 1)
    pd["decryption_proofs"][0].pop()
    expect_rejected(e, "partial decryption", lambda: box.add_partial_decryption(1, compact(pd)))

    for junk in [b"", b"{}", b"[]", b"null"]:
        expect_rejected(e, "partial decryption", lambda j=junk: box.add_partial_decryption(1, j))
    valid = e.decryption(1)
    for owner in (0, 3, -1):
        expect_rejected(
            e, "partial decryption", lambda o=owner: box.add_partial_decryption(o, valid)
        )

    # Trustee 1's valid factors do not pass as trustee 2's.
    expect_rejected(e, "decryption proof", lambda: box.add_partial_decryption(2, e.decryption(1)))
    box.add_partial_decryption(1, e.decryption(1))
    expect_rejected(e, "partial decryption", lambda: box.add_partial_decryption(1, e.decryption(1)))
    expect_rejected(e, "decryption", box.publish_result)  # trustee 2 is missing
    box.add_partial_decryption(2, e.decryption(2))
    assert box.publish_result() == EXPECTED


def test_pedersen_any_two_of_three(tmp_path: Path) -> None:
    e = _tallied(tmp_path / "e", pedersen=(3, 2))
    original = e.path.read_bytes()
    for n, quorum in enumerate(
        [*itertools.combinations([1, 2, 3], 2), (1, 2, 3), (3, 1), (2, 1, 3)]
    ):
        copy = tmp_path / f"copy{n}" / e.path.name
        copy.parent.mkdir()
        shutil.copyfile(e.path, copy)
        box = BallotBox.open(copy)
        for owner in quorum:
            box.add_partial_decryption(owner, e.decryption(owner))
        assert box.publish_result() == EXPECTED, quorum
    assert e.path.read_bytes() == original


@pytest.mark.parametrize("owner", [1, 2, 3])
def test_pedersen_one_of_three_refused(tmp_path: Path, owner: int) -> None:
    e = _tallied(tmp_path / "e", pedersen=(3, 2))
    e.box.add_partial_decryption(owner, e.decryption(owner))
    expect_rejected(e, "decryption", e.box.publish_result)
    assert e.box.phase == "tallied"
    other = owner % 3 + 1
    e.box.add_partial_decryption(other, e.decryption(other))
    assert e.box.publish_result() == EXPECTED


def test_pedersen_share_of_another_member_refused(tmp_path: Path) -> None:
    e = _tallied(tmp_path / "e", pedersen=(3, 2))
    forged = e.decryption(2, key=e.keys[1])
    expect_rejected(e, "decryption proof", lambda: e.box.add_partial_decryption(2, forged))


# --- Setup ------------------------------------------------------------------------------------


def test_create_rejects_a_bad_setup(tmp_path: Path) -> None:
    e = build(tmp_path / "ok")
    election, trustees, credentials = _setup_members(e)
    other_key = GROUP.encode(GROUP.g_pow(12345))
    public_key = json.loads(election)["public_key"]
    bad_election = election.replace(public_key.encode(), other_key.encode())
    path = tmp_path / "bad.bel"
    cases: list[tuple[tuple[bytes, bytes, bytes], str]] = [
        ((bad_election, trustees, credentials), "election key"),
        ((election, trustees, compact(json.loads(credentials) * 2)), "credentials"),
        ((election.replace(b'"version":1', b'"version":2'), trustees, credentials), "election"),
        ((election.replace(b'"Ed25519"', b'"P-256"'), trustees, credentials), "election"),
    ]
    assert load_context(election, trustees, credentials).uuid == e.ctx.uuid
    for (el, tr, cr), check in cases:
        with pytest.raises(Rejected) as info:
            BallotBox.create(path, el, tr, cr)
        assert info.value.check == check
        assert not path.exists()


@pytest.mark.parametrize("count", [0, 1, 2, 4])
def test_pedersen_with_wrong_number_of_signatures_rejected(count: int) -> None:
    """A Pedersen set must carry one 2.5.1 signature per member (an empty list once raised
    IndexError instead of Rejected)."""
    ped = make_pedersen(GROUP, 3, 2)
    signatures = (ped.parameters.signatures or []) * 2
    params = msgspec.structs.replace(ped.parameters, signatures=signatures[:count])
    y = election_public_key(GROUP, [ped.parameters])
    uuid = new_uuid()
    election = make_election(TEMPLATE, GROUP, uuid, y)
    creds = generate_credentials(GROUP, uuid, [Voter("a")]).public
    assert load_context(election, make_trustees([ped.parameters]), creds).uuid == uuid
    with pytest.raises(Rejected):
        load_context(election, make_trustees([params]), creds)


def test_ed25519_election_without_ballots(tmp_path: Path) -> None:
    e = build(tmp_path / "e")
    e.box.close()
    e.box.compute_tally()
    e.box.add_partial_decryption(1, e.decryption(1))
    assert e.box.publish_result() == [[0, 0, 0, 0], [0, 0]]
    assert BallotBox.open(e.path).phase == "done"


def test_ff_election_without_ballots(tmp_path: Path) -> None:
    e = build(tmp_path / "e", group=get_group("BELENIOS-2048"))
    e.box.close()
    e.box.compute_tally()
    e.box.add_partial_decryption(1, e.decryption(1))
    assert e.box.publish_result() == [[0, 0, 0, 0], [0, 0]]
    assert BallotBox.open(e.path).phase == "done"
