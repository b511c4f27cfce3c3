"""The threshold key ceremony: ceremonies and the trustees' uploads"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ceremonies",
        sa.Column("election", sa.String(length=64), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("parameters", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["election"], ["elections.uuid"]),
        sa.PrimaryKeyConstraint("election"),
    )
    op.create_table(
        "ceremony_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election", sa.String(length=64), nullable=False),
        sa.Column("trustee", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["election"], ["elections.uuid"]),
        sa.ForeignKeyConstraint(["trustee"], ["trustees.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("trustee", "step", name="uq_ceremony_messages_trustee_step"),
    )
    with op.batch_alter_table("ceremony_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ceremony_messages_election"), ["election"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ceremony_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ceremony_messages_election"))
    op.drop_table("ceremony_messages")
    op.drop_table("ceremonies")
