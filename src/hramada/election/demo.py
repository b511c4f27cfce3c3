"""A complete simulated election, every role played in one process, for demos and tests."""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hramada.crypto.groups import get_group
from hramada.election.ballot import create_ballot
from hramada.election.box import BallotBox
from hramada.election.credentials import Voter, generate_credentials
from hramada.election.decryption import make_partial_decryption
from hramada.election.setup import make_election, make_trustees, new_uuid
from hramada.election.trustees import election_public_key, make_pedersen, make_trustee_key
from hramada.protocol.canonical import encode
from hramada.protocol.model import Question, Template
from hramada.protocol.trustees import Trustee

DEMO_TEMPLATE = Template(
    description="Demonstration election of the Coordination Council (simulated voters).",
    name="Council demo",
    questions=[
        Question(
            answers=["Alena", "Bazyli", "Darja", "Kastus"],
            blank=True,
            min=1,
            max=2,
            question="Elect up to two council members",
        ),
        Question(answers=["Yes", "No"], min=1, max=1, question="Approve the charter?"),
    ],
    administrator="Hramada demo commission",
    credential_authority="Hramada demo registrar",
)

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class DemoOutcome:
    path: Path
    uuid: str
    result: list[list[int]]
    expected: list[list[int]]
    ballots_cast: int


def random_plaintext(question: Question, rng: random.Random) -> list[int]:
    """A valid random answer: a blank vote now and then, otherwise min..max choices."""
    assert question.answers is not None and question.min is not None and question.max is not None
    n = len(question.answers)
    if question.blank and rng.random() < 0.1:
        return [1] + [0] * n
    k = rng.randint(max(question.min, 0), question.max)
    chosen = set(rng.sample(range(n), k))
    m = [1 if i in chosen else 0 for i in range(n)]
    return [0, *m] if question.blank else m


def run_demo(
    out: Path,
    *,
    voters: int = 100,
    group_name: str = "Ed25519",
    trustees: int = 3,
    threshold: int = 2,
    weights: bool = False,
    revotes: bool = False,
    template: Template = DEMO_TEMPLATE,
    progress: Progress | None = None,
) -> DemoOutcome:
    """Setup, N voters casting (some re-voting), close, tally, quorum decryption, result.

    threshold == trustees means every trustee holds a Single key; otherwise the trustees form
    a Pedersen threshold set and only `threshold` of them decrypt.
    """
    report = progress or (lambda _stage, _done, _total: None)
    group = get_group(group_name)
    rng = random.Random(secrets.randbits(64))
    uuid = new_uuid()

    items: list[Trustee] = []
    keys: dict[int, int] = {}  # owner number -> private key share
    if threshold >= trustees:
        for i in range(trustees):
            x, pub = make_trustee_key(group, f"trustee-{i + 1}")
            items.append(pub)
            keys[i + 1] = x
    else:
        ped = make_pedersen(group, trustees, threshold)
        items.append(ped.parameters)
        keys = {j + 1: s for j, s in enumerate(ped.shares)}
    y = election_public_key(group, items)
    election = make_election(template, group, uuid, y)

    roll = [
        Voter(f"voter{i + 1}", rng.choice((1, 1, 2, 3)) if weights else 1) for i in range(voters)
    ]
    batch = generate_credentials(group, uuid, roll)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{uuid}.bel"
    box = BallotBox.create(path, election, make_trustees(items), batch.public)

    final: dict[str, list[list[int]]] = {}
    casts = list(roll)
    if revotes:
        casts += rng.sample(roll, max(1, voters // 5))
    for n, v in enumerate(casts, 1):
        choice = [random_plaintext(q, rng) for q in template.questions]
        box.cast(create_ballot(box.ctx, batch.private[v.id], choice))
        final[v.id] = [[x * v.weight for x in row] for row in choice]
        report("casting", n, len(casts))

    box.close()
    tally = box.compute_tally()
    quorum = sorted(rng.sample(sorted(keys), min(threshold, trustees)))
    for n, owner in enumerate(quorum, 1):
        pd = make_partial_decryption(box.ctx, tally.ciphertexts, keys[owner])
        box.add_partial_decryption(owner, encode(pd))
        report("decrypting", n, len(quorum))
    result = box.publish_result()
    expected = [
        [sum(v[i][j] for v in final.values()) for j in range(len(result[i]))]
        for i in range(len(result))
    ]
    return DemoOutcome(path, uuid, result, expected, len(casts))
