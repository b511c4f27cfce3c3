"""Owners and grants: a superuser flag on accounts, and per-election grants"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("admins", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("superuser", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    # An existing server's first account becomes its superuser.
    op.execute("UPDATE admins SET superuser = TRUE WHERE id = (SELECT MIN(id) FROM admins)")
    op.create_table(
        "grants",
        sa.Column("election", sa.String(length=64), nullable=False),
        sa.Column("admin_id", sa.Integer(), nullable=False),
        sa.Column("granted_by", sa.Integer(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["admin_id"], ["admins.id"]),
        sa.ForeignKeyConstraint(["election"], ["elections.uuid"]),
        sa.ForeignKeyConstraint(["granted_by"], ["admins.id"]),
        sa.PrimaryKeyConstraint("election", "admin_id"),
    )


def downgrade() -> None:
    op.drop_table("grants")
    with op.batch_alter_table("admins", schema=None) as batch_op:
        batch_op.drop_column("superuser")
