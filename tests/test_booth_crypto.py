"""The voting booth's JavaScript cryptography against the Python engine.

One node process (tests/js/booth_driver.mjs) serves every request of this module, one JSON
line each way, so that many ballots cost no process start-up. Ballots made in JavaScript must
pass `check_ballot`; with the same random scalars they must be the very bytes `create_ballot`
writes; audits are checked by both sides.
"""

from __future__ import annotations

import json
import random
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from hramada.cli.main import app
from hramada.crypto.credentials import (
    BASE58,
    _is_checksummed,
    derive_secret,
    generate_credential,
)
from hramada.crypto.group import Group, GroupError
from hramada.crypto.groups import GROUP_NAMES, get_group
from hramada.election.audit import AuditFile, audit_ballot
from hramada.election.ballot import check_ballot, create_ballot
from hramada.election.box import BallotBox
from hramada.election.context import ElectionContext, load_context
from hramada.election.setup import make_election, make_trustees, new_uuid
from hramada.election.trustees import election_public_key, make_pedersen, make_trustee_key
from hramada.protocol.canonical import encode, sha256_b64
from hramada.protocol.model import Question, Template
from hramada.protocol.trustees import Trustee

ROOT = Path(__file__).resolve().parents[1]
JS = ROOT / "tests" / "js"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")

TEMPLATE = Template(
    description="Booth tests",
    name="Booth test election",
    questions=[
        Question(answers=["A", "B", "C", "D"], blank=True, min=1, max=2, question="Up to two"),
        Question(answers=["Yes", "No"], min=1, max=1, question="Yes or no?"),
        Question(answers=["X", "Y", "Z"], min=0, max=3, question="Any of them"),
    ],
)
VOTES = [
    [[0, 1, 0, 1, 0], [1, 0], [0, 0, 0]],
    [[1, 0, 0, 0, 0], [0, 1], [1, 1, 1]],
    [[0, 0, 0, 0, 1], [1, 0], [0, 1, 0]],
]
KINDS = ("single", "several")  # one Single key; two Single keys and a Pedersen 2-of-3 set


class JsError(Exception):
    def __init__(self, code: str, message: str, character: str | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.character = character  # the first one outside the alphabet, for credentials


class Driver:
    """The node process answering requests, one JSON line each way."""

    def __init__(self) -> None:
        assert NODE is not None
        self.proc = subprocess.Popen(
            [NODE, str(JS / "booth_driver.mjs")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )

    def __call__(self, op: str, **request: Any) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"op": op, **request}) + "\n")
        self.proc.stdin.flush()
        reply = json.loads(self.proc.stdout.readline())
        if "error" in reply:
            error = reply["error"]
            raise JsError(error["code"], error["message"], error.get("character"))
        return reply["ok"]

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def js() -> Iterator[Driver]:
    driver = Driver()
    yield driver
    driver.close()


def credential22() -> str:
    """A credential in the newer 22-character format (no checksum)."""
    raw = "".join(secrets.choice(BASE58) for _ in range(22))
    return f"{raw[:5]}-{raw[5:11]}-{raw[11:16]}-{raw[16:]}"


@dataclass
class Setup:
    ctx: ElectionContext
    election: str
    trustees: str
    credentials: bytes
    creds: dict[str, str]  # voter -> private credential
    weights: dict[str, int]

    @property
    def group(self) -> Group:
        return self.ctx.group

    def request(self) -> dict[str, str]:
        return {"election": self.election, "trustees": self.trustees}


def make_setup(group_name: str, kind: str, template: Template = TEMPLATE) -> Setup:
    group = get_group(group_name)
    uuid = new_uuid()
    items: list[Trustee] = [make_trustee_key(group, "t1")[1]]
    if kind == "several":
        items += [make_trustee_key(group, "t2")[1], make_pedersen(group, 3, 2).parameters]
    election = make_election(template, group, uuid, election_public_key(group, items))
    creds = {"v1": generate_credential(), "v2": generate_credential(), "v3": credential22()}
    weights = {"v1": 1, "v2": 3, "v3": 2}
    public = []
    for voter, cred in creds.items():
        key = group.g_pow(derive_secret(cred, uuid, group.q))
        public.append((group.element_key(key), f"{group.encode(key)},{weights[voter]}"))
    credentials = encode([entry for _, entry in sorted(public)])
    trustees = make_trustees(items)
    ctx = load_context(election, trustees, credentials)
    return Setup(ctx, election.decode(), trustees.decode(), credentials, creds, weights)


