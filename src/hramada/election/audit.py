"""The Benaloh audit of a ballot: re-encrypt the revealed choices and compare with the ballot."""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from hramada.crypto.elgamal import encrypt
from hramada.crypto.group import GroupError, PlainBase
from hramada.crypto.groups import get_group
from hramada.election.ballot import check_plaintext
from hramada.election.context import check_questions
from hramada.election.errors import Rejected
from hramada.protocol.canonical import FormatError, decode, decode_canonical, sha256_b64
from hramada.protocol.model import Ballot, Election


class AuditFile(msgspec.Struct):
    """What the voting booth offers to download after an audit (the ballot is never cast)."""

    ballot: str  # the audited ballot's JSON text
    choices: list[list[int]]  # one 0/1 list per question, blank flag first where allowed
    randomness: list[list[str]]  # the decimal randomness of each ciphertext, same nesting


@dataclass(frozen=True)
class AuditReport:
    """The election the ballot was checked against, the revealed choices, what is wrong."""

    election: Election
    choices: list[list[int]]
    tracker: str  # the audited ballot's tracking code
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def read_audit(data: bytes) -> AuditFile:
    """Parse an audit file; raise FormatError unless it has the expected fields."""
    return decode(data, AuditFile, "audit file")


def _choice_problems(election: Election, choices: list[list[int]]) -> list[str]:
    if len(choices) != len(election.questions):
        return [f"the choices answer {len(choices)} questions, not {len(election.questions)}"]
    problems = []
    for i, (q, m) in enumerate(zip(election.questions, choices, strict=True), 1):
        if not q.homomorphic:
            problems.append(f"question {i}: ranked questions cannot be audited yet")
            continue
        try:
            check_plaintext(q, m, i)
        except ValueError as e:
            problems.append(f"the revealed choices are not valid: {e}")
    return problems


def audit_ballot(election_bytes: bytes, audit: AuditFile) -> AuditReport:
    """Check that every ciphertext of the audited ballot encrypts the revealed choice with the
    revealed randomness, and that the ballot names this election (uuid and fingerprint).

    Raise Rejected when the election itself is unusable; report every problem of the audit.
    """
    try:
        election = decode(election_bytes, Election, "election")
        if election.version != 1:
            raise FormatError(f"unsupported protocol version {election.version}")
        group = get_group(election.group)
        check_questions(election)
        y_table = PlainBase(group, group.decode(election.public_key))  # a few powers only
    except (FormatError, GroupError) as e:
        raise Rejected("election", str(e)) from None
    data = audit.ballot.encode()
    report = AuditReport(election, audit.choices, sha256_b64(data), [])
    problems = report.problems
    try:
        ballot = decode_canonical(data, Ballot, "ballot")
    except FormatError as e:
        problems.append(str(e))
        return report
    if ballot.election_uuid != election.uuid:
        problems.append("the ballot is for another election")
    if ballot.election_hash != sha256_b64(election_bytes):
        problems.append("the ballot was made for another version of the election (fingerprint)")
    choice_problems = _choice_problems(election, audit.choices)
    if choice_problems:
        problems += choice_problems
        return report
    if len(ballot.answers) != len(election.questions):
        problems.append("the ballot does not answer every question")
        return report
    rows = zip(ballot.answers, audit.choices, audit.randomness, strict=False)
    if len(audit.randomness) != len(audit.choices):
        problems.append("the randomness does not have one list per question")
    for i, (answer, ms, rs) in enumerate(rows, 1):
        cts = answer.choices
        if not isinstance(cts, list) or len(cts) != len(ms):
            problems.append(f"question {i}: the ballot's answer does not fit the question")
            continue
        if len(rs) != len(ms):
            problems.append(f"question {i}: expected {len(ms)} randomness values, got {len(rs)}")
            continue
        for j, (c, m, r_text) in enumerate(zip(cts, ms, rs, strict=True), 1):
            what = f"question {i}, choice {j}"
            try:
                r = group.decode_scalar(r_text)
            except GroupError:
                problems.append(f"{what}: the randomness is not a number in [0, q)")
                continue
            expected = encrypt(group, y_table, m, r)
            if (group.encode(expected.alpha), group.encode(expected.beta)) != (c.alpha, c.beta):
                problems.append(
                    f"{what}: the ciphertext is not the encryption of {m} with this randomness"
                )
    return report


def describe_choices(election: Election, choices: list[list[int]]) -> list[str]:
    """One line per question naming the selected answers, as the voter saw them."""
    lines = []
    for i, (q, m) in enumerate(zip(election.questions, choices, strict=False), 1):
        labels = (["(blank)"] if q.blank else []) + list(q.answers or [])
        chosen = [label for label, x in zip(labels, m, strict=False) if x == 1]
        lines.append(f"Q{i}. {q.question}: {', '.join(chosen) or '(nothing)'}")
    return lines
