"""The database schema: administrators, sessions, elections before and around their archive,
trustees, anonymous registrations, and the admin log; and reading an election's row. Ballots
live only in the archives."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    Row,
    String,
    Table,
    Text,
    false,
    select,
)

from hramada.server.problems import Problem

metadata = MetaData()

admins = Table(
    "admins",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), unique=True, nullable=False),
    Column("password_hash", String(256), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # The superuser (the first account) creates accounts and may act on every election.
    Column("superuser", Boolean, nullable=False, server_default=false()),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # SHA-256 of the cookie; never the token
    Column("admin_id", ForeignKey("admins.id"), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

elections = Table(
    "elections",
    metadata,
    Column("uuid", String(64), primary_key=True),
    Column("template", Text, nullable=False),  # the Belenios template JSON
    Column("group_name", String(32), nullable=False),
    Column("state", String(16), nullable=False),  # draft, then opened: the archive knows more
    Column("opens_at", DateTime(timezone=True)),
    Column("closes_at", DateTime(timezone=True)),
    Column("credentials", LargeBinary),  # the public credential list, as uploaded
    Column("created_by", ForeignKey("admins.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("registry", LargeBinary),  # the registry's RegistryKey JSON, for anonymous credentials
    Column("registration", String(16)),  # None, then open, then closed
)

registrations = Table(
    "registrations",  # keyed by credential, with no time and no row order (WITHOUT ROWID)
    metadata,
    Column("election", ForeignKey("elections.uuid"), primary_key=True),
    Column("credential", Text, primary_key=True),
    Column("prefix", LargeBinary, nullable=False),
    Column("signature", LargeBinary, nullable=False),
    sqlite_with_rowid=False,
)

grants = Table(
    "grants",  # administrators other than an election's creator who may act on it
    metadata,
    Column("election", ForeignKey("elections.uuid"), primary_key=True),
    Column("admin_id", ForeignKey("admins.id"), primary_key=True),
    Column("granted_by", ForeignKey("admins.id"), nullable=False),
    Column("granted_at", DateTime(timezone=True), nullable=False),
)

trustees = Table(
    "trustees",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("election", ForeignKey("elections.uuid"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("token_hash", String(64), unique=True, nullable=False),
    Column("public_key", LargeBinary),  # the uploaded TrusteePublicKey JSON
)

admin_log = Table(
    "admin_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("time", DateTime(timezone=True), nullable=False),
    Column("admin", String(64), nullable=False),
    Column("election", String(64)),
    Column("action", String(64), nullable=False),
    Column("detail", Text, nullable=False),  # canonical JSON
    Column("public", Boolean, nullable=False),  # shown on the election's public page
    Column("hash", String(64), nullable=False),
)


def election_row(engine: Engine, uuid: str) -> Row[Any]:
    """The election's row; a 404 for an unknown election."""
    with engine.connect() as db:
        row = db.execute(select(elections).where(elections.c.uuid == uuid)).first()
    if row is None:
        raise Problem(404, "election", "there is no such election")
    return row