@cache
def setup_of(group_name: str, kind: str = "single") -> Setup:
    """One election per group and kind for the whole module (RFC-3526 setups take a while)."""
    return make_setup(group_name, kind)


def accept(s: Setup, ballot: str, voter: str) -> str:
    """Python accepts the ballot for this voter's credential and weight; return its tracker."""
    accepted = check_ballot(s.ctx, ballot.encode())
    assert accepted.weight == s.weights[voter]
    assert accepted.tracker == sha256_b64(ballot.encode())
    return accepted.tracker


# --- Groups and elements -----------------------------------------------------------------------


@pytest.mark.parametrize("name", GROUP_NAMES)
def test_group_constants_match_python(js: Driver, name: str) -> None:
    group = get_group(name)
    got = js("constants", group=name)
    assert got["q"] == str(group.q) and got["g"] == group.encode(group.g)
    assert got["p"] == (str(group.p) if hasattr(group, "p") else None)


# A point of order 8 of edwards25519 (RFC 8032 bytes), outside the prime-order subgroup.
ED_ORDER_8 = bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")


def _ed_strings(group: Group) -> list[str]:
    """Points of Ed25519 outside the prime-order subgroup, and other spellings to refuse."""
    p = 2**255 - 19
    g_belenios = "6666666666666666666666666666666666666666666666666666666666666658"
    return [
        f"{1:064x}",  # the identity: accepted
        f"{p - 1:064x}",  # order 2
        f"{0:064x}",  # order 4
        f"{1 << 255:064x}",
        f"{p + 1:064x}",  # y >= p
        f"{(1 << 255) | 1:064x}",  # x = 0 with the sign bit
        ED_ORDER_8[::-1].hex(),
        # on the curve, with a torsion part
        group.encode(group.mul(group.g, group.decode_unchecked(ED_ORDER_8[::-1].hex()))),
        g_belenios,
        g_belenios[::-1],  # g in RFC 8032 byte order: another string
        g_belenios.upper(),
        "66",
        "",
    ]


def _ff_strings(group: Group) -> list[str]:
    p = group.p  # type: ignore[attr-defined]
    members = [group.encode(group.g_pow(k)) for k in (1, 2, 12345, group.q - 1)]
    return [
        *members,
        "0",
        "1",
        "2",
        "3",
        str(p - 1),
        str(p),
        str(p + 1),
        "-4",
        "04",
        "+4",
        " 4",
        "4.0",
        "",
        "0" + members[0],
        str(int(members[0]) + p),
    ]


@pytest.mark.parametrize("name", GROUP_NAMES)
def test_element_decoding_agrees_with_python(js: Driver, name: str) -> None:
    group = get_group(name)
    strings = _ed_strings(group) if name == "Ed25519" else _ff_strings(group)
    rng = random.Random(7)
    strings += [group.encode(group.g_pow(rng.randrange(1, group.q))) for _ in range(5)]
    if name == "Ed25519":  # random 32-byte strings: mostly off the curve or off the subgroup
        strings += [rng.randbytes(32).hex() for _ in range(20)]
    expected = []
    for s in strings:
        try:
            expected.append(group.encode(group.decode(s)))
        except GroupError:
            expected.append(None)
    assert js("decode", group=name, strings=strings) == expected


# --- Ballots -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", GROUP_NAMES)
def test_js_ballots_are_accepted(js: Driver, name: str, kind: str) -> None:
    s = setup_of(name, kind)
    loaded = js("load", **s.request())
    assert loaded == {
        "fingerprint": s.ctx.fingerprint,
        "uuid": s.ctx.uuid,
        "group": name,
        "frozen": True,
    }
    typed = {"v1": s.creds["v1"], "v2": s.creds["v2"].replace("-", ""), "v3": s.creds["v3"]}
    cases = list(zip(typed.items(), VOTES, strict=True))
    if name == "RFC-3526-2048":  # ten times slower: one ballot each (the 22-character form too)
        cases = cases[2:] if kind == "single" else cases[:1]
    for (voter, cred), vote in cases:
        made = js("ballot", credential=cred, plaintexts=vote, **s.request())
        assert made["trackingCode"] == accept(s, made["ballot"], voter)
        obj = json.loads(made["ballot"])
        assert [len(a["choices"]) for a in obj["answers"]] == [5, 2, 3]
        assert ["blank_proof" in a for a in obj["answers"]] == [True, False, False]
        assert made["audit"]["choices"] == vote
        assert [len(r) for r in made["audit"]["randomness"]] == [5, 2, 3]
        total = 5 + 2 + 3 + 2 + 1 + 1 + 1
        assert made["progress"] == [[i, total] for i in range(1, total + 1)]


