"""An election archive opened for its next step: setup, cast, close, tally, decrypt, publish."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path

import msgspec

from hramada.crypto.elgamal import Ciphertext
from hramada.crypto.group import GroupError
from hramada.election.ballot import AcceptedBallot, check_ballot
from hramada.election.context import ElectionContext, context_from_archive, load_context
from hramada.election.decryption import (
    Factors,
    check_partial_decryption,
    combine_factors,
    compute_result,
    encode_counts,
    owners,
)
from hramada.election.errors import Rejected
from hramada.election.tally import (
    EncryptedTally,
    compute_tally,
    encode_tally,
    last_ballots,
    read_tally,
)
from hramada.protocol.archive import ArchiveWriter, Mark, WriteFailed, chain_problems
from hramada.protocol.canonical import FormatError, decode, encode, sha256_hex
from hramada.protocol.model import (
    Ballot,
    Owned,
    PartialDecryption,
    Result,
    SetupData,
    weight_from_json,
)

Outcome = AcceptedBallot | tuple[str, str]  # accepted, or the (check, detail) of a rejection
CheckAll = Callable[[ElectionContext, list[tuple[int, bytes]]], Mapping[int, Outcome]]


class _Voter(msgspec.Struct):
    credential: str


def recorded_ballot(ctx: ElectionContext, data: bytes) -> AcceptedBallot:
    """A ballot this server accepted before (a checkpoint vouches for its place in the archive):
    not checked again, and its ciphertexts left unread (empty) until a tally needs them."""
    try:
        credential = decode(data, _Voter, "ballot").credential
        weight = ctx.credentials[credential]
    except (FormatError, KeyError) as e:
        raise Rejected("checkpoint", f"a ballot it covers is unreadable: {e}") from None
    digest = hashlib.sha256(data).digest()
    tracker = base64.b64encode(digest).decode().rstrip("=")  # as `sha256_b64`, hashed once
    return AcceptedBallot(tracker, digest.hex(), credential, weight, [])


def _read_ciphertexts(ctx: ElectionContext, ballot: AcceptedBallot, data: bytes) -> AcceptedBallot:
    """A recorded ballot with its ciphertexts read (they were checked when it was cast)."""
    group = ctx.group
    try:
        answers = decode(data, Ballot, "ballot").answers
        cts = [
            [
                Ciphertext(group.decode_unchecked(c.alpha), group.decode_unchecked(c.beta))
                for c in cs
            ]
            for cs in (a.choices if isinstance(a.choices, list) else [a.choices] for a in answers)
        ]
    except (FormatError, GroupError, ValueError) as e:
        raise Rejected("checkpoint", f"a ballot it covers is unreadable: {e}") from None
    return dataclasses.replace(ballot, ciphertexts=cts)


class BallotBox:
    """Enforces the phase order and every acceptance rule before anything is appended.

    Its state (ballots, phase, tally, decryptions, result) changes only once the event that
    records the change is on disk: a ballot cast with `sync=False` stays in `pending` until a
    `sync` (or `settle`) says it is durable, and an append that fails changes nothing.
    """

    def __init__(self, writer: ArchiveWriter, ctx: ElectionContext) -> None:
        self.writer = writer
        self.ctx = ctx
        self.phase = "voting"
        self.ballots: list[AcceptedBallot] = []
        self.seen: set[str] = set()
        self.pending: list[AcceptedBallot] = []  # appended, not yet known to be on disk
        self.tally: EncryptedTally | None = None
        self.decryptions: dict[int, Factors] = {}
        self.result: list[list[int]] | None = None

    @classmethod
    def create(cls, path: Path, election: bytes, trustees: bytes, credentials: bytes) -> BallotBox:
        """Check the setup and write a new archive ending with the Setup event."""
        ctx = load_context(election, trustees, credentials)
        writer = ArchiveWriter.create(path)
        setup = SetupData(
            election=sha256_hex(election),
            trustees=sha256_hex(trustees),
            credentials=sha256_hex(credentials),
        )
        writer.append("Setup", [election, trustees, credentials, encode(setup)])
        return cls(writer, ctx)

    @classmethod
    def open(cls, path: Path, check_all: CheckAll | None = None) -> BallotBox:
        """Re-open an archive this tool wrote, replaying its events through the same rules.

        `check_all`, when given, runs `check_ballot` on every ballot at once (on all cores,
        say); the phase and replay rules are still applied here, in order. Ballots within the
        prefix a matching checkpoint covers are not checked again (`recorded_ballot`).
        """
        writer = ArchiveWriter.open(path)
        try:
            for event, _check, detail in chain_problems(writer.archive):
                raise Rejected("hash chain", f"event {event.height}: {detail}")
            box = cls(writer, context_from_archive(writer.archive))
            box._replay(check_all)
        except BaseException:
            writer.close()
            raise
        return box

    def _replay(self, check_all: CheckAll | None) -> None:
        archive = self.writer.archive
        events = [e for _, e in archive.events]
        trusted = self.writer.trusted_events
        checked: Mapping[int, Outcome] = {}
        if check_all is not None:
            ballots = [
                (e.height, archive.payload(e)) for e in events[trusted:] if e.type == "Ballot"
            ]
            checked = check_all(self.ctx, ballots)
        for i, e in enumerate(events[1:], 1):
            payload = archive.payload(e) if e.payload else b""
            if e.type == "Ballot":
                outcome = (
                    recorded_ballot(self.ctx, payload) if i < trusted else checked.get(e.height)
                )
                if isinstance(outcome, tuple):
                    raise Rejected(*outcome)
                self._admit(self._check(payload, outcome))
            elif e.type == "EndBallots":
                self._require("voting")
                self.phase = "closed"
            elif e.type == "EncryptedTally":
                self._require("closed")
                self.tally = self._tally_from(payload)
                self.phase = "tallied"
            elif e.type == "PartialDecryption":
                owned = decode(payload, Owned, "owned partial decryption")
                factors = self._decryption(owned.owner, archive.data[owned.payload])
                self.decryptions[owned.owner] = factors
            elif e.type == "Result":
                self._require("tallied")
                result = decode(payload, Result, "result").result
                self.result = [[weight_from_json(n) for n in row] for row in result]
                self.phase = "done"
            else:
                raise Rejected("phase", f"{e.type} events are not supported here")

    def close_file(self) -> None:
        self.writer.close()

    def _require(self, phase: str) -> None:
        if self.phase != phase:
            raise Rejected("phase", f"the election is {self.phase}, not {phase}")

    def _check(self, data: bytes, checked: AcceptedBallot | None = None) -> AcceptedBallot:
        """Every acceptance rule, changing nothing."""
        self._require("voting")
        ballot = check_ballot(self.ctx, data) if checked is None else checked
        if ballot.hash in self.seen or any(b.hash == ballot.hash for b in self.pending):
            raise Rejected("replay", "this very ballot was already cast")
        return ballot

    def _admit(self, ballot: AcceptedBallot) -> None:
        self.seen.add(ballot.hash)
        self.ballots.append(ballot)

    def _last_ballots(self) -> list[AcceptedBallot]:
        """The last ballot of each credential, as the tally counts them (with the ciphertexts
        of recorded ballots read now)."""
        data = self.writer.archive.data
        return [
            b if b.ciphertexts else _read_ciphertexts(self.ctx, b, data[b.hash])
            for b in last_ballots(self.ballots)
        ]

    def _tally_from(self, sized_bytes: bytes) -> EncryptedTally:
        """The stored tally, which must be the one the accepted ballots give."""
        stored = read_tally(self.ctx.group, sized_bytes, self.writer.archive.data)
        if stored != compute_tally(self.ctx, self._last_ballots()):
            raise Rejected("encrypted tally", "the stored tally is not the tally of the ballots")
        return stored

    def _decryption(self, owner: int, data: bytes) -> Factors:
        """Check a partial decryption, changing nothing; returns its decryption factors."""
        self._require("tallied")
        assert self.tally is not None
        known = owners(self.ctx)
        if owner not in known:
            raise Rejected("partial decryption", f"there is no trustee number {owner}")
        if owner in self.decryptions:
            raise Rejected("partial decryption", f"trustee {owner} has already decrypted")
        try:
            pd = decode(data, PartialDecryption, "partial decryption")
        except FormatError as e:
            raise Rejected("partial decryption", str(e)) from None
        return check_partial_decryption(self.ctx, self.tally.ciphertexts, known[owner], pd)

    def cast(
        self, data: bytes, checked: AcceptedBallot | None = None, sync: bool = True
    ) -> AcceptedBallot:
        """Accept a ballot (a re-vote replaces the credential's earlier one) and append it.

        `checked` is what `check_ballot` returned for these very bytes, when the caller ran the
        stateless checks elsewhere (the server does, in worker processes); the phase and replay
        rules are always applied here. With `sync=False` the ballot stays pending: the caller
        must `sync()` (or `mark`, fsync, `settle`) before acknowledging it.
        """
        ballot = self._check(data, checked)
        try:
            self.writer.append("Ballot", [data], sync=sync)
        except WriteFailed:
            self.pending.clear()  # the writer cut every pending append off the file
            raise
        self.pending.append(ballot)
        if sync:
            self._settle_pending(len(self.pending))
        return ballot

    def mark(self) -> tuple[Mark, int]:
        """Where the box stands: after an fsync begun later, `settle(mark)`."""
        return self.writer.mark(), len(self.ballots) + len(self.pending)

    def settle(self, mark: tuple[Mark, int]) -> list[AcceptedBallot]:
        """Count the pending ballots written up to `mark`; returns them."""
        written, count = mark
        self.writer.settle(written)
        return self._settle_pending(max(0, count - len(self.ballots)))

    def _settle_pending(self, n: int) -> list[AcceptedBallot]:
        settled, self.pending[:n] = self.pending[:n], []
        for ballot in settled:
            self._admit(ballot)
        return settled

    def abandon(self, error: OSError) -> WriteFailed:
        """After a failed fsync: forget the pending ballots (the writer cuts them off)."""
        self.pending.clear()
        return self.writer.fail(error)

    def sync(self) -> list[AcceptedBallot]:
        """Make the pending ballots durable and count them; returns them."""
        mark = self.mark()
        try:
            self.writer.fsync()
        except OSError as e:
            raise self.abandon(e) from e
        return self.settle(mark)

    def close(self) -> None:
        self._require("voting")
        self.sync()  # the tally must see every ballot written before EndBallots
        self.writer.append("EndBallots", [])
        self.phase = "closed"

    def compute_tally(self) -> EncryptedTally:
        """Tally the last ballot of each credential and append the EncryptedTally event."""
        self._require("closed")
        tally = compute_tally(self.ctx, self._last_ballots())
        self.writer.append("EncryptedTally", list(encode_tally(self.ctx.group, tally)))
        self.tally = tally
        self.phase = "tallied"
        return tally

    def add_partial_decryption(self, owner: int, data: bytes) -> None:
        """Accept a trustee's partial decryption only if every proof holds."""
        factors = self._decryption(owner, data)
        owned = Owned(owner=owner, payload=sha256_hex(data))
        self.writer.append("PartialDecryption", [data, encode(owned)])
        self.decryptions[owner] = factors

    def publish_result(self) -> list[list[int]]:
        """Combine a quorum's factors, decrypt the counts and append the Result event."""
        self._require("tallied")
        assert self.tally is not None
        cts = self.tally.ciphertexts
        combined = combine_factors(self.ctx, cts, self.decryptions)
        result = compute_result(self.ctx, cts, combined, self.tally.total_weight)
        self.writer.append("Result", [encode(Result(result=encode_counts(result)))])
        self.phase = "done"
        self.result = result
        return result
