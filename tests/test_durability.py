"""A failed append changes nothing: real write failures (the kernel's file-size limit cuts a
write short, then refuses it) and failed fsyncs leave the archive at its last durable length,
the ballot box as it was, and nothing acknowledged; reopening continues and verifies.
"""

from __future__ import annotations

import asyncio
import errno
import os
import resource
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import belenios_verify, hramada, needs_belenios
from test_casting import VOTE_AB_YES, VOTE_C_NO, Election, build

from hramada.crypto.groups import get_group
from hramada.election.ballot import check_ballot
from hramada.election.box import BallotBox
from hramada.election.decryption import make_partial_decryption
from hramada.protocol.archive import WriteFailed, read_archive
from hramada.protocol.canonical import encode
from hramada.server.live import Live
from hramada.server.problems import Problem


@contextmanager
def file_size_limit(nbytes: int) -> Iterator[None]:
    """RLIMIT_FSIZE: the kernel stores at most `nbytes` of any file this process writes, cuts
    a write crossing it short and fails the next with EFBIG (SIGXFSZ ignored, as the server
    does)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, handler)


@contextmanager
def failing_fsync() -> Iterator[None]:
    """Every fsync reports an I/O error, as a disk that lost writes does."""

    def fsync(fd: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    real, os.fsync = os.fsync, fsync
    try:
        yield
    finally:
        os.fsync = real


def state(box: BallotBox) -> tuple[object, ...]:
    return (
        box.phase,
        [b.hash for b in box.ballots],
        set(box.seen),
        dict(box.decryptions),
        box.tally,
        box.writer.durable_head,
    )


def finish_and_verify(e: Election, box: BallotBox) -> None:
    """Close, tally, decrypt and publish, then both verifiers accept the archive."""
    if box.phase == "voting":
        box.close()
    if box.phase == "closed":
        box.compute_tally()
    assert box.tally is not None
    pd = make_partial_decryption(box.ctx, box.tally.ciphertexts, e.keys[1])
    box.add_partial_decryption(1, encode(pd))
    box.publish_result()
    box.close_file()
    done = hramada("verify", str(e.path))
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_write_cut_short_changes_nothing_and_stops_the_box(tmp_path: Path) -> None:
    e = build(tmp_path / "e")
    e.box.cast(e.ballot("v1", VOTE_AB_YES))
    before, was = e.path.read_bytes(), state(e.box)
    ballot = e.ballot("v2", VOTE_C_NO)
    room = len(before) + 512 + 300  # the member's header and part of the ballot
    with file_size_limit(room), pytest.raises(WriteFailed):
        e.box.cast(ballot)
    assert e.path.read_bytes() == before, "the torn write was not cut off"
    assert state(e.box) == was and not e.box.pending
    # Nothing more is accepted until the file is read again, even with room on the disk.
    with pytest.raises(WriteFailed):
        e.box.cast(e.ballot("v3", VOTE_AB_YES))
    assert e.path.read_bytes() == before
    e.box.close_file()

    box = BallotBox.open(e.path)
    assert [b.hash for b in box.ballots] == was[1]
    box.cast(ballot)  # the very ballot that failed is not a replay
    finish_and_verify(e, box)


def test_a_failed_fsync_acknowledges_no_ballot_of_its_batch(tmp_path: Path) -> None:
    e = build(tmp_path / "e")
    e.box.cast(e.ballot("v1", VOTE_AB_YES), sync=False)
    e.box.sync()
    durable, was = e.path.read_bytes(), state(e.box)
    batch = [e.ballot("v2", VOTE_C_NO), e.ballot("v3", VOTE_AB_YES)]
    for ballot in batch:
        e.box.cast(ballot, sync=False)
    assert len(e.box.pending) == 2 and state(e.box) == was  # written, not yet counted
    with failing_fsync(), pytest.raises(WriteFailed):
        e.box.sync()
    assert e.path.read_bytes() == durable, "the unsynced batch was not cut off"
    assert state(e.box) == was and not e.box.pending
    assert e.box.writer.archive.events == read_archive(e.path).events
    with pytest.raises(WriteFailed):
        e.box.cast(batch[0])
    e.box.close_file()

    box = BallotBox.open(e.path)
    for ballot in batch:
        box.cast(ballot)
    assert len(box.ballots) == 3
    finish_and_verify(e, box)


def test_a_failed_fsync_of_a_single_append_leaves_nothing(tmp_path: Path) -> None:
    e = build(tmp_path / "e")
    before, was = e.path.read_bytes(), state(e.box)
    with failing_fsync(), pytest.raises(WriteFailed):
        e.box.cast(e.ballot("v1", VOTE_AB_YES))
    assert e.path.read_bytes() == before and state(e.box) == was


def test_a_failed_partial_decryption_append_records_no_decryption(tmp_path: Path) -> None:
    e = build(tmp_path / "e", singles=2)
    e.box.cast(e.ballot("v1", VOTE_AB_YES))
    e.box.close()
    e.box.compute_tally()
    before, was = e.path.read_bytes(), state(e.box)
    with file_size_limit(len(before) + 700), pytest.raises(WriteFailed):
        e.box.add_partial_decryption(1, e.decryption(1))
    assert e.path.read_bytes() == before and state(e.box) == was
    e.box.close_file()
    box = BallotBox.open(e.path)
    box.add_partial_decryption(1, e.decryption(1))
    assert set(box.decryptions) == {1}


@needs_belenios
def test_closing_resumes_after_end_ballots(tmp_path: Path) -> None:
    """The tally append fails after EndBallots reached the disk (what a crash between the two
    leaves); the election reopens closed, gets its tally, and verifies (Debian's belenios-tool
    knows the finite-field groups only)."""
    e = build(tmp_path / "e", group=get_group("BELENIOS-2048"))
    e.box.cast(e.ballot("v1", VOTE_AB_YES))
    e.box.cast(e.ballot("v2", VOTE_C_NO))
    with file_size_limit(len(e.path.read_bytes()) + 1024 + 100):  # EndBallots fits, no tally
        e.box.close()
        with pytest.raises(WriteFailed):
            e.box.compute_tally()
    assert e.box.phase == "closed" and e.box.tally is None
    e.box.close_file()
    assert [ev.type for _, ev in read_archive(e.path).events][-1] == "EndBallots"

    box = BallotBox.open(e.path)
    assert box.phase == "closed"
    finish_and_verify(e, box)
    done = belenios_verify(e.path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_servers_group_commit_acknowledges_nothing_after_a_failed_fsync(
    tmp_path: Path,
) -> None:
    """The server's path: ballots appended while an fsync is pending, the fsync fails; every
    waiter is refused, the board never lists them, and later casts are refused."""
    e = build(tmp_path / "e")
    live = Live(e.box, None, None)
    durable = e.path.read_bytes()
    batch = [e.ballot("v1", VOTE_AB_YES), e.ballot("v2", VOTE_C_NO)]

    async def cast_batch() -> list[BaseException | None]:
        tickets = [live.accept(b, check_ballot(e.ctx, b)) for b in batch]
        with failing_fsync():
            outcomes = await asyncio.gather(
                *(live.commit.durable(t) for t in tickets), return_exceptions=True
            )
        return [o if isinstance(o, BaseException) else None for o in outcomes]

    outcomes = asyncio.run(cast_batch())
    assert all(isinstance(o, WriteFailed) for o in outcomes)
    assert e.path.read_bytes() == durable
    assert not e.box.ballots and not e.box.pending and not live.index
    assert live.board_page(1, 10)["total"] == 0
    assert live.problem
    with pytest.raises(Problem) as refused:
        live.require_voting()
    assert refused.value.status == 503
