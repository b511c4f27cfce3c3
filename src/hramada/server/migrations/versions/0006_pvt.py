"""The parallel vote tabulation: stations, protocols, codes, submissions, reviews, publications"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # random 62-bit submission ids


def upgrade() -> None:
    op.create_table(
        "pvt_candidates",
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("position"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "pvt_stations",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "pvt_protocols",
        sa.Column("station", sa.String(length=64), nullable=False),
        sa.Column("candidate", sa.String(length=200), nullable=False),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["station"], ["pvt_stations.code"]),
        sa.PrimaryKeyConstraint("station", "candidate"),
    )
    op.create_table(
        "pvt_codes",
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("hash"),
    )
    op.create_table(
        "pvt_submissions",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("station", sa.String(length=64), nullable=False),
        sa.Column("candidate", sa.String(length=200), nullable=False),
        sa.Column("photo", sa.LargeBinary(), nullable=True),
        sa.Column("photo_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["station"], ["pvt_stations.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pvt_submissions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pvt_submissions_station"), ["station"], unique=False)
    op.create_table(
        "pvt_reviews",
        sa.Column("submission", ID, nullable=False),
        sa.Column("moderator", sa.Integer(), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["moderator"], ["admins.id"]),
        sa.ForeignKeyConstraint(["submission"], ["pvt_submissions.id"]),
        sa.PrimaryKeyConstraint("submission", "moderator"),
    )
    op.create_table(
        "pvt_publications",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )


def downgrade() -> None:
    op.drop_table("pvt_publications")
    op.drop_table("pvt_reviews")
    with op.batch_alter_table("pvt_submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pvt_submissions_station"))
    op.drop_table("pvt_submissions")
    op.drop_table("pvt_codes")
    op.drop_table("pvt_protocols")
    op.drop_table("pvt_stations")
    op.drop_table("pvt_candidates")
