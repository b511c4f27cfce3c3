"""The custodians' key ceremony by files (in-process): refusals of cards and dealings that do
not fit, a tampered dealing named, and no second join."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hramada.crypto import oprf
from hramada.registry.custodian_ceremony import CeremonyError, deal_to, init, join
from hramada.registry.custodian_store import load_custodian, open_database


def _ceremony(root: Path, n: int = 3, k: int = 2) -> tuple[list[Path], list[dict[str, Any]]]:
    dirs = [root / f"c{i}" for i in range(1, n + 1)]
    cards = [init(d, i, n, k) for i, d in enumerate(dirs, 1)]
    return dirs, [deal_to(d, cards) for d in dirs]


def test_ceremony_gives_shares_of_one_key(tmp_path: Path) -> None:
    dirs, dealings = _ceremony(tmp_path)
    custodians = [join(open_database(d, None), d, dealings) for d in dirs]
    assert len({tuple(c.commitments) for c in custodians}) == 1
    assert load_custodian(open_database(dirs[0], None), dirs[0]) == custodians[0]
    with pytest.raises(CeremonyError, match="already joined"):
        join(open_database(dirs[0], None), dirs[0], dealings)


def test_tampered_or_missing_dealings_are_refused(tmp_path: Path) -> None:
    dirs, dealings = _ceremony(tmp_path)
    engine = open_database(dirs[0], None)
    tampered = json.loads(json.dumps(dealings))
    tampered[2]["commitments"][1] = oprf.public_key(oprf.random_scalar()).hex()
    with pytest.raises(CeremonyError, match=r"dealers \[3\]"):
        join(engine, dirs[0], tampered)
    with pytest.raises(CeremonyError, match="one dealing from each"):
        join(engine, dirs[0], dealings[:2])
    with pytest.raises(CeremonyError, match="one dealing from each"):
        join(engine, dirs[0], [dealings[0], dealings[0], dealings[1]])
    other = tmp_path / "other"
    _, foreign = _ceremony(other, 3, 3)
    with pytest.raises(CeremonyError, match="not for this ceremony"):
        join(engine, dirs[0], foreign)
    no_share = json.loads(json.dumps(dealings))
    del no_share[1]["shares"]["1"]
    with pytest.raises(CeremonyError, match="no share for custodian 1"):
        join(engine, dirs[0], no_share)
    assert not (dirs[0] / "share.key").exists()


def test_cards_that_do_not_fit_are_refused(tmp_path: Path) -> None:
    cards = [init(tmp_path / f"c{i}", i, 3, 2) for i in (1, 2, 3)]
    with pytest.raises(CeremonyError, match="exactly one card"):
        deal_to(tmp_path / "c1", cards[:2])
    with pytest.raises(CeremonyError, match="exactly one card"):
        deal_to(tmp_path / "c1", [cards[0], cards[0], cards[1]])
    with pytest.raises(CeremonyError, match="not for this ceremony"):
        deal_to(tmp_path / "c1", [*cards[:2], {**cards[2], "threshold": 3}])
    with pytest.raises(CeremonyError, match="already has a ceremony"):
        init(tmp_path / "c1", 1, 3, 2)
