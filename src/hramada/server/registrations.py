"""The registration phase of an election with anonymous credentials (blind-signed by a registry).

While registration is open anyone may post (public credential, prefix, signature): the server
keeps it only if the registry's signature verifies and the credential is new, and records
nothing about when it came. Closing registration turns the sorted list into the election's
public credentials; opening the election then binds the registry's keys into its fingerprint.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import msgspec
from sqlalchemy import Engine, insert, select, text, update

from hramada.crypto.groups import get_group
from hramada.election import registrations as reg
from hramada.election.errors import Rejected
from hramada.protocol.canonical import FormatError, decode, encode, sha256_b64
from hramada.server import adminlog
from hramada.server.problems import Problem
from hramada.server.tables import election_row, elections, registrations

Json = dict[str, Any]
BATCH = 500  # registrations stored per transaction at most


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class Registrations:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._waiting: list[tuple[Json, asyncio.Future[Problem | None]]] = []
        self._writer: asyncio.Task[None] | None = None

    @staticmethod
    def registry(row: Any) -> reg.RegistryKey | None:
        return None if row.registry is None else decode(row.registry, reg.RegistryKey, "registry")

    def binding(self, row: Any) -> str | None:
        """The election's credential_authority when it takes anonymous registrations."""
        key = self.registry(row)
        return None if key is None else reg.binding(key)

    def set_registry(self, admin: tuple[int, str], row: Any, data: bytes) -> Json:
        """Give a draft election the registry's public keys (before registration opens)."""
        if row.registration is not None:
            raise Problem(409, "phase", "registration has started: the registry key is fixed")
        if row.credentials:
            raise Problem(409, "credentials", "this election already has uploaded credentials")
        try:
            key = decode(data, reg.RegistryKey, "registry key")
            binding = reg.binding(key)
        except FormatError as e:
            raise Problem(400, "registry", str(e)) from None
        except Rejected as e:
            raise Problem.rejected(e) from None
        with self.engine.begin() as db:
            db.execute(
                update(elections).where(elections.c.uuid == row.uuid).values(registry=encode(key))
            )
            adminlog.record(db, admin[1], "registry", {"binding": binding}, row.uuid, public=True)
        return {"binding": binding}

    def open(self, admin: tuple[int, str], row: Any) -> None:
        if row.registry is None:
            raise Problem(409, "registry", "set the registry's key first")
        if row.registration is not None:
            raise Problem(409, "phase", f"registration is already {row.registration}")
        with self.engine.begin() as db:
            db.execute(
                update(elections).where(elections.c.uuid == row.uuid).values(registration="open")
            )
            adminlog.record(db, admin[1], "registration open", {}, row.uuid, public=True)

    def close(self, admin: tuple[int, str], row: Any) -> Json:
        """End registration: the sorted credentials become the election's public list."""
        if row.registration != "open":
            raise Problem(409, "phase", "registration is not open")
        group = get_group(row.group_name)
        with self.engine.begin() as db:
            # The election's row first: registrations being stored finish before, or see it.
            closing = db.execute(
                update(elections)
                .where(elections.c.uuid == row.uuid, elections.c.registration == "open")
                .values(registration="closed")
            ).rowcount
            if closing != 1:
                raise Problem(409, "phase", "registration is not open")
            creds = db.scalars(
                select(registrations.c.credential).where(registrations.c.election == row.uuid)
            ).all()
            if not creds:
                raise Problem(409, "registrations", "nobody has registered yet")
            public = reg.sorted_credentials(group, list(creds))
            db.execute(
                update(elections).where(elections.c.uuid == row.uuid).values(credentials=public)
            )
            detail = {"count": len(creds), "fingerprint": sha256_b64(public)}
            adminlog.record(db, admin[1], "registration close", detail, row.uuid, public=True)
        self._forget_arrival_order()
        return detail

    def _forget_arrival_order(self) -> None:
        """PostgreSQL keeps rows in its heap in the order they came: rewrite the table in key
        order (SQLite's WITHOUT ROWID table is kept in key order already)."""
        if self.engine.dialect.name == "postgresql":
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as db:
                db.execute(text("CLUSTER registrations USING registrations_pkey"))

    def info(self, uuid: str) -> Json:
        """What a member's device needs: the registry's keys and whether registration is open."""
        row = election_row(self.engine, uuid)
        key = self.registry(row)
        if key is None:
            raise Problem(404, "registry", "this election takes no anonymous registrations")
        return {
            "uuid": uuid,
            "name": msgspec.json.decode(row.template).get("name"),
            "registration": row.registration,
            "group": row.group_name,  # the device makes its credential in this group
            "registry": msgspec.to_builtins(key),
            "binding": reg.binding(key),
            "message": "prefix || 'hramada-registration/1\\n' || uuid || '\\n' || credential",
        }

    def check(self, uuid: str, body: Json) -> Json:
        """The row a posted (credential, prefix, signature) would add, if it is acceptable."""
        row = election_row(self.engine, uuid)
        key = self.registry(row)
        if key is None:
            raise Problem(404, "registry", "this election takes no anonymous registrations")
        if row.registration != "open":
            raise Problem(409, "phase", "registration is not open")
        try:
            posted = msgspec.convert(body, reg.Registration)
        except msgspec.ValidationError as e:
            raise Problem(400, "registration", f"malformed registration: {e}") from None
        try:
            reg.check_credential(get_group(row.group_name), posted.credential)
            prefix, signature = reg.decode_registration(posted)
            reg.check_registration(uuid, reg.blind_key(key), posted.credential, prefix, signature)
        except Rejected as e:
            raise Problem.rejected(e) from None
        return {"election": uuid, "credential": posted.credential, "prefix": prefix,
                "signature": signature}  # fmt: skip

    def store(self, batch: list[Json]) -> list[Problem | None]:
        """Insert checked registrations in one transaction (one disk sync for the batch).

        Each is stored, or refused as a duplicate or because registration closed meanwhile:
        the election's row is written first, which makes a concurrent close wait for this
        transaction (or this one see the close), so no stored registration misses the list."""
        results: list[Problem | None] = [None] * len(batch)
        by_election: dict[str, list[int]] = {}
        for i, values in enumerate(batch):
            by_election.setdefault(values["election"], []).append(i)
        rows = []
        with self.engine.begin() as db:
            for uuid, indices in by_election.items():
                still_open = db.execute(
                    update(elections)
                    .where(elections.c.uuid == uuid, elections.c.registration == "open")
                    .values(registration="open")
                ).rowcount
                if still_open != 1:
                    for i in indices:
                        results[i] = Problem(409, "phase", "registration is not open")
                    continue
                wanted = [batch[i]["credential"] for i in indices]
                seen = set(
                    db.scalars(
                        select(registrations.c.credential).where(
                            registrations.c.election == uuid,
                            registrations.c.credential.in_(wanted),
                        )
                    )
                )
                for i in indices:
                    if batch[i]["credential"] in seen:
                        results[i] = Problem(
                            409, "duplicate", "this credential is already registered"
                        )
                    else:
                        seen.add(batch[i]["credential"])
                        rows.append(batch[i])
            if rows:
                db.execute(insert(registrations), rows)
        return results

    def register(self, uuid: str, body: Json) -> None:
        """Accept one registration, or refuse it and change nothing."""
        (problem,) = self.store([self.check(uuid, body)])
        if problem is not None:
            raise problem

    async def register_soon(self, uuid: str, body: Json) -> None:
        """`register` for the server: checked in a thread, stored with whatever other
        registrations arrived meanwhile (group commit), answered once on disk."""
        values = await asyncio.to_thread(self.check, uuid, body)
        answer: asyncio.Future[Problem | None] = asyncio.get_running_loop().create_future()
        self._waiting.append((values, answer))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        problem = await answer
        if problem is not None:
            raise problem

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:BATCH], self._waiting[BATCH:]
            try:
                results = await asyncio.to_thread(self.store, [values for values, _ in batch])
            except Exception as e:
                for _, answer in batch:
                    if not answer.done():  # not given up by a client that went away
                        answer.set_exception(e)
                continue
            for (_, answer), problem in zip(batch, results, strict=True):
                if not answer.done():
                    answer.set_result(problem)

    def published(self, uuid: str) -> bytes | None:
        """registrations.json once registration is closed (None for other elections)."""
        row = election_row(self.engine, uuid)
        key = self.registry(row)
        if key is None or row.registration != "closed":
            return None
        with self.engine.connect() as db:
            found = db.execute(select(registrations).where(registrations.c.election == uuid))
            group = get_group(row.group_name)
            order = group.element_key
            rows = sorted(found, key=lambda r: order(group.decode_unchecked(r.credential)))
        listed = [
            reg.Registration(
                credential=r.credential, prefix=_b64(r.prefix), signature=_b64(r.signature)
            )
            for r in rows
        ]
        return encode(reg.Registrations(election=uuid, registry=key, registrations=listed))
