"""A restart trusts the archive prefix its checkpoint vouches for, and only that.

The proof that a ballot was not checked again is behaviour: a forged ballot planted in the
archive (appended without the acceptance rules) is let through when a matching checkpoint
covers it, and refused in every other case: no checkpoint, a torn or unreadable one, a hash
or length that does not match the archive, or a forged ballot after the covered prefix.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from test_casting import VOTE_AB_YES, VOTE_C_NO, Election, _double_yes, build
from test_durability import file_size_limit

from hramada.election.ballot import check_ballot
from hramada.election.box import BallotBox, Outcome
from hramada.election.context import ElectionContext
from hramada.election.errors import Rejected
from hramada.protocol.canonical import sha256_hex
from hramada.protocol.checkpoint import (
    Checkpoint,
    checkpoint_path,
    read_checkpoint,
    write_checkpoint,
)
from hramada.server import durability
from hramada.server.live import Live


def planted(tmp_path: Path) -> tuple[Election, bytes]:
    """An election with a valid ballot, then a forged one appended without any check, and a
    checkpoint covering both; the file is closed. Returns the forged ballot too."""
    e = build(tmp_path / "e")
    e.box.cast(e.ballot("v2", VOTE_C_NO))
    forged = _double_yes(e)
    with pytest.raises(Rejected):
        check_ballot(e.ctx, forged)
    e.box.writer.append("Ballot", [forged])
    write_checkpoint(e.path, e.box.writer.checkpoint())
    e.box.close_file()
    return e, forged


CheckAll = Callable[[ElectionContext, list[tuple[int, bytes]]], Mapping[int, Outcome]]


def counting() -> tuple[list[int], CheckAll]:
    """A `check_all` that records the heights of the ballots it is asked to check."""
    heights: list[int] = []

    def check_all(ctx: ElectionContext, ballots: list[tuple[int, bytes]]) -> dict[int, Outcome]:
        out: dict[int, Outcome] = {}
        for height, data in ballots:
            heights.append(height)
            try:
                out[height] = check_ballot(ctx, data)
            except Rejected as e:
                out[height] = (e.check, e.detail)
        return out

    return heights, check_all


def test_a_matching_checkpoint_spares_the_prefix_and_only_it(tmp_path: Path) -> None:
    e, forged = planted(tmp_path)
    heights, check_all = counting()
    box = BallotBox.open(e.path, check_all)
    assert heights == []  # no ballot checked again
    assert box.writer.trusted_events == 3  # Setup and the two ballots
    assert [b.hash for b in box.ballots][1] == sha256_hex(forged)

    # Ballots after the covered prefix are checked: a valid one passes...
    box.cast(e.ballot("v3", VOTE_AB_YES))
    box.close_file()
    heights, check_all = counting()
    box = BallotBox.open(e.path, check_all)
    assert heights == [3] and len(box.ballots) == 3
    # ... and a forged one is refused, though the checkpoint still matches its prefix.
    box.writer.append("Ballot", [_double_yes(e)])
    box.close_file()
    with pytest.raises(Rejected) as refused:
        BallotBox.open(e.path)
    assert refused.value.check == "overall proof"


def test_the_tally_after_a_trusting_restart_is_the_tally_of_the_checked_ballots(
    tmp_path: Path,
) -> None:
    e = build(tmp_path / "e")
    for voter, vote in [("v1", VOTE_AB_YES), ("v2", VOTE_C_NO), ("v1", VOTE_C_NO)]:
        e.box.cast(e.ballot(voter, vote))
    write_checkpoint(e.path, e.box.writer.checkpoint())
    e.box.close_file()
    copy = shutil.copy(e.path, tmp_path / "copy.bel")  # no checkpoint beside it
    tallies = []
    for path in (e.path, Path(copy)):
        box = BallotBox.open(path)
        assert box.writer.trusted_events == (4 if path == e.path else 0)
        box.close()
        tallies.append(box.compute_tally())
        box.close_file()
    assert tallies[0] == tallies[1]
    # ... and a restart after the tally checks the stored tally against them.
    box = BallotBox.open(e.path)
    assert box.phase == "tallied" and box.tally == tallies[0]
    box.close_file()


def _missing(e: Election) -> None:
    checkpoint_path(e.path).unlink()


def _torn(e: Election) -> None:
    path = checkpoint_path(e.path)
    path.write_bytes(path.read_bytes()[:20])


def _other_hash(e: Election) -> None:
    cp = read_checkpoint(e.path)
    assert cp is not None
    write_checkpoint(e.path, Checkpoint(cp.length, "0" * 64))


def _not_after_an_event(e: Election) -> None:
    """Right hash of the bytes, but the length cuts the last event short."""
    raw = e.path.read_bytes()
    length = len(raw) - 512
    write_checkpoint(e.path, Checkpoint(length, hashlib.sha256(raw[:length]).hexdigest()))


def _longer_than_the_archive(e: Election) -> None:
    cp = read_checkpoint(e.path)
    assert cp is not None
    write_checkpoint(e.path, Checkpoint(cp.length + 1024, cp.sha256))


@pytest.mark.parametrize(
    "spoil", [_missing, _torn, _other_hash, _not_after_an_event, _longer_than_the_archive]
)
def test_without_a_matching_checkpoint_every_ballot_is_checked(
    tmp_path: Path, spoil: Callable[[Election], None]
) -> None:
    e, _ = planted(tmp_path)
    spoil(e)
    heights, check_all = counting()
    with pytest.raises(Rejected) as refused:
        BallotBox.open(e.path, check_all)
    assert heights == [1, 2]
    assert refused.value.check == "overall proof"


def test_a_failed_checkpoint_write_leaves_the_previous_one(tmp_path: Path) -> None:
    e, _ = planted(tmp_path)
    before = checkpoint_path(e.path).read_bytes()
    cp = read_checkpoint(e.path)
    assert cp is not None
    with file_size_limit(10), pytest.raises(OSError):
        write_checkpoint(e.path, Checkpoint(cp.length + 1, cp.sha256))
    assert checkpoint_path(e.path).read_bytes() == before
    assert len(BallotBox.open(e.path).ballots) == 2  # still trusted, forged ballot and all


def test_the_server_checkpoints_at_start_and_after_group_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    e = build(tmp_path / "e")
    e.box.cast(e.ballot("v1", VOTE_AB_YES))
    e.box.close_file()
    assert read_checkpoint(e.path) is None
    live = Live.open(e.path, None, None, workers=1)  # checks everything, then checkpoints
    assert read_checkpoint(e.path) == live.box.writer.checkpoint()
    monkeypatch.setattr(durability, "CHECKPOINT_SECONDS", 0.0)

    async def cast() -> None:
        ballot = e.ballot("v2", VOTE_C_NO)
        await live.commit.durable(live.accept(ballot, check_ballot(e.ctx, ballot)))
        deadline = time.monotonic() + 10
        while read_checkpoint(e.path) != live.box.writer.checkpoint():
            assert time.monotonic() < deadline, "no checkpoint after the group commit"
            await asyncio.sleep(0.01)

    asyncio.run(cast())
    live.box.close_file()
    heights, check_all = counting()
    box = BallotBox.open(e.path, check_all)
    assert heights == [] and len(box.ballots) == 2
    box.close_file()
