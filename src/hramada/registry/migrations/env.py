"""Alembic environment of the registry's and the custodians' databases: runs the migrations
on the connection the service hands over, against that service's tables."""

from alembic import context

attributes = context.config.attributes
context.configure(
    connection=attributes["connection"],
    target_metadata=attributes["metadata"],
    version_table=attributes["version_table"],
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
