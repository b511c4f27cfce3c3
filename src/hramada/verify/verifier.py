"""Re-check a whole archive: chain, phases, setup, every ballot, the tally, decryptions, result."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from hramada.crypto.elgamal import Ciphertext
from hramada.crypto.group import GroupError
from hramada.election.ballot import AcceptedBallot
from hramada.election.box import Outcome
from hramada.election.context import ElectionContext, context_from_archive
from hramada.election.decryption import (
    Factors,
    check_partial_decryption,
    combine_factors,
    decrypt_counts,
    owners,
)
from hramada.election.errors import Rejected
from hramada.election.tally import EncryptedTally, Tally, combine_tallies, read_tally
from hramada.protocol.archive import Archive, chain_problems, read_archive
from hramada.protocol.canonical import FormatError, decode
from hramada.protocol.model import (
    Event,
    Owned,
    PartialDecryption,
    Result,
    Shuffle,
    weight_from_json,
)
from hramada.verify.parallel import (
    KEYS_PER_BALLOT,
    Job,
    default_workers,
    keys_chunk,
    run_chunks,
    tally_chunk,
    verdict_chunk,
)
from hramada.verify.registrations import check_registrations
from hramada.verify.report import Problem, Report, StopVerification

if TYPE_CHECKING:
    from hramada.verify.ray_cluster import RayRunner

# Which event may follow which: the phases of a Belenios election.
_NEXT: dict[str | None, set[str]] = {
    None: {"Setup"},
    "Setup": {"Ballot", "EndBallots"},
    "Ballot": {"Ballot", "EndBallots"},
    "EndBallots": {"EncryptedTally"},
    "EncryptedTally": {"Shuffle", "PartialDecryption"},
    "Shuffle": {"Shuffle", "EndShuffles"},
    "EndShuffles": {"PartialDecryption"},
    "PartialDecryption": {"PartialDecryption", "Result"},
    "Result": set(),
}

Progress = Callable[[str, int, int], None]
R = TypeVar("R")


class _Verifier:
    def __init__(
        self,
        archive: Archive,
        collect_all: bool,
        workers: int,
        progress: Progress,
        ray: str | None = None,
    ):
        self.archive = archive
        self.collect_all = collect_all
        self.workers = workers
        self.ray = ray  # the address of a Ray cluster to check the ballots on, if any
        self.cluster: RayRunner | None = None  # joined at the first work for it
        self.progress = progress
        self.report = Report(events=len(archive.events))
        self.ctx: ElectionContext | None = None
        # Each credential's last accepted ballot (its position and hash), in casting order: the
        # tally is taken again from these, read from the file chunk by chunk on the workers.
        self.last: dict[str, tuple[int, str]] = {}
        self.tally: Tally | None = None
        self.total_weight = 0
        self.decryptions: dict[int, Factors] = {}

    def fail(self, event: Event | None, check: str, detail: str) -> None:
        height = None if event is None else event.height
        kind = "archive" if event is None else event.type
        self.report.problems.append(Problem(height, kind, check, detail))
        if not self.collect_all:
            raise StopVerification

    def payload(self, event: Event) -> bytes | None:
        try:
            return self.archive.payload(event)
        except FormatError as e:
            self.fail(event, "payload", str(e))
            return None

    def run(self) -> Report:
        try:
            self.check_chain()
            self.walk()
        except StopVerification:
            pass
        except FormatError as e:  # a ballot read again from a file changed since
            self.report.problems.append(Problem(None, "archive", "archive format", str(e)))
        return self.report

    def check_chain(self) -> None:
        """The hash chain, and each event's payload: present where due, stored before it."""
        for event, check, detail in chain_problems(self.archive):
            self.fail(event, check, detail)
        for name, event in self.archive.events:
            if name in self.archive.unordered and event.payload in self.archive.data:
                self.fail(event, "payload", "the payload member does not precede its event")
            if (event.payload is None) != (event.type in ("EndBallots", "EndShuffles")):
                self.fail(event, "payload", f"{event.type} payload presence is wrong")

    def walk(self) -> None:
        """Follow the events in order, checking each phase's rules."""
        previous: str | None = None
        ballots: list[tuple[int, str]] = []  # (position, payload hash): read when checked
        events = [e for _, e in self.archive.events]
        if not events:
            self.fail(None, "phase", "the archive has no events")
        for index, event in enumerate(events):
            if event.type not in _NEXT[previous]:
                self.fail(event, "phase", f"{event.type} cannot follow {previous or 'the start'}")
                continue
            if event.type != "Ballot" and ballots:  # the voting phase is over: check it
                self.check_ballots(events, ballots)
            previous = event.type
            if event.type == "Ballot":
                if event.payload is not None and event.payload in self.archive.data:
                    ballots.append((index, event.payload))
                else:
                    self.payload(event)  # reports the missing member
            else:
                getattr(self, f"on_{event.type}")(event)
        if ballots:  # an election still open
            self.check_ballots(events, ballots)

    def on_Setup(self, event: Event) -> None:
        try:
            self.ctx = context_from_archive(self.archive, check_keys=False)
            self.check_keys()
        except Rejected as e:
            self.report.problems.append(Problem(event.height, "Setup", e.check, e.detail))
            raise StopVerification from None
        self.report.election = self.ctx.election
        self.report.registered = sum(self.ctx.credentials.values())

    def check_keys(self) -> None:
        """Each credential key a group element, checked on the workers: a national roll holds
        millions. The first entry that is not one refuses the setup."""
        assert self.ctx is not None
        keys = ((entry, key.encode()) for entry, key in enumerate(self.ctx.credentials))
        total = len(self.ctx.credentials)
        parts = self.on_workers("credentials", keys_chunk, keys, total, KEYS_PER_BALLOT)
        first = min((problem for part in parts for problem in part), default=None)
        if first is not None:
            entry, why = first
            raise Rejected("credentials", f"entry {entry}: {why}")

    def on_workers(
        self,
        stage: str,
        job: Job[R],
        items: Iterable[tuple[int, bytes]],
        total: int,
        scale: int = 1,
    ) -> Generator[R, None, None]:
        """`job` on every chunk of the `total` (position, bytes) items, taken from `items` as
        the local processes or the Ray cluster get to them; results as they are done."""
        assert self.ctx is not None
        if self.ray is not None:
            if self.cluster is None:
                from hramada.verify.ray_cluster import RayRunner  # Ray is optional

                self.cluster = RayRunner(self.ctx, self.ray)
            results = self.cluster.run(job, items, scale)
        else:
            results = run_chunks(self.ctx, job, items, self.workers, scale)
        done = 0
        for size, result in results:
            done += size
            self.progress(stage, done, total)
            yield result

    def stored(self, ballots: Iterable[tuple[int, str]]) -> Iterator[tuple[int, bytes]]:
        """(position, bytes) of these (position, hash) ballots, read from the file as asked."""
        return ((index, self.archive.data[digest]) for index, digest in ballots)

    def check_ballots(self, events: list[Event], ballots: list[tuple[int, str]]) -> None:
        """Rule on each ballot in casting order as its chunk comes back: a chunk done early
        waits only for those before it, so the driver holds the verdicts of the chunks in
        flight, not of the whole election."""
        waiting: dict[int, list[tuple[int, Outcome]]] = {}  # done chunks, by first position
        seen: set[str] = set()
        at = 0  # the next of `ballots` to rule on
        parts = self.on_workers("ballots", verdict_chunk, self.stored(ballots), len(ballots))
        with closing(parts):
            for part in parts:
                waiting[part[0][0]] = part
                while at < len(ballots) and (ready := waiting.pop(ballots[at][0], None)):
                    for index, outcome in ready:  # keyed by position: heights may be forged
                        digest = ballots[at][1]  # the ballot's hash, as its event names it
                        at += 1
                        self.rule(events[index], index, digest, outcome, seen)
        ballots.clear()

    def rule(self, event: Event, index: int, digest: str, outcome: Outcome, seen: set[str]) -> None:
        """Count an accepted ballot as its credential's last, or report why it is not."""
        if not isinstance(outcome, AcceptedBallot):
            self.fail(event, *outcome)
            return
        if digest in seen:
            self.fail(event, "replay", "the same ballot was already cast")
        seen.add(digest)
        self.last.pop(outcome.credential, None)
        self.last[outcome.credential] = (index, digest)
        self.report.ballots += 1

    def on_EndBallots(self, event: Event) -> None:
        pass

    def on_EncryptedTally(self, event: Event) -> None:
        assert self.ctx is not None
        ctx = self.ctx
        try:
            tally = read_tally(ctx.group, self.payload(event) or b"", self.archive.data)
            expected = self.expected_tally()
        except Rejected as e:
            self.fail(event, e.check, e.detail)
            return
        self.report.tallied = expected.num_tallied
        self.report.total_weight = expected.total_weight
        if tally.num_tallied != expected.num_tallied:
            self.fail(
                event,
                "encrypted tally",
                f"num_tallied is {tally.num_tallied}, expected {expected.num_tallied}",
            )
        if tally.total_weight != expected.total_weight:
            self.fail(
                event,
                "encrypted tally",
                f"total_weight is {tally.total_weight}, expected {expected.total_weight}",
            )
        for i, (q, got, want) in enumerate(
            zip(ctx.election.questions, tally.ciphertexts, expected.ciphertexts, strict=False), 1
        ):
            same = got == want if q.homomorphic else Counter(got) == Counter(want)
            if not same:
                self.fail(
                    event,
                    "encrypted tally",
                    f"question {i} differs from the product of the last ballots",
                )
        if len(tally.ciphertexts) != len(expected.ciphertexts):
            self.fail(event, "encrypted tally", "wrong number of questions")
        self.tally = tally.ciphertexts
        self.total_weight = tally.total_weight

    def expected_tally(self) -> EncryptedTally:
        """The tally of each credential's last ballot, taken chunk by chunk on the workers."""
        assert self.ctx is not None
        parts = []
        last = self.stored(self.last.values())
        for part in self.on_workers("tally", tally_chunk, last, len(self.last)):
            if not isinstance(part, EncryptedTally):
                raise Rejected(*part)
            parts.append(part)
        return combine_tallies(self.ctx, parts)

    def has_tally(self, event: Event) -> bool:
        if self.tally is None:
            self.fail(event, "encrypted tally", "there is no readable encrypted tally to check")
        return self.tally is not None

    def on_Shuffle(self, event: Event) -> None:
        if not self.has_tally(event):
            return
        assert self.ctx is not None and self.tally is not None
        if "shuffle proofs" not in self.report.unsupported:
            self.report.unsupported.append("shuffle proofs")
        try:
            owned = decode(self.payload(event) or b"", Owned, "owned shuffle")
            shuffle = decode(self.archive.data[owned.payload], Shuffle, "shuffle")
            nh = [i for i, q in enumerate(self.ctx.election.questions) if not q.homomorphic]
            for i, column in zip(nh, shuffle.ciphertexts, strict=True):
                self.tally[i] = [
                    Ciphertext(self.ctx.group.decode(c.alpha), self.ctx.group.decode(c.beta))
                    for c in column
                ]
        except (FormatError, KeyError, ValueError, GroupError) as e:
            self.fail(event, "shuffle", f"unreadable: {e}")

    def on_EndShuffles(self, event: Event) -> None:
        pass

    def on_PartialDecryption(self, event: Event) -> None:
        if not self.has_tally(event):
            return
        assert self.ctx is not None and self.tally is not None
        try:
            owned = decode(self.payload(event) or b"", Owned, "owned decryption")
            pd = decode(self.archive.data[owned.payload], PartialDecryption, "partial decryption")
        except (FormatError, KeyError) as e:
            self.fail(event, "partial decryption", f"unreadable: {e}")
            return
        known = owners(self.ctx)
        if owned.owner not in known:
            self.fail(event, "partial decryption", f"there is no trustee number {owned.owner}")
            return
        if owned.owner in self.decryptions:
            self.fail(event, "partial decryption", f"trustee {owned.owner} decrypted twice")
            return
        try:
            factors = check_partial_decryption(self.ctx, self.tally, known[owned.owner], pd)
        except Rejected as e:
            self.fail(event, e.check, e.detail)
            return
        self.decryptions[owned.owner] = factors

    def on_Result(self, event: Event) -> None:
        if not self.has_tally(event):
            return
        assert self.ctx is not None and self.tally is not None
        ctx = self.ctx
        try:
            stored = decode(self.payload(event) or b"", Result, "result").result
        except FormatError as e:
            self.fail(event, "result", str(e))
            return
        homomorphic = [i for i, q in enumerate(ctx.election.questions) if q.homomorphic]
        if len(homomorphic) < len(ctx.election.questions):
            self.report.unsupported.append("decoding of ranked-question results")
        try:
            combined = combine_factors(ctx, self.tally, self.decryptions)
            counts = [
                decrypt_counts(ctx.group, self.tally[i], combined[i], self.total_weight)
                for i in homomorphic
            ]
        except Rejected as e:
            self.fail(event, e.check, e.detail)
            return
        if len(stored) != len(ctx.election.questions):
            self.fail(event, "result", "wrong number of questions")
            return
        for i, row in zip(homomorphic, counts, strict=True):
            try:
                got = [weight_from_json(x) for x in stored[i]]
            except (TypeError, ValueError) as e:
                self.fail(event, "result", f"question {i + 1}: {e}")
                continue
            if got != row:
                self.fail(
                    event, "result", f"question {i + 1} claims {got}, the decryption gives {row}"
                )
        self.report.result = counts


def verify_archive(
    path: Path,
    *,
    collect_all: bool = False,
    workers: int | None = None,
    progress: Progress | None = None,
    ray: str | None = None,
) -> Report:
    """Verify the archive at `path` (a `.bel` file, or a folder holding exactly one) and the
    anonymous registrations beside it; the ballots are checked on `workers` local processes,
    or on the Ray cluster at `ray`."""
    if path.is_dir():
        found = sorted(path.glob("*.bel"))
        if len(found) != 1:
            report = Report()
            report.problems.append(
                Problem(
                    None,
                    "archive",
                    "archive",
                    f"expected one .bel file in {path}, found {len(found)}",
                )
            )
            return report
        path = found[0]
    try:
        archive = read_archive(path)
    except (FormatError, OSError, UnicodeDecodeError) as e:
        report = Report()
        report.problems.append(Problem(None, "archive", "archive format", str(e)))
        return report
    verifier = _Verifier(
        archive,
        collect_all,
        workers or default_workers(),
        progress or (lambda _s, _d, _t: None),
        ray,
    )
    report = verifier.run()
    report.last_event = archive.last_event
    if verifier.ctx is not None:
        check_registrations(path.parent, verifier.ctx, report)
    return report
