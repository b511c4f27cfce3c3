"""The services' SQLite files: opening one again in a process that already has pooled
connections to it must not cost those connections their locks (and so their view of what
other processes write)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from hramada.registry import custodian_store, registry_store
from hramada.server.config import Settings
from hramada.server.database import connect
from hramada.server.pvt_store import PvtStore


def _server(data: Path) -> tuple[Engine, Path]:
    settings = Settings(data_dir=data)
    settings.prepare_data_dir()
    return connect(settings.db_url), data / "hramada.sqlite"


def _pvt(data: Path) -> tuple[Engine, Path]:
    return PvtStore.open(data).engine, data / "pvt.sqlite"


def _registry(data: Path) -> tuple[Engine, Path]:
    return registry_store.open_database(data, None), data / registry_store.SQLITE_FILE


def _custodian(data: Path) -> tuple[Engine, Path]:
    return custodian_store.open_database(data, None), data / custodian_store.SQLITE_FILE


OPENERS = {"server": _server, "pvt": _pvt, "registry": _registry, "custodian": _custodian}


def _notes(engine: Engine) -> list[str]:
    with engine.connect() as db:
        return list(db.execute(text("SELECT body FROM notes ORDER BY body")).scalars())


@pytest.mark.parametrize("service", OPENERS)
def test_a_pooled_connection_sees_what_another_process_wrote_after_a_reopen(
    service: str, tmp_path: Path
) -> None:
    """The stale read the PVT server once worked around by not pooling: opening the file a
    second time closed a descriptor of it, which drops every POSIX lock this process holds on
    it, SQLite's shared lock among them. Another process's connection then found itself the
    last one, checkpointed, and deleted the write-ahead log and its index, while the pooled
    connection kept its cached pages and the old index, which never changed again."""
    open_service: Callable[[Path], tuple[Engine, Path]] = OPENERS[service]
    engine, path = open_service(tmp_path)
    with engine.begin() as db:
        db.execute(text("CREATE TABLE notes (body TEXT)"))
        db.execute(text("INSERT INTO notes VALUES ('first')"))
    assert _notes(engine) == ["first"]  # the pooled connection caches the table's page
    again, _ = open_service(tmp_path)  # the same folder opened twice in one process
    again.dispose()
    writer = (
        "import sqlite3, sys\n"
        "db = sqlite3.connect(sys.argv[1])\n"
        "db.execute('INSERT INTO notes VALUES (?)', (sys.argv[2],))\n"
        "db.commit()\n"
        "db.close()\n"
    )
    seen = ["first"]
    for note in ("second", "third"):  # the first deletes the log at its close
        subprocess.run([sys.executable, "-c", writer, str(path), note], check=True)
        seen.append(note)
        assert _notes(engine) == seen
    engine.dispose()
