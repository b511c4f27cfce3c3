"""The registration phase of an election with anonymous credentials (blind-signed by a registry).

While registration is open anyone may post (public credential, prefix, signature): the server
keeps it only if the registry's signature verifies and the credential is new, and records
nothing about when it came. Closing registration turns the sorted list into the election's
public credentials; opening the election then binds the registry's keys into its fingerprint.
"""

from __future__ import annotations

import base64
from typing import Any

import msgspec
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from hramada.crypto.groups import get_group
from hramada.election import registrations as reg
from hramada.election.errors import Rejected
from hramada.protocol.canonical import FormatError, decode, encode, sha256_b64
from hramada.server import adminlog
from hramada.server.problems import Problem
from hramada.server.tables import elections, registrations

Json = dict[str, Any]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class Registrations:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _row(self, uuid: str) -> Any:
        with self.engine.connect() as db:
            row = db.execute(select(elections).where(elections.c.uuid == uuid)).first()
        if row is None:
            raise Problem(404, "election", "there is no such election")
        return row

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
            creds = db.scalars(
                select(registrations.c.credential).where(registrations.c.election == row.uuid)
            ).all()
            if not creds:
                raise Problem(409, "registrations", "nobody has registered yet")
            public = reg.sorted_credentials(group, list(creds))
            db.execute(
                update(elections)
                .where(elections.c.uuid == row.uuid)
                .values(registration="closed", credentials=public)
            )
            detail = {"count": len(creds), "fingerprint": sha256_b64(public)}
            adminlog.record(db, admin[1], "registration close", detail, row.uuid, public=True)
        return detail

    def info(self, uuid: str) -> Json:
        """What a member's device needs: the registry's keys and whether registration is open."""
        row = self._row(uuid)
        key = self.registry(row)
        if key is None:
            raise Problem(404, "registry", "this election takes no anonymous registrations")
        return {
            "uuid": uuid,
            "name": msgspec.json.decode(row.template).get("name"),
            "registration": row.registration,
            "registry": msgspec.to_builtins(key),
            "binding": reg.binding(key),
            "message": "prefix || 'hramada-registration/1\\n' || uuid || '\\n' || credential",
        }

    def register(self, uuid: str, body: Json) -> None:
        """Accept one (credential, prefix, signature), or refuse it and change nothing."""
        row = self._row(uuid)
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
        try:
            with self.engine.begin() as db:
                db.execute(
                    insert(registrations).values(
                        election=uuid,
                        credential=posted.credential,
                        prefix=prefix,
                        signature=signature,
                    )
                )
        except IntegrityError:
            raise Problem(409, "duplicate", "this credential is already registered") from None

    def published(self, uuid: str) -> bytes | None:
        """registrations.json once registration is closed (None for other elections)."""
        row = self._row(uuid)
        key = self.registry(row)
        if key is None or row.registration != "closed":
            return None
        with self.engine.connect() as db:
            found = db.execute(select(registrations).where(registrations.c.election == uuid))
            group = get_group(row.group_name)
            rows = sorted(found, key=lambda r: group.element_key(group.decode(r.credential)))
        listed = [
            reg.Registration(
                credential=r.credential, prefix=_b64(r.prefix), signature=_b64(r.signature)
            )
            for r in rows
        ]
        return encode(reg.Registrations(election=uuid, registry=key, registrations=listed))
