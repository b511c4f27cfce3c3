"""One blind signature per member and election, with group commit: the issued flags of every
request waiting are made durable in one transaction, and only then are the signatures made."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import Engine, select, tuple_
from starlette.concurrency import run_in_threadpool

from hramada.crypto import blind_rsa
from hramada.registry import registry_store as store
from hramada.registry.custodian_app import Refused

MAX_BATCH = 256


@dataclass
class Wanted:
    election: str
    tag: str
    key: blind_rsa.PrivateKey
    blinded: bytes  # already checked: the key's size, below its modulus
    answer: asyncio.Future[bytes]


class Issuer:
    """Requests queue while a batch is committed and signed; the next batch takes them all."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.pending: list[Wanted] = []
        self.draining = False
        self.task: asyncio.Task[None] | None = None  # kept, so it is not collected mid-batch

    async def issue(
        self, election: str, tag: str, key: blind_rsa.PrivateKey, blinded: bytes
    ) -> bytes:
        """The blind signature, or Refused(409) if this tag already has one for the election."""
        loop = asyncio.get_running_loop()
        wanted = Wanted(election, tag, key, blinded, loop.create_future())
        self.pending.append(wanted)
        if not self.draining:
            self.draining = True
            self.task = loop.create_task(self._drain())
        return await wanted.answer

    async def _drain(self) -> None:
        try:
            while self.pending:
                batch, self.pending = self.pending[:MAX_BATCH], self.pending[MAX_BATCH:]
                try:
                    results = await run_in_threadpool(self._commit_and_sign, batch)
                except Exception as e:  # the database failed: nobody in the batch is served
                    results = [e] * len(batch)
                for wanted, result in zip(batch, results, strict=True):
                    if isinstance(result, bytes):
                        wanted.answer.set_result(result)
                    else:
                        wanted.answer.set_exception(result)
        finally:
            self.draining = False

    def _commit_and_sign(self, batch: list[Wanted]) -> list[bytes | Exception]:
        issued = store.issued
        pairs = list({(w.election, w.tag) for w in batch})
        with self.engine.begin() as db:
            found = db.execute(
                select(issued.c.election, issued.c.tag).where(
                    tuple_(issued.c.election, issued.c.tag).in_(pairs)
                )
            )
            taken = {(r.election, r.tag) for r in found}
            fresh = []
            for w in batch:
                if (w.election, w.tag) not in taken:
                    taken.add((w.election, w.tag))
                    fresh.append(w)
            if fresh:
                db.execute(issued.insert(), [{"election": w.election, "tag": w.tag} for w in fresh])
        chosen = {id(w) for w in fresh}
        return [_sign(w) if id(w) in chosen else _refused() for w in batch]


def _refused() -> Refused:
    return Refused(409, "issued", "this member already has a credential for it")


def _sign(w: Wanted) -> bytes | Exception:
    try:
        return blind_rsa.blind_sign(w.key, w.blinded)
    except blind_rsa.BlindRSAError as e:  # a fault: the flag is set, the member must ask an admin
        return Refused(500, "signing", f"the signature failed ({e}): tell the registry's admin")
