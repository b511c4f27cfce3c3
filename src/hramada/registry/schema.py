"""The registry's and the custodians' tables brought up to date by Alembic when a service opens
its database, as the election server's are: each service has its revisions and version table."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, MetaData, inspect

MIGRATIONS = Path(__file__).with_name("migrations")


class SchemaError(ValueError):
    """The database holds this service's tables in a form no migration starts from."""


def migrate(engine: Engine, service: str, metadata: MetaData) -> None:
    """Bring `service`'s tables ("registry" or "custodian") to its newest revision. A database
    made before these migrations existed (tables, no version) is taken as it is when its
    tables are exactly the newest ones, and refused otherwise."""
    version_table = f"{service}_version"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")  # a folder's name may hold spaces
    config.set_main_option("version_locations", str(MIGRATIONS / service))
    config.attributes.update(metadata=metadata, version_table=version_table)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        tables = set(inspect(connection).get_table_names())
        if version_table not in tables and tables & set(metadata.tables):
            _adopt(connection, config, metadata)
        command.upgrade(config, "head")


def _adopt(connection: Connection, config: Config, metadata: MetaData) -> None:
    def ours(name: str | None, kind: str, _parent: object) -> bool:
        return kind != "table" or name in metadata.tables  # another service's tables may share

    opts = {"include_name": ours, "version_table": config.attributes["version_table"]}
    context = MigrationContext.configure(connection, opts=opts)
    differences = compare_metadata(context, metadata)
    if differences:
        raise SchemaError(
            "this database was made by an earlier version of Hramada and its tables differ from "
            f"this version's ({len(differences)} differences, e.g. {differences[0]}): recreate it"
        )
    command.stamp(config, "head")
