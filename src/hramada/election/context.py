"""An election's checked setup: the parsed election, its group and key, trustees, credentials."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from hramada.crypto.group import Element, FixedBase, Group, GroupError
from hramada.crypto.groups import get_group
from hramada.election.credentials import parse_public_credentials
from hramada.election.errors import Rejected
from hramada.election.trustees import election_public_key
from hramada.protocol.archive import Archive
from hramada.protocol.canonical import FormatError, decode, sha256_b64
from hramada.protocol.model import Election, Question, SetupData
from hramada.protocol.trustees import Trustee, decode_trustees

MAX_TOTAL_WEIGHT = 10**11  # the discrete logarithm of a count must stay computable
LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{1,8})*")


@dataclass
class ElectionContext:
    """Everything fixed at setup that the acceptance rules and the tally depend on."""

    election_bytes: bytes
    election: Election
    group: Group
    fingerprint: str
    y: Element
    trustees: list[Trustee]
    credentials: dict[str, int]
    y_table: FixedBase = field(repr=False)

    @property
    def uuid(self) -> str:
        return self.election.uuid

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickled with the group by name and without the table of y: where the context lands
        (a Ray worker, say), it takes that process's `get_group` and its tables of g, and
        builds the table of y again, rather than unpickling copies of both."""
        fields = (self.election_bytes, self.election, self.group.name, self.fingerprint, self.y)
        return _unpickle_context, (*fields, self.trustees, self.credentials)


def _unpickle_context(
    election_bytes: bytes,
    election: Election,
    group_name: str,
    fingerprint: str,
    y: Element,
    trustees: list[Trustee],
    credentials: dict[str, int],
) -> ElectionContext:
    group = get_group(group_name)
    return ElectionContext(
        election_bytes, election, group, fingerprint, y, trustees, credentials, group.fixed_base(y)
    )


def check_questions(election: Election) -> None:
    for i, q in enumerate(election.questions, 1):
        if not q.homomorphic:
            if q.type != "NonHomomorphic":
                raise Rejected("election", f"question {i}: unsupported type {q.type!r}")
            continue
        if q.answers is None or q.min is None or q.max is None or q.question is None:
            raise Rejected("election", f"question {i}: missing answers, min, max or question")
        if not 0 <= q.min <= q.max <= len(q.answers) or not q.answers:
            raise Rejected("election", f"question {i}: need 0 <= min <= max <= answers")
        if q.candidates is not None:
            _check_lists(q, i)


def _check_lists(q: Question, i: int) -> None:
    """A list question: one vote for one list, and each answer's candidates, none unnamed."""
    assert q.answers is not None and q.candidates is not None
    if q.max != 1:
        raise Rejected("election", f"question {i}: a list question is a vote for one list (max 1)")
    if len(q.candidates) != len(q.answers):
        raise Rejected(
            "election",
            f"question {i}: {len(q.candidates)} candidate lists for {len(q.answers)} lists",
        )
    for name, people in zip(q.answers, q.candidates, strict=True):
        if not people or any(not c.name.strip() for c in people):
            raise Rejected("election", f"question {i}: list {name!r} has an unnamed candidate")


def _answer_count(q: Question) -> int | None:
    if q.homomorphic:
        return None if q.answers is None else len(q.answers)
    answers = q.value.get("answers") if isinstance(q.value, dict) else None
    return len(answers) if isinstance(answers, list) else None


def check_translations(election: Election) -> None:
    """Each translation (Hramada's `translations` field) has a language tag, a name, and the
    texts of exactly the election's questions and answers, none of them empty."""
    for lang, tr in (election.translations or {}).items():
        what = f"translation {lang[:20]!r}"
        if not LANGUAGE_TAG.fullmatch(lang):
            raise Rejected("election", f"{what}: not a language tag")
        if not tr.name.strip():
            raise Rejected("election", f"{what}: the name is empty")
        if len(tr.questions) != len(election.questions):
            raise Rejected(
                "election", f"{what}: {len(tr.questions)} questions, not {len(election.questions)}"
            )
        for i, (text, q) in enumerate(zip(tr.questions, election.questions, strict=True), 1):
            if not text.question.strip() or any(not a.strip() for a in text.answers):
                raise Rejected("election", f"{what}, question {i}: an empty text")
            count = _answer_count(q)
            if count is not None and len(text.answers) != count:
                raise Rejected(
                    "election", f"{what}, question {i}: {len(text.answers)} answers, not {count}"
                )


def load_context(
    election_bytes: bytes, trustees_bytes: bytes, creds_bytes: bytes, check_keys: bool = True
) -> ElectionContext:
    """Parse and check a setup: known group, valid trustee keys and proofs, y = their product,
    and the credential list (its keys as group elements too, unless `check_keys` is False:
    then the caller checks them, see `parse_public_credentials`)."""
    try:
        election = decode(election_bytes, Election, "election")
    except FormatError as e:
        raise Rejected("election", str(e)) from None
    if election.version != 1:
        raise Rejected("election", f"unsupported protocol version {election.version}")
    try:
        group = get_group(election.group)
    except GroupError as e:
        raise Rejected("election", str(e)) from None
    check_questions(election)
    check_translations(election)
    try:
        trustees = decode_trustees(trustees_bytes)
        y = group.decode(election.public_key)
    except (FormatError, GroupError) as e:
        raise Rejected("election key", str(e)) from None
    if election_public_key(group, trustees) != y:
        raise Rejected("election key", "the election key is not the product of the trustee keys")
    credentials = parse_public_credentials(group, creds_bytes, check_keys)
    if sum(credentials.values()) > MAX_TOTAL_WEIGHT:
        raise Rejected("credentials", f"total weight exceeds {MAX_TOTAL_WEIGHT}")
    return ElectionContext(
        election_bytes=election_bytes,
        election=election,
        group=group,
        fingerprint=sha256_b64(election_bytes),
        y=y,
        trustees=trustees,
        credentials=credentials,
        y_table=group.fixed_base(y),
    )


def context_from_archive(archive: Archive, check_keys: bool = True) -> ElectionContext:
    """The checked setup of an archive (see `load_context`): its first event must be Setup."""
    if not archive.events or archive.events[0][1].type != "Setup":
        raise Rejected("phase", "the archive does not start with a Setup event")
    try:
        setup = decode(archive.payload(archive.events[0][1]), SetupData, "setup data")
        election, trustees, credentials = (
            archive.data[h] for h in (setup.election, setup.trustees, setup.credentials)
        )
    except (FormatError, KeyError) as e:
        raise Rejected("setup", f"unreadable setup: {e}") from None
    return load_context(election, trustees, credentials, check_keys)
