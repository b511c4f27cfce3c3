"""Who may act on which election: its creator, those it was granted to, and the superuser."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, insert, select

from hramada.server import adminlog
from hramada.server.problems import Problem
from hramada.server.tables import admins, elections, grants

Admin = tuple[int, str]  # (id, username) of a logged-in administrator


def is_superuser(db: Connection, admin_id: int) -> bool:
    return bool(db.execute(select(admins.c.superuser).where(admins.c.id == admin_id)).scalar())


def visible(engine: Engine, admin: Admin) -> set[str] | None:
    """The elections this administrator may see and change (None: all, for the superuser)."""
    with engine.connect() as db:
        if is_superuser(db, admin[0]):
            return None
        own = db.execute(select(elections.c.uuid).where(elections.c.created_by == admin[0]))
        granted = db.execute(select(grants.c.election).where(grants.c.admin_id == admin[0]))
        return set(own.scalars()) | set(granted.scalars())


def require(engine: Engine, admin: Admin, uuid: str) -> None:
    """Refuse an administrator who is neither an owner of the election nor granted it."""
    allowed = visible(engine, admin)
    if allowed is not None and uuid not in allowed:
        raise Problem(403, "owner", "you are not an administrator of this election")


def require_superuser(engine: Engine, admin: Admin) -> None:
    with engine.connect() as db:
        if not is_superuser(db, admin[0]):
            raise Problem(403, "superuser", "only the superuser creates accounts")


def grant(engine: Engine, admin: Admin, uuid: str, username: object) -> None:
    """Let another administrator act on the election; logged."""
    require(engine, admin, uuid)
    if not isinstance(username, str):
        raise Problem(400, "grant", "the username is a text")
    with engine.begin() as db:
        grantee = db.execute(select(admins.c.id).where(admins.c.username == username)).scalar()
        if grantee is None:
            raise Problem(404, "grant", "there is no such administrator")
        done = select(grants).where(grants.c.election == uuid, grants.c.admin_id == grantee)
        if db.execute(done).first() is not None:
            return  # already granted: nothing to log twice
        db.execute(
            insert(grants).values(
                election=uuid, admin_id=grantee, granted_by=admin[0], granted_at=datetime.now(UTC)
            )
        )
        adminlog.record(db, admin[1], "grant", {"username": username}, uuid)
