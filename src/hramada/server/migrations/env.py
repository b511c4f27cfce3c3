"""Alembic environment: runs the migrations on the connection the server hands over."""

from alembic import context

import hramada.server.ceremony_tables  # these register their tables
import hramada.server.pvt_tables  # noqa: F401
from hramada.server.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
