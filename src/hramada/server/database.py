"""Connecting to the database (SQLite by default, PostgreSQL by URL) and migrating it."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event

MIGRATIONS = Path(__file__).with_name("migrations")


def sqlite_file(path: Path) -> str:
    """The URL of the SQLite file at `path`, made owner-only (0600; SQLite gives its -wal and
    -shm files the same mode). A new file is created here; an existing one is never opened:
    closing any descriptor of a file drops every POSIX lock this process holds on it, SQLite's
    among them, and then another process's connection, closing as if it were the last,
    checkpoints and deletes the write-ahead log and its index under this process's pooled
    connections, which go on reading their cached pages as if nothing had been written
    (https://sqlite.org/howtocorrupt.html, section 2.2)."""
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        path.chmod(0o600)
    return f"sqlite:///{path.resolve()}"


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def engine_for(url: str) -> Engine:
    """An engine for `url` (`postgresql://` goes through psycopg 3); SQLite in WAL mode with
    one fsync per commit and foreign keys enforced. Every service opens its database here."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def connect(url: str) -> Engine:
    """An engine for `url`, migrated to the latest schema."""
    engine = engine_for(url)
    migrate(engine)
    return engine


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; a no-op when it is already there."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
