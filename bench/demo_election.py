"""A one-trustee election with the demo's council template, its voters' credentials, and
ballots with random choices: what the ballot benchmarks check."""

from __future__ import annotations

import random
from dataclasses import dataclass

from hramada.crypto.group import Group
from hramada.election.ballot import create_ballot
from hramada.election.context import ElectionContext, load_context
from hramada.election.credentials import Voter, generate_credentials
from hramada.election.demo import DEMO_TEMPLATE, random_plaintext
from hramada.election.setup import make_election, make_trustees, new_uuid
from hramada.election.trustees import make_trustee_key


@dataclass(frozen=True)
class DemoElection:
    setup: tuple[bytes, bytes, bytes]  # election, trustees, public credentials
    ctx: ElectionContext
    credentials: list[str]  # one private credential a voter


def demo_election(group: Group, voters: int) -> DemoElection:
    uuid = new_uuid()
    x, key = make_trustee_key(group)
    election = make_election(DEMO_TEMPLATE, group, uuid, group.g_pow(x))
    batch = generate_credentials(group, uuid, [Voter(f"v{i}") for i in range(voters)])
    setup = (election, make_trustees([key]), batch.public)
    return DemoElection(setup, load_context(*setup), list(batch.private.values()))


def demo_ballots(ctx: ElectionContext, credentials: list[str]) -> list[bytes]:
    """One ballot a credential, the same choices in every run."""
    rng = random.Random(1)
    return [
        create_ballot(ctx, cred, [random_plaintext(q, rng) for q in DEMO_TEMPLATE.questions])
        for cred in credentials
    ]
