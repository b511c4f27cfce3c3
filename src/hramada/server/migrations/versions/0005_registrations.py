"""Registrations: an election's registry key, its registration phase, and the posted credentials"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("elections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("registry", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("registration", sa.String(length=16), nullable=True))
    op.create_table(
        "registrations",
        sa.Column("election", sa.String(length=64), nullable=False),
        sa.Column("credential", sa.Text(), nullable=False),
        sa.Column("prefix", sa.LargeBinary(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["election"], ["elections.uuid"]),
        sa.PrimaryKeyConstraint("election", "credential"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("registrations")
    with op.batch_alter_table("elections", schema=None) as batch_op:
        batch_op.drop_column("registration")
        batch_op.drop_column("registry")
