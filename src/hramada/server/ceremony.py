"""The relay of the threshold key ceremony: it checks and stores each trustee's uploads, tells
each trustee what it needs, and assembles the threshold set. It never holds a secret."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update

from hramada.crypto.group import Element, Group
from hramada.crypto.groups import get_group
from hramada.election.ceremony import (
    DONE,
    STEPS,
    CeremonyStatus,
    PolynomialUpload,
    assemble,
    check_certificate,
    check_certificates,
    check_polynomial,
    check_verification_key,
)
from hramada.election.errors import Rejected
from hramada.protocol.canonical import FormatError, decode, encode, sha256_b64
from hramada.protocol.model import (
    CertContext,
    CertKeys,
    RawCoefexps,
    SignedMessage,
    ThresholdParameters,
    TrusteePublicKey,
)
from hramada.server import adminlog
from hramada.server.ceremony_tables import ceremonies, ceremony_messages
from hramada.server.problems import Problem
from hramada.server.tables import elections, trustees

CERTIFICATE, POLYNOMIAL, VERIFICATION_KEY = STEPS


def parse_threshold(value: object) -> int | None:
    """The `threshold` of a new election: absent or null for one key per trustee, otherwise
    the number of trustees needed to decrypt (at least 1; at most the number of trustees,
    which is checked when the ceremony begins)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
        raise Problem(400, "election", "threshold: null, or the number of trustees (1 to 1000)")
    return value


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class _State:
    """One election's ceremony as the database holds it, seen by one trustee (or none)."""

    uuid: str
    group: Group
    draft: bool
    threshold: int
    size: int  # fixed by the first certificate; until then the current number of trustees
    frozen: bool
    attempt: int
    parameters: bytes | None
    members: list[Any]  # trustee rows in set order (by id)
    messages: dict[tuple[int, str], bytes] = field(default_factory=dict)  # (trustee id, step)

    def bodies(self, step: str) -> list[bytes] | None:
        """Every member's upload for `step`, in order, or None while one is missing."""
        out = [self.messages.get((t.id, step)) for t in self.members]
        return None if any(b is None for b in out) else [b for b in out if b is not None]

    def missing(self, step: str) -> list[str]:
        return [t.name for t in self.members if (t.id, step) not in self.messages]

    def step(self) -> str:
        return next((s for s in STEPS if self.missing(s)), DONE)

    def certificates(self) -> list[SignedMessage] | None:
        bodies = self.bodies(CERTIFICATE)
        if bodies is None:
            return None
        return [decode(b, SignedMessage, "stored certificate") for b in bodies]

    def polynomials(self) -> list[PolynomialUpload] | None:
        bodies = self.bodies(POLYNOMIAL)
        if bodies is None:
            return None
        return [decode(b, PolynomialUpload, "stored polynomial") for b in bodies]

    def rows(self) -> list[list[Element]]:
        """The commitments of every member (checked when they were uploaded)."""
        polys = self.polynomials()
        assert polys is not None
        return [
            [
                self.group.decode(a)
                for a in decode(p.coefexps.message, RawCoefexps, "stored coefexps").coefexps
            ]
            for p in polys
        ]


