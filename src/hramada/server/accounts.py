"""Administrator accounts: Argon2id password hashes and server-side sessions."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from nacl import pwhash
from nacl.exceptions import InvalidkeyError
from sqlalchemy import Engine, delete, insert, select

from hramada.server.tables import admins, sessions

# A hash to verify against when the user does not exist, so timing does not reveal that.
_DUMMY = pwhash.argon2id.str(b"not a password")
MIN_PASSWORD = 12


def hash_password(password: str) -> str:
    return pwhash.argon2id.str(password.encode()).decode()


def _check(password_hash: bytes, password: str) -> bool:
    try:
        return pwhash.verify(password_hash, password.encode())
    except InvalidkeyError:
        return False


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_admin(engine: Engine, username: str, password: str) -> None:
    """Add an administrator; the password must be long enough to resist guessing.

    The first account is the superuser: the one who creates the others."""
    if not username or len(username) > 64 or not username.isprintable():
        raise ValueError("a username is 1 to 64 printable characters")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password has at least {MIN_PASSWORD} characters")
    with engine.begin() as db:
        if db.execute(select(admins.c.id).where(admins.c.username == username)).first():
            raise ValueError(f"the administrator {username!r} already exists")
        first = db.execute(select(admins.c.id).limit(1)).first() is None
        db.execute(
            insert(admins).values(
                username=username,
                password_hash=hash_password(password),
                created_at=datetime.now(UTC),
                superuser=first,
            )
        )


def login(engine: Engine, username: str, password: str, hours: int) -> str | None:
    """A new session token for valid credentials, else None (in the same time either way)."""
    with engine.connect() as db:
        row = db.execute(
            select(admins.c.id, admins.c.password_hash).where(admins.c.username == username)
        ).first()
    if row is None:
        _check(_DUMMY, password)
        return None
    if not _check(row.password_hash.encode(), password):
        return None
    token = secrets.token_urlsafe(32)
    with engine.begin() as db:
        now = datetime.now(UTC)
        db.execute(delete(sessions).where(sessions.c.expires_at < now))
        db.execute(
            insert(sessions).values(
                token_hash=_digest(token), admin_id=row.id, expires_at=now + timedelta(hours=hours)
            )
        )
    return token


def session_user(engine: Engine, token: str | None) -> tuple[int, str] | None:
    """The (id, username) of a live session's administrator."""
    if not token:
        return None
    with engine.connect() as db:
        row = db.execute(
            select(admins.c.id, admins.c.username, sessions.c.expires_at)
            .join(admins, admins.c.id == sessions.c.admin_id)
            .where(sessions.c.token_hash == _digest(token))
        ).first()
    if row is None:
        return None
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
    if expires < datetime.now(UTC):
        return None
    return row.id, row.username


def logout(engine: Engine, token: str | None) -> None:
    if token:
        with engine.begin() as db:
            db.execute(delete(sessions).where(sessions.c.token_hash == _digest(token)))


def is_superuser(engine: Engine, username: str) -> bool:
    with engine.connect() as db:
        query = select(admins.c.superuser).where(admins.c.username == username)
        return bool(db.execute(query).scalar())
