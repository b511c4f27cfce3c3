"""The registry's issuance pieces on their own: the group commit of issued flags (each set once,
many in one transaction, all or none stored) and blind signing in worker processes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.exc import IntegrityError

from hramada.crypto import blind_rsa
from hramada.election import registrations as reg
from hramada.registry import registry_store as store
from hramada.registry.issuance import IssuedFlags
from hramada.registry.signer import Signers

UUID = "8eqXHoxM5aqc3r"


def _database(folder: Path) -> tuple[Engine, list[int]]:
    engine = store.open_database(folder, None)
    with engine.begin() as db:
        db.execute(store.elections.insert().values(uuid=UUID, registry_key="{}"))
    commits: list[int] = []
    event.listen(engine, "commit", lambda _connection: commits.append(1))
    return engine, commits


def _issued(engine: Engine) -> set[str]:
    with engine.connect() as db:
        return set(db.scalars(select(store.issued.c.tag).where(store.issued.c.election == UUID)))


def test_flags_arriving_together_are_set_once_each_in_one_transaction(tmp_path: Path) -> None:
    engine, commits = _database(tmp_path)

    async def marks() -> list[bool]:
        flags = IssuedFlags(engine)
        return await asyncio.gather(*(flags.mark(UUID, f"tag{i % 10}") for i in range(60)))

    results = asyncio.run(marks())
    assert len(commits) == 1  # one transaction, one disk sync, for all sixty
    for tag in range(10):  # each member's flag set by exactly one request
        assert [results[i] for i in range(tag, 60, 10)] == [True] + [False] * 5
    assert asyncio.run(marks()) == [False] * 60  # already on disk, seen by a new writer
    engine.dispose()
    assert _issued(store.open_database(tmp_path, None)) == {f"tag{i}" for i in range(10)}


def test_a_failed_transaction_sets_no_flag_and_fails_every_waiting_request(tmp_path: Path) -> None:
    engine, _ = _database(tmp_path)

    async def marks() -> list[bool | BaseException]:
        flags = IssuedFlags(engine)
        waiting = [flags.mark(UUID, "tag0"), flags.mark("not an election", "tag1")]
        return await asyncio.gather(*waiting, return_exceptions=True)

    results = asyncio.run(marks())
    assert [type(r) for r in results] == [IntegrityError, IntegrityError]
    assert _issued(engine) == set()


@pytest.mark.parametrize("workers", [0, 2])
def test_signing_processes_sign_and_refuse_like_blind_sign(tmp_path: Path, workers: int) -> None:
    sk = blind_rsa.generate_key(2048)
    key_file = tmp_path / "blind.key"
    key_file.write_bytes(sk.to_pem())
    messages = [blind_rsa.prepare(reg.VARIANT, f"credential {i}".encode()) for i in range(4)]
    blinded = [blind_rsa.blind(reg.VARIANT, sk.public, m) for m in messages]

    async def sign() -> list[bytes]:
        signers = Signers(workers)
        try:
            answers = await asyncio.gather(
                *(signers.sign(key_file, b.blinded_msg) for b in blinded)
            )
            with pytest.raises(blind_rsa.BlindRSAError, match="out of range"):
                await signers.sign(key_file, b"\xff" * sk.public.size)
            return list(answers)
        finally:
            signers.close()

    for m, b, answer in zip(messages, blinded, asyncio.run(sign()), strict=True):
        blind_rsa.finalize(reg.VARIANT, sk.public, m, answer, b.inv)  # raises if wrong