def _python_draws(group: Group, count: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    return [1 + rng.randrange(group.q - 1) for _ in range(count)]


@pytest.mark.parametrize("name", GROUP_NAMES)
def test_same_bytes_as_python_with_the_same_random_scalars(
    js: Driver, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = setup_of(name)
    votes = VOTES[1:2] if name == "RFC-3526-2048" else VOTES  # blank, and min 0 chosen 3
    for n, vote in enumerate(votes):
        pool = iter(_python_draws(s.group, 200, n))
        used: list[int] = []

        def draw(pool: Iterator[int] = pool, used: list[int] = used) -> int:
            used.append(next(pool))
            return used[-1]

        with monkeypatch.context() as m:
            m.setattr(s.group, "random_scalar", draw)
            expected = create_ballot(s.ctx, s.creds["v1"], vote)
        made = js(
            "ballot",
            credential=s.creds["v1"],
            plaintexts=vote,
            draws=[str(x) for x in used],
            **s.request(),
        )
        assert made["ballot"].encode() == expected
        assert made["trackingCode"] == sha256_b64(expected)


def valid_votes(template: Template) -> st.SearchStrategy[list[list[int]]]:
    """Random valid plaintexts: blank votes and every count between min and max."""

    def answer(q: Question) -> st.SearchStrategy[list[int]]:
        assert q.answers is not None and q.min is not None and q.max is not None
        n = len(q.answers)
        chosen = st.integers(q.min, q.max).flatmap(
            lambda k: st.permutations([1] * k + [0] * (n - k))
        )
        if not q.blank:
            return chosen.map(list)
        return st.one_of(st.just([1] + [0] * n), chosen.map(lambda m: [0, *m]))

    return st.tuples(*(answer(q) for q in template.questions)).map(list)


@pytest.mark.parametrize(("name", "examples"), [("Ed25519", 6), ("BELENIOS-2048", 5)])
def test_random_valid_ballots_are_accepted_and_audit(js: Driver, name: str, examples: int) -> None:
    """Property: for any valid choices the ballot is accepted and its audit holds, in both."""
    s = setup_of(name)

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(st.lists(valid_votes(TEMPLATE), min_size=1, max_size=3))
    def check(votes: list[list[list[int]]]) -> None:
        made = js("ballots", credential=s.creds["v2"], plaintexts=votes, **s.request())
        for vote, m in zip(votes, made, strict=True):
            accept(s, m["ballot"], "v2")
            assert js("audit", ballot=m["ballot"], audit=m["audit"], **s.request())["ok"]
            audit = AuditFile(ballot=m["ballot"], choices=vote, randomness=m["audit"]["randomness"])
            assert audit_ballot(s.election.encode(), audit).ok

    check()


BAD_VOTES = [
    [[0, 1, 0, 1, 0], [1, 0]],  # a question missing
    [[0, 1, 0, 1], [1, 0], [0, 0, 0]],  # one value short
    [[0, 1, 0, 1, 0, 0], [1, 0], [0, 0, 0]],  # one value too many
    [[0, 1, 1, 1, 0], [1, 0], [0, 0, 0]],  # above max
    [[0, 0, 0, 0, 0], [1, 0], [0, 0, 0]],  # below min, not blank
    [[1, 1, 0, 0, 0], [1, 0], [0, 0, 0]],  # blank with a choice
    [[0, 1, 0, 0, 0], [1, 1], [0, 0, 0]],
    [[0, 1, 0, 0, 0], [0, 0], [0, 0, 0]],
    [[0, 2, 0, 0, 0], [1, 0], [0, 0, 0]],  # not 0/1
    [[0, 1, 0, 0, 0], [True, False], [0, 0, 0]],  # JSON booleans are not 0/1
    [[0, 1, 0, 0, 0], [1, 0], "abc"],
    "not a list",
]


def test_invalid_plaintexts_are_refused(js: Driver) -> None:
    s = setup_of("Ed25519")
    for vote in BAD_VOTES:
        for op in ("validate", "ballot"):
            with pytest.raises(JsError) as info:
                js(op, credential=s.creds["v1"], plaintexts=vote, **s.request())
            assert info.value.code == "choices", vote
        if not all(isinstance(m, list) for m in vote):
            continue  # Python would read a string as a list of characters
        try:
            create_ballot(s.ctx, s.creds["v1"], vote)  # type: ignore[arg-type]
        except ValueError as e:  # where Python refuses too, it says the same words
            assert info.value.message == str(e)
    for vote in VOTES:
        assert js("validate", plaintexts=vote, **s.request()) is None


def _transposed(raw: str) -> str:
    """The first swap of two neighbouring characters that breaks the checksum."""
    for i in range(len(raw) - 1):
        swapped = raw[:i] + raw[i + 1] + raw[i] + raw[i + 2 :]
        if not _is_checksummed(swapped):
            return swapped
    raise AssertionError(f"no transposition of {raw} breaks its checksum")


def test_credentials_are_normalized_or_refused(js: Driver) -> None:
    cred = generate_credential()
    raw = cred.replace("-", "")
    for typed in (cred, raw, f"  {cred}\n", " ".join(cred.split("-"))):
        assert js("normalize", credential=typed) == cred
    c22 = credential22()
    assert js("normalize", credential=c22) == c22
    assert js("normalize", credential=c22.replace("-", "")) == c22
    # A last character that breaks the checksum (two Base58 digits 53 apart both pass it).
    typo = cred[:-1] + next(c for c in BASE58 if not _is_checksummed(raw[:-1] + c))
    refused = {
        typo: "credential-checksum",
        # A transposition the checksum catches (a reversal passes it 1 time in 53).
        _transposed(raw): "credential-checksum",
        cred.replace(cred[0], "0", 1): "credential-character",  # 0 is not Base58
        cred.replace(cred[0], "O", 1): "credential-character",
        cred[:-4]: "credential-format",
        cred + "A": "credential-format",
        f"{raw[:5]}-{raw[5:]}": "credential-format",
        "": "credential-format",
    }
    for typed, code in refused.items():
        with pytest.raises(JsError) as info:
            js("normalize", credential=typed)
        assert info.value.code == code, typed
    s = setup_of("Ed25519")
    with pytest.raises(JsError) as info:
        js("ballot", credential=typo, plaintexts=VOTES[0], **s.request())
    assert info.value.code == "credential-checksum"
    # A complete credential with one character outside the alphabet: that character is named.
    for bad in "0OIl":
        with pytest.raises(JsError) as info:
            js("normalize", credential=cred[:4] + bad + cred[5:])
        assert (info.value.code, info.value.character) == ("credential-character", bad)


@pytest.mark.parametrize("name", GROUP_NAMES)
def test_the_booth_finds_a_credential_in_the_public_list(js: Driver, name: str) -> None:
    """The booth derives the public credential exactly as the list has it (step 1 checks it)."""
    s = setup_of(name)
    listed = set(js("listed", list=s.credentials.decode()))
    assert listed == {entry.split(",")[0] for entry in json.loads(s.credentials)}
    for cred in s.creds.values():
        for typed in (cred, cred.replace("-", "")):
            assert js("public", credential=typed, **s.request()) in listed
    assert js("public", credential=generate_credential(), **s.request()) not in listed
    for broken in ('{"a": 1}', "[1, 2]", "not json"):
        with pytest.raises(JsError) as info:
            js("listed", list=broken)
        assert info.value.code == "credentials"


# --- Audits -----------------------------------------------------------------------------------


def _altered(audit: dict[str, Any], group: Group) -> Iterator[tuple[str, dict[str, Any]]]:
    """Audits that must fail: one randomness value changed, one choice changed."""
    r = json.loads(json.dumps(audit))
    r["randomness"][0][2] = str((int(r["randomness"][0][2]) + 1) % group.q)
    yield "question 1, choice 3", r
    c = json.loads(json.dumps(audit))
    c["choices"][1] = c["choices"][1][::-1]  # still a valid answer: the other one
    yield "question 2, choice 1", c


@pytest.mark.parametrize("name", GROUP_NAMES)
def test_audits_hold_for_genuine_ballots_only(js: Driver, name: str) -> None:
    s = setup_of(name)
    made = js("ballot", credential=s.creds["v1"], plaintexts=VOTES[0], **s.request())
    ballot, audit = made["ballot"], made["audit"]
    assert js("audit", ballot=ballot, audit=audit, **s.request()) == {
        "ok": True,
        "problems": [],
        "codes": [],
    }
    py = audit_ballot(s.election.encode(), AuditFile(ballot=ballot, **audit))
    assert py.ok and py.tracker == made["trackingCode"]
    for where, bad in _altered(audit, s.group):
        got = js("audit", ballot=ballot, audit=bad, **s.request())
        assert not got["ok"] and any(where in p for p in got["problems"]), got
        # The same problems as codes with their values, which the booth translates.
        assert len(got["codes"]) == len(got["problems"])
        assert {"code": "ciphertext-mismatch", "values": _where(where, bad)} in got["codes"]
        py = audit_ballot(s.election.encode(), AuditFile(ballot=ballot, **bad))
        assert not py.ok and any(where in p for p in py.problems), py.problems
    other = setup_of(name, "several")  # another election of the same group
    got = js("audit", ballot=ballot, audit=audit, **other.request())
    assert not got["ok"] and "the ballot is for another election" in got["problems"]
    spaced = ballot.replace(",", ", ", 1)
    got = js("audit", ballot=spaced, audit=audit, **s.request())
    assert got == {
        "ok": False,
        "problems": [got["problems"][0]],
        "codes": [{"code": "not-canonical", "values": {}}],
    }
    assert "canonical" in got["problems"][0]


def _where(where: str, audit: dict[str, Any]) -> dict[str, Any]:
    """The values of a "question Q, choice C" problem: its position and the revealed choice."""
    q, c = (int(part.split()[-1]) for part in where.split(", "))
    return {"question": q, "choice": c, "value": audit["choices"][q - 1][c - 1]}


def test_every_audit_problem_is_translated() -> None:
    """Each problem code audit.js can report has its sentence in all six languages."""
    source = (ROOT / "src/hramada/booth/js/crypto/audit.js").read_text()
    table = source[source.index("const TEXTS") : source.index("};")]
    codes = set(re.findall(r"^  '?([a-z-]+)'?: ", table, re.M)) | {"unreadable"}
    assert len(codes) == 10
    for lang in ("en", "be", "ru", "uk", "pl", "lt"):
        catalog = json.loads((ROOT / f"src/hramada/booth/locales/{lang}.json").read_text())
        for code in codes:
            assert catalog.get(f"vote.js.audit_problem.{code}"), (lang, code)


def _audit_file(tmp_path: Path, s: Setup, js: Driver, change: int | None = None) -> Path:
    made = js("ballot", credential=s.creds["v3"], plaintexts=VOTES[1], **s.request())
    audit = {"ballot": made["ballot"], **made["audit"]}
    if change is not None:
        audit["randomness"][2][change] = "1"
    path = tmp_path / f"audit-{change}.json"
    path.write_text(json.dumps(audit))
    return path


def test_cli_voter_audit(js: Driver, tmp_path: Path) -> None:
    s = setup_of("Ed25519", "several")
    election_json = tmp_path / "election.json"
    election_json.write_text(s.election + "\n")  # a saved copy may end with a newline
    archive = tmp_path / f"{s.ctx.uuid}.bel"
    BallotBox.create(archive, s.election.encode(), s.trustees.encode(), s.credentials)
    runner = CliRunner()
    good = _audit_file(tmp_path, s, js)
    for election in (election_json, archive):
        result = runner.invoke(app, ["voter", "audit", str(election), str(good)])
        assert result.exit_code == 0, result.output
        assert "audit ok" in result.stdout
        assert "Q1. Up to two: (blank)" in result.stdout
        assert "Q2. Yes or no?: No" in result.stdout and "Q3. Any of them: X, Y, Z" in result.stdout
    bad = _audit_file(tmp_path, s, js, change=1)
    result = runner.invoke(app, ["voter", "audit", str(archive), str(bad)])
    assert result.exit_code == 1
    assert "question 3, choice 2" in result.output and "audit ok" not in result.output
    broken = tmp_path / "broken.json"
    broken.write_text('{"ballot": 1}')
    result = runner.invoke(app, ["voter", "audit", str(archive), str(broken)])
    assert result.exit_code == 1 and "audit file" in result.output


# --- Elections the booth must refuse -----------------------------------------------------------


def _edit(text: str, change: Any) -> str:
    obj = json.loads(text)
    change(obj)
    return json.dumps(obj, separators=(",", ":"))


def _bump_pok(obj: list[Any]) -> None:
    pok = obj[0][1]["pok"]
    pok["challenge"] = str(int(pok["challenge"]) + 1)


def _bad_coefexp(group: Group) -> Any:
    def change(obj: list[Any]) -> None:
        pedersen = obj[2][1]
        msg = json.loads(pedersen["coefexps"][0]["message"])
        msg["coefexps"][1] = group.encode(group.g_pow(5))
        pedersen["coefexps"][0]["message"] = json.dumps(msg, separators=(",", ":"))

    return change


@pytest.mark.parametrize("name", GROUP_NAMES)
def test_malformed_elections_are_refused(js: Driver, name: str) -> None:
    s = setup_of(name, "several")
    group = s.group
    outside = (
        group.encode(group.mul(group.g, group.decode_unchecked(ED_ORDER_8[::-1].hex())))
        if name == "Ed25519"
        else str(group.p - 1)  # type: ignore[attr-defined]  # order 2
    )

    def key(value: str) -> Any:
        return lambda o: o.update(public_key=value)

    def question(**fields: Any) -> Any:
        return lambda o: o["questions"][0].update(fields)

    elections = [
        _edit(s.election, lambda o: o.update(group="P-256")),
        _edit(s.election, lambda o: o.update(version=2)),
        _edit(s.election, key(outside)),
        _edit(s.election, key(group.encode(group.one))),
        _edit(s.election, key(group.encode(group.g))),  # in the group, not the trustees' key
        _edit(s.election, question(min=3)),
        _edit(s.election, question(max=9)),
        _edit(s.election, question(answers=[])),
        _edit(s.election, question(type="NonHomomorphic", value={})),
        _edit(s.election, lambda o: o.pop("uuid")),
        _edit(s.election, lambda o: o.update(questions=[])),
        "not json",
    ]
    trustees = [
        _edit(s.trustees, _bump_pok),
        _edit(s.trustees, _bad_coefexp(group)),
        _edit(s.trustees, lambda o: o.pop(0)),  # y is then not the product
        _edit(s.trustees, lambda o: o[0].__setitem__(0, "Other")),
        "[]",
    ]
    requests = [{"election": e, "trustees": s.trustees} for e in elections]
    requests += [{"election": s.election, "trustees": t} for t in trustees]
    for request in requests:
        with pytest.raises(JsError) as info:
            js("load", **request)
        assert info.value.code == "election", request
    assert js("load", election=s.election)["uuid"] == s.ctx.uuid  # no trustees: key checks only


# --- The Web Worker ---------------------------------------------------------------------------


def test_worker_entry_posts_progress_then_result(js: Driver) -> None:
    s = setup_of("BELENIOS-2048")
    messages = js("worker", credential=s.creds["v1"], plaintexts=VOTES[2], **s.request())
    *progress, last = messages
    assert [m["progress"] for m in progress] == [[i, 15] for i in range(1, 16)]
    accept(s, last["result"]["ballot"], "v1")
    messages = js("worker", credential="nope", plaintexts=VOTES[2], **s.request())
    assert messages == [
        {"error": {"code": "credential-format", "message": messages[0]["error"]["message"]}}
    ]


def test_bundled_worker_makes_accepted_ballots(tmp_path: Path) -> None:
    assert NODE is not None
    build = subprocess.run(
        [NODE, "scripts/build.mjs", str(tmp_path), "worker"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr
    bundle = tmp_path / "worker.js"
    assert "@noble" not in bundle.read_text()[:200]  # self-contained: no bare imports left
    s = setup_of("Ed25519")
    request = {"electionText": s.election, "credential": s.creds["v2"], "plaintexts": VOTES[0]}
    run = subprocess.run(
        [NODE, str(JS / "run_worker_bundle.mjs"), str(bundle)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    *progress, last = json.loads(run.stdout)
    assert progress and all("progress" in m for m in progress)
    accept(s, last["result"]["ballot"], "v2")


def test_arithmetic_selftest() -> None:
    assert NODE is not None
    run = subprocess.run(
        [NODE, str(JS / "arith_selftest.mjs")], capture_output=True, text=True, cwd=ROOT
    )
    assert run.returncode == 0, run.stderr
    assert "arithmetic ok" in run.stdout
