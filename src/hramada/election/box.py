"""An election archive opened for its next step: setup, cast, close, tally, decrypt, publish."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

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
from hramada.protocol.archive import ArchiveWriter, chain_problems
from hramada.protocol.canonical import FormatError, decode, encode, sha256_hex
from hramada.protocol.model import (
    Owned,
    PartialDecryption,
    Result,
    SetupData,
    weight_from_json,
)

Outcome = AcceptedBallot | tuple[str, str]  # accepted, or the (check, detail) of a rejection
CheckAll = Callable[[ElectionContext, list[tuple[int, bytes]]], Mapping[int, Outcome]]


class BallotBox:
    """Enforces the phase order and every acceptance rule before anything is appended."""

    def __init__(self, writer: ArchiveWriter, ctx: ElectionContext) -> None:
        self.writer = writer
        self.ctx = ctx
        self.phase = "voting"
        self.ballots: list[AcceptedBallot] = []
        self.seen: set[str] = set()
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
        say); the phase and replay rules are still applied here, in order.
        """
        writer = ArchiveWriter.open(path)
        archive = writer.archive
        events = [e for _, e in archive.events]
        data = archive.data
        for event, _check, detail in chain_problems(archive):
            raise Rejected("hash chain", f"event {event.height}: {detail}")
        box = cls(writer, context_from_archive(archive))
        checked: Mapping[int, Outcome] = {}
        if check_all is not None:
            ballots = [(e.height, archive.payload(e)) for e in events if e.type == "Ballot"]
            checked = check_all(box.ctx, ballots)
        for e in events[1:]:
            payload = archive.payload(e) if e.payload else b""
            if e.type == "Ballot":
                outcome = checked.get(e.height)
                if isinstance(outcome, tuple):
                    raise Rejected(*outcome)
                box._accept(payload, outcome)
            elif e.type == "EndBallots":
                box._require("voting")
                box.phase = "closed"
            elif e.type == "EncryptedTally":
                box._require("closed")
                box.tally = box._tally_from(payload)
                box.phase = "tallied"
            elif e.type == "PartialDecryption":
                owned = decode(payload, Owned, "owned partial decryption")
                box._decryption(owned.owner, data[owned.payload])
            elif e.type == "Result":
                box._require("tallied")
                result = decode(payload, Result, "result").result
                box.result = [[weight_from_json(n) for n in row] for row in result]
                box.phase = "done"
            else:
                raise Rejected("phase", f"{e.type} events are not supported here")
        return box

    def _require(self, phase: str) -> None:
        if self.phase != phase:
            raise Rejected("phase", f"the election is {self.phase}, not {phase}")

    def _accept(self, data: bytes, checked: AcceptedBallot | None = None) -> AcceptedBallot:
        self._require("voting")
        ballot = check_ballot(self.ctx, data) if checked is None else checked
        if ballot.hash in self.seen:
            raise Rejected("replay", "this very ballot was already cast")
        self.seen.add(ballot.hash)
        self.ballots.append(ballot)
        return ballot

    def _tally_from(self, sized_bytes: bytes) -> EncryptedTally:
        """The stored tally, which must be the one the accepted ballots give."""
        stored = read_tally(self.ctx.group, sized_bytes, self.writer.archive.data)
        if stored != compute_tally(self.ctx, last_ballots(self.ballots)):
            raise Rejected("encrypted tally", "the stored tally is not the tally of the ballots")
        return stored

    def _decryption(self, owner: int, data: bytes) -> None:
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
        factors = check_partial_decryption(self.ctx, self.tally.ciphertexts, known[owner], pd)
        self.decryptions[owner] = factors

    def cast(
        self, data: bytes, checked: AcceptedBallot | None = None, sync: bool = True
    ) -> AcceptedBallot:
        """Accept a ballot (a re-vote replaces the credential's earlier one) and append it.

        `checked` is what `check_ballot` returned for these very bytes, when the caller ran the
        stateless checks elsewhere (the server does, in worker processes); the phase and replay
        rules are always applied here. With `sync=False` the caller must `writer.sync()` before
        acknowledging the ballot.
        """
        ballot = self._accept(data, checked)
        self.writer.append("Ballot", [data], sync=sync)
        return ballot

    def close(self) -> None:
        self._require("voting")
        self.writer.append("EndBallots", [])
        self.phase = "closed"

    def compute_tally(self) -> EncryptedTally:
        """Tally the last ballot of each credential and append the EncryptedTally event."""
        self._require("closed")
        tally = compute_tally(self.ctx, last_ballots(self.ballots))
        self.writer.append("EncryptedTally", list(encode_tally(self.ctx.group, tally)))
        self.tally = tally
        self.phase = "tallied"
        return tally

    def add_partial_decryption(self, owner: int, data: bytes) -> None:
        """Accept a trustee's partial decryption only if every proof holds."""
        self._decryption(owner, data)
        owned = Owned(owner=owner, payload=sha256_hex(data))
        self.writer.append("PartialDecryption", [data, encode(owned)])

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
