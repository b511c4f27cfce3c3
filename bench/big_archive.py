"""A large election archive for the benchmarks: many valid ballots, made on every core.

The ballots come from `voters` credentials in turn (a voter votes again every `voters`
ballots), so an archive of 100,000 ballots needs only a few thousand credentials. Ballots
are appended without being checked here (they are freshly made and valid): the benchmarks
check them.
"""

from __future__ import annotations

import multiprocessing
import random
import time
from pathlib import Path

from hramada.crypto.groups import get_group
from hramada.election.ballot import create_ballot
from hramada.election.box import BallotBox
from hramada.election.context import ElectionContext, load_context
from hramada.election.credentials import Voter, generate_credentials
from hramada.election.demo import random_plaintext
from hramada.election.setup import make_election, make_trustees, new_uuid
from hramada.election.trustees import make_trustee_key
from hramada.protocol.model import Question, Template

REFERENDUM = [Question(answers=["Yes", "No"], min=1, max=1, question="Adopt the charter?")]
COUNCIL = [  # the council ballot of the server tests: 3 candidates + blank (1-2), and yes/no
    Question(answers=["A", "B", "C"], blank=True, min=1, max=2, question="Council"),
    Question(answers=["Yes", "No"], min=1, max=1, question="Charter?"),
]
SHAPES = {"referendum": REFERENDUM, "council": COUNCIL}

_ctx: ElectionContext | None = None  # in each pool process


def _load(setup: tuple[bytes, bytes, bytes]) -> None:
    global _ctx
    _ctx = load_context(*setup)


def _make(item: tuple[str, int]) -> bytes:
    assert _ctx is not None
    credential, seed = item
    rng = random.Random(seed)
    choice = [random_plaintext(q, rng) for q in _ctx.election.questions]
    return create_ballot(_ctx, credential, choice)


def make_archive(
    folder: Path, ballots: int, voters: int, shape: str, processes: int, group_name: str
) -> tuple[Path, float]:
    """Write `folder/<uuid>.bel` (an open election holding `ballots` ballots); returns its
    path and the seconds the ballots took to make."""
    group = get_group(group_name)
    uuid = new_uuid()
    _, key = make_trustee_key(group, "trustee-1")
    template = Template(
        description="Benchmark election",
        name=f"Benchmark {shape}",
        questions=SHAPES[shape],
        administrator="bench",
        credential_authority="bench",
    )
    election = make_election(template, group, uuid, group.decode(key.public_key))
    batch = generate_credentials(group, uuid, [Voter(f"v{i}", 1) for i in range(voters)])
    trustees = make_trustees([key])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid}.bel"
    box = BallotBox.create(path, election, trustees, batch.public)
    private = [batch.private[f"v{i}"] for i in range(voters)]
    items = [(private[i % voters], i) for i in range(ballots)]
    start = time.perf_counter()
    spawn = multiprocessing.get_context("spawn")
    setup = (election, trustees, batch.public)
    with spawn.Pool(processes, initializer=_load, initargs=(setup,)) as pool:
        for data in pool.imap(_make, items, chunksize=64):
            box.writer.append("Ballot", [data], sync=False)
    box.sync()
    seconds = time.perf_counter() - start
    box.close_file()
    return path, seconds
