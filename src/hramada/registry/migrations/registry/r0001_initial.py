"""The registry's first schema: registrars, members (tag, member key, the registrar's record
over a registry challenge), elections, issued flags and public counters."""

import sqlalchemy as sa
from alembic import op

revision = "r0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "counters",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "elections",
        sa.Column("uuid", sa.String(length=64), nullable=False),
        sa.Column("registry_key", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("uuid"),
    )
    op.create_table(
        "registrars",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("record_key", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "issued",
        sa.Column("election", sa.String(length=64), nullable=False),
        sa.Column("tag", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["election"], ["elections.uuid"]),
        sa.PrimaryKeyConstraint("election", "tag"),
        sqlite_with_rowid=False,  # rows in key order: no order of issuance in the file
    )
    op.create_table(
        "members",
        sa.Column("tag", sa.String(length=128), nullable=False),
        sa.Column("member_key", sa.String(length=64), nullable=False),
        sa.Column("registrar", sa.Integer(), nullable=False),
        sa.Column("challenge", sa.String(length=64), nullable=False),
        sa.Column("record", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["registrar"], ["registrars.id"]),
        sa.PrimaryKeyConstraint("tag"),
        sa.UniqueConstraint("member_key"),
        sqlite_with_rowid=False,  # rows in key order: no order of enrolment in the file
    )


def downgrade() -> None:
    for table in ("members", "issued", "registrars", "elections", "counters"):
        op.drop_table(table)
