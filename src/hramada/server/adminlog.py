"""The tamper-evident log of administrators' actions: each entry hashes the one before it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from hramada.server.tables import admin_log

GENESIS = "0" * 64


@dataclass(frozen=True)
class Entry:
    seq: int
    time: str  # ISO 8601 UTC, seconds
    admin: str
    election: str | None
    action: str
    detail: str  # canonical JSON
    public: bool
    hash: str

    def as_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "time": self.time,
            "admin": self.admin,
            "election": self.election,
            "action": self.action,
            "detail": json.loads(self.detail),
            "hash": self.hash,
        }


def iso(t: datetime) -> str:
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def entry_hash(
    previous: str,
    seq: int,
    time: str,
    admin: str,
    election: str | None,
    action: str,
    detail: str,
    public: bool,
) -> str:
    body = json.dumps(
        [previous, seq, time, admin, election, action, detail, public],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


def record(
    db: Connection,
    admin: str,
    action: str,
    detail: dict[str, Any],
    election: str | None = None,
    public: bool = False,
) -> Entry:
    """Append an entry in the caller's transaction, chained to the last one."""
    last = db.execute(
        select(admin_log.c.seq, admin_log.c.hash).order_by(admin_log.c.seq.desc()).limit(1)
    ).first()
    seq, previous = (1, GENESIS) if last is None else (last.seq + 1, last.hash)
    time = iso(datetime.now(UTC))
    text = json.dumps(detail, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    h = entry_hash(previous, seq, time, admin, election, action, text, public)
    db.execute(
        admin_log.insert().values(
            seq=seq,
            time=datetime.strptime(time, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC),
            admin=admin,
            election=election,
            action=action,
            detail=text,
            public=public,
            hash=h,
        )
    )
    return Entry(seq, time, admin, election, action, text, public, h)


def entries(db: Connection, election: str | None = None, public_only: bool = False) -> list[Entry]:
    query = select(admin_log).order_by(admin_log.c.seq)
    if election is not None:
        query = query.where(admin_log.c.election == election)
    if public_only:
        query = query.where(admin_log.c.public)
    return [
        Entry(r.seq, iso(r.time), r.admin, r.election, r.action, r.detail, r.public, r.hash)
        for r in db.execute(query)
    ]


def close_times(db: Connection) -> dict[str, str]:
    """When each closed election was closed (its last "close" entry), by election."""
    query = (
        select(admin_log.c.election, func.max(admin_log.c.time))
        .where(admin_log.c.action == "close")
        .group_by(admin_log.c.election)
    )
    return {election: iso(time) for election, time in db.execute(query) if election}


def chain_breaks(log: list[Entry]) -> list[int]:
    """The sequence numbers whose entry does not hash, with its predecessor, to its hash."""
    previous, expected, broken = GENESIS, 1, []
    for e in log:
        args = (e.seq, e.time, e.admin, e.election, e.action, e.detail, e.public)
        if e.seq != expected or e.hash != entry_hash(previous, *args):
            broken.append(e.seq)
        previous, expected = e.hash, e.seq + 1
    return broken
