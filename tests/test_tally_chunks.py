"""The verifier's tally, taken again chunk by chunk on its workers from the last ballots' bytes,
is the tally of those ballots computed at once."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hramada.election.ballot import AcceptedBallot, check_ballot, reread_ballot
from hramada.election.context import ElectionContext, context_from_archive
from hramada.election.demo import DemoOutcome
from hramada.election.tally import EncryptedTally, combine_tallies, compute_tally, last_ballots
from hramada.protocol.archive import read_archive
from hramada.verify import parallel
from hramada.verify.parallel import run_chunks, tally_chunk

Accepted = tuple[ElectionContext, list[tuple[bytes, AcceptedBallot]]]


@pytest.fixture(scope="module", params=["ed-threshold", "ff-single"])
def accepted(request: pytest.FixtureRequest, demo_archives: dict[str, DemoOutcome]) -> Accepted:
    """A demo election's ballots (weighted, with re-votes), each with what check_ballot made."""
    archive = read_archive(demo_archives[request.param].path)
    ctx = context_from_archive(archive)
    ballots = [archive.payload(e) for _, e in archive.events if e.type == "Ballot"]
    return ctx, [(data, check_ballot(ctx, data)) for data in ballots]


def test_a_ballot_read_again_gives_what_its_check_gave(accepted: Accepted) -> None:
    ctx, ballots = accepted
    assert len(ballots) > 8 and {b.weight for _, b in ballots} != {1}
    for data, checked in ballots:
        assert reread_ballot(ctx, data) == checked


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_a_tally_in_parts_is_the_tally_at_once(accepted: Accepted, data: st.DataObject) -> None:
    ctx, ballots = accepted
    last = last_ballots(b for _, b in ballots)
    labels = data.draw(st.lists(st.integers(0, 3), min_size=len(last), max_size=len(last)))
    parts = [compute_tally(ctx, [b for b, k in zip(last, labels, strict=True) if k == part])
             for part in range(4)]  # fmt: skip
    assert combine_tallies(ctx, parts) == compute_tally(ctx, last)


@pytest.mark.parametrize("workers", [1, 2])
def test_the_tally_taken_on_workers_is_the_tally_at_once(
    accepted: Accepted, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx, ballots = accepted
    monkeypatch.setattr(parallel, "_CHUNK", 3)
    last = {b.credential: (i, data) for i, (data, b) in enumerate(ballots)}
    parts = [part for _, part in run_chunks(ctx, tally_chunk, last.values(), workers)]
    assert len(parts) > 1 and all(isinstance(p, EncryptedTally) for p in parts)
    expected = compute_tally(ctx, last_ballots(b for _, b in ballots))
    assert combine_tallies(ctx, parts) == expected
    dropped = combine_tallies(ctx, parts[1:])
    assert dropped != expected and dropped.num_tallied < expected.num_tallied