class Ceremonies:
    """The ceremonies of every threshold election, over the server's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- for the election service ---------------------------------------------------

    @staticmethod
    def create(db: Connection, uuid: str, threshold: int) -> None:
        """Make `uuid` a threshold election (in the caller's transaction creating it)."""
        db.execute(insert(ceremonies).values(election=uuid, threshold=threshold, attempt=1))

    def threshold(self, uuid: str) -> int | None:
        """The election's threshold, or None when each trustee has a Single key."""
        with self.engine.connect() as db:
            return db.execute(
                select(ceremonies.c.threshold).where(ceremonies.c.election == uuid)
            ).scalar()

    def require_not_started(self, uuid: str) -> None:
        """Refuse a change of the trustee list once certificates name its size."""
        with self.engine.connect() as db:
            size = db.execute(
                select(ceremonies.c.size).where(ceremonies.c.election == uuid)
            ).scalar()
        if size is not None:
            raise Problem(
                409,
                "ceremony",
                f"the key ceremony has begun with {size} trustees: restart it before "
                "changing the trustees",
            )

    def progress(self, uuid: str) -> dict[int, int]:
        """For each trustee id, how many of the three ceremony steps it has done."""
        with self.engine.connect() as db:
            rows = db.execute(
                select(ceremony_messages.c.trustee).where(ceremony_messages.c.election == uuid)
            ).all()
        out: dict[int, int] = {}
        for (trustee,) in rows:
            out[trustee] = out.get(trustee, 0) + 1
        return out

    def parameters(self, uuid: str) -> ThresholdParameters:
        """The assembled threshold set; 409 while the ceremony is not finished."""
        with self.engine.begin() as db:
            state = self._state(db, uuid, lock=True)
            if state.parameters is None:
                self._finish(db, state)
            if state.parameters is None:
                raise Problem(
                    409,
                    "ceremony",
                    f"the key ceremony is not finished: waiting for the {state.step()} of "
                    + ", ".join(state.missing(state.step())),
                )
        return decode(state.parameters, ThresholdParameters, "threshold set")

    def reset(self, admin: tuple[int, str], uuid: str) -> None:
        """Start the ceremony again (a trustee lost their state, or the trustees change)."""
        with self.engine.begin() as db:
            state = self._state(db, uuid, lock=True)
            if not state.draft:
                raise Problem(409, "setup fixed", "the election is open: its trustees are fixed")
            db.execute(delete(ceremony_messages).where(ceremony_messages.c.election == uuid))
            db.execute(
                update(ceremonies)
                .where(ceremonies.c.election == uuid)
                .values(size=None, parameters=None, attempt=state.attempt + 1)
            )
            adminlog.record(
                db, admin[1], "ceremony restart", {"attempt": state.attempt + 1}, uuid, True
            )

    # --- for the trustees -----------------------------------------------------------

    def status(self, token: str) -> CeremonyStatus:
        with self.engine.connect() as db:
            me = self._trustee(db, token)
            state = self._state(db, me.election)
        index = self._index(state, me)
        step = state.step()
        status = CeremonyStatus(
            election=state.uuid,
            group=state.group.name,
            threshold=state.threshold,
            size=state.size,
            index=index,
            attempt=state.attempt,
            trustees=[t.name for t in state.members],
            step=step,
            submitted=[s for s in STEPS if (me.id, s) in state.messages],
            waiting_for=[] if step == DONE else state.missing(step),
        )
        status.certificates = state.certificates()
        polys = state.polynomials()
        if polys is not None:
            status.coefexps = [p.coefexps for p in polys]
            status.signatures = [p.signature for p in polys]
            status.shares = [p.shares[index - 1] for p in polys]
        return status

    def submit(self, token: str, step: str, data: bytes) -> dict[str, Any]:
        """Check and store one of a trustee's three uploads; an identical upload again is
        accepted (the answer to the first may have been lost)."""
        with self.engine.begin() as db:
            me = self._trustee(db, token)
            state = self._state(db, me.election, lock=True)
            if not state.draft:
                raise Problem(409, "setup fixed", "the election is open: its key ceremony is over")
            index = self._index(state, me)
            stored = state.messages.get((me.id, step))
            if stored is not None:
                if hmac.compare_digest(stored, data):
                    return {"accepted": step, "index": index}
                raise Problem(
                    409,
                    "ceremony",
                    f"you have already uploaded your {step}: the ceremony keeps the first one",
                )
            before = STEPS[STEPS.index(step) - 1] if step != CERTIFICATE else None
            if before is not None and state.missing(before):
                raise Problem(
                    409,
                    "ceremony waiting",
                    f"not yet: waiting for the {before} of " + ", ".join(state.missing(before)),
                )
            try:
                body = self._check(state, index, step, data)
            except FormatError as e:
                raise Problem(400, f"ceremony {step}", str(e)) from None
            except Rejected as e:
                raise Problem(400, f"ceremony {step}", e.detail) from None
            if not state.frozen:
                db.execute(
                    update(ceremonies)
                    .where(ceremonies.c.election == state.uuid)
                    .values(size=state.size)
                )
            db.execute(
                insert(ceremony_messages).values(
                    election=state.uuid,
                    trustee=me.id,
                    step=step,
                    body=body,
                    created_at=datetime.now(UTC),
                )
            )
            state.messages[(me.id, step)] = body
            detail = {"name": me.name, "index": index, "hash": sha256_b64(body)}
            adminlog.record(db, f"trustee:{me.name}", f"ceremony {step}", detail, state.uuid, True)
            if step == VERIFICATION_KEY:
                self._finish(db, state)
        return {"accepted": step, "index": index}

    # --- internals ------------------------------------------------------------------

    def _trustee(self, db: Connection, token: str) -> Any:
        row = db.execute(
            select(trustees).where(trustees.c.token_hash == _token_hash(token))
        ).first()
        if row is None:
            raise Problem(404, "trustee", "this trustee link is not valid")
        return row

    def _state(self, db: Connection, uuid: str, lock: bool = False) -> _State:
        query = select(ceremonies).where(ceremonies.c.election == uuid)
        ceremony = db.execute(query.with_for_update() if lock else query).first()
        if ceremony is None:
            raise Problem(
                409,
                "ceremony",
                "this election has one key per trustee, not a key ceremony: make a key with "
                "`hramada trustee keygen` and submit it",
            )
        election = db.execute(select(elections).where(elections.c.uuid == uuid)).one()
        members = list(
            db.execute(
                select(trustees).where(trustees.c.election == uuid).order_by(trustees.c.id)
            ).all()
        )
        frozen = ceremony.size is not None
        if frozen:
            members = members[: ceremony.size]
        messages = {
            (m.trustee, m.step): bytes(m.body)
            for m in db.execute(
                select(ceremony_messages).where(ceremony_messages.c.election == uuid)
            )
        }
        return _State(
            uuid=uuid,
            group=get_group(election.group_name),
            draft=election.state == "draft",
            threshold=ceremony.threshold,
            size=ceremony.size if frozen else len(members),
            frozen=frozen,
            attempt=ceremony.attempt,
            parameters=None if ceremony.parameters is None else bytes(ceremony.parameters),
            members=members,
            messages=messages,
        )

    @staticmethod
    def _index(state: _State, me: Any) -> int:
        ids = [t.id for t in state.members]
        if me.id not in ids:
            raise Problem(
                409,
                "ceremony",
                f"the key ceremony began with {state.size} trustees before you were added: "
                "the administrator must restart it",
            )
        return ids.index(me.id) + 1

    def _check(self, state: _State, index: int, step: str, data: bytes) -> bytes:
        """Check an upload against everything stored; return its canonical bytes."""
        group = state.group
        if step == CERTIFICATE:
            if state.threshold > state.size:
                raise Problem(
                    409,
                    "ceremony",
                    f"a threshold of {state.threshold} needs at least {state.threshold} "
                    f"trustees; the election has {state.size}",
                )
            cert = decode(data, SignedMessage, "certificate")
            context = CertContext(group.name, state.size, state.threshold, index)
            keys = check_certificate(group, cert, context)
            mine = {group.encode(keys.verification), group.encode(keys.encryption)}
            for (_, s), body in state.messages.items():
                if s == CERTIFICATE:
                    stored = decode(body, SignedMessage, "stored certificate")
                    other = decode(stored.message, CertKeys, "stored certificate")
                    if mine & {other.verification, other.encryption}:
                        raise Rejected("ceremony certificate", "a key in it is another trustee's")
            return encode(cert)
        if step == POLYNOMIAL:
            certs = state.certificates()
            assert certs is not None
            keys_list = check_certificates(group, certs, state.threshold)
            upload = decode(data, PolynomialUpload, "polynomial")
            check_polynomial(group, certs, keys_list, state.threshold, index, upload)
            return encode(upload)
        if step == VERIFICATION_KEY:
            key = decode(data, TrusteePublicKey, "verification key")
            check_verification_key(group, state.rows(), index, key)
            return encode(key)
        raise Problem(404, "ceremony", f"no ceremony step {step!r}")

    def _finish(self, db: Connection, state: _State) -> None:
        """Once every verification key is in: assemble, check and store the threshold set."""
        keys = state.bodies(VERIFICATION_KEY)
        if keys is None or state.parameters is not None:
            return
        certs, polys = state.certificates(), state.polynomials()
        assert certs is not None and polys is not None
        vks = [decode(k, TrusteePublicKey, "stored verification key") for k in keys]
        try:
            params = assemble(state.group, state.threshold, certs, polys, vks)
        except Rejected as e:
            raise Problem(400, "ceremony", e.detail) from None
        state.parameters = encode(params)
        db.execute(
            update(ceremonies)
            .where(ceremonies.c.election == state.uuid)
            .values(parameters=state.parameters)
        )
        detail = {
            "threshold": state.threshold,
            "size": state.size,
            "public_key": state.group.encode(state.group.prod(r[0] for r in state.rows())),
        }
        adminlog.record(db, "server", "ceremony done", detail, state.uuid, True)
