"""The registry's and the custodians' databases are migrated by Alembic: a new one is at the
newest revision with exactly the tables the code uses; one made before migrations existed is
taken as it is when it matches, and refused with a clear error when it does not."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, create_engine, inspect, text

from hramada.registry import custodian_store, registry_store
from hramada.registry.schema import SchemaError, migrate
from hramada.server.database import sqlite_file

SERVICES = [("registry", registry_store), ("custodian", custodian_store)]


@pytest.mark.parametrize(("service", "store"), SERVICES)
def test_a_new_database_is_at_the_newest_revision(
    tmp_path: Path, service: str, store: object
) -> None:
    engine = store.open_database(tmp_path, None)  # type: ignore[attr-defined]
    metadata: MetaData = store.metadata  # type: ignore[attr-defined]
    with engine.connect() as db:
        context = MigrationContext.configure(db, opts={"version_table": f"{service}_version"})
        assert compare_metadata(context, metadata) == []
        version = db.execute(text(f"SELECT version_num FROM {service}_version")).scalar_one()
    assert version in {"r0001", "c0001"}
    again = store.open_database(tmp_path, None)  # type: ignore[attr-defined]
    assert set(inspect(again).get_table_names()) == {*metadata.tables, f"{service}_version"}


@pytest.mark.parametrize(("service", "store"), SERVICES)
def test_a_database_made_before_migrations_is_adopted(
    tmp_path: Path, service: str, store: object
) -> None:
    metadata: MetaData = store.metadata  # type: ignore[attr-defined]
    engine = create_engine(sqlite_file(tmp_path / "old.sqlite"))
    metadata.create_all(engine)  # as the services did before they had migrations
    with engine.begin() as db:
        db.execute(text("CREATE TABLE elsewhere (x INTEGER)"))  # another service's table
    migrate(engine, service, metadata)
    with engine.connect() as db:
        assert db.execute(text(f"SELECT count(*) FROM {service}_version")).scalar_one() == 1


def test_an_older_registry_database_is_refused_by_name(tmp_path: Path) -> None:
    engine = create_engine(sqlite_file(tmp_path / "old.sqlite"))
    registry_store.metadata.create_all(engine)
    with engine.begin() as db:  # the records before they were bound to a registry challenge
        db.execute(text("ALTER TABLE members DROP COLUMN challenge"))
    with pytest.raises(SchemaError, match=r"earlier version of Hramada.*challenge.*recreate"):
        migrate(engine, "registry", registry_store.metadata)
    assert "registry_version" not in inspect(engine).get_table_names()
