"""The tables of the threshold key ceremony: one row per threshold election, one per upload."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
)

from hramada.server.tables import metadata

ceremonies = Table(
    "ceremonies",
    metadata,
    Column("election", ForeignKey("elections.uuid"), primary_key=True),
    Column("threshold", Integer, nullable=False),
    Column("size", Integer),  # the number of trustees, fixed by the first certificate
    Column("attempt", Integer, nullable=False),  # + 1 each time the ceremony is restarted
    Column("parameters", LargeBinary),  # the assembled ThresholdParameters JSON, once complete
)

ceremony_messages = Table(
    "ceremony_messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("election", ForeignKey("elections.uuid"), nullable=False, index=True),
    Column("trustee", ForeignKey("trustees.id"), nullable=False),
    Column("step", String(32), nullable=False),  # certificate, polynomial, verification key
    Column("body", LargeBinary, nullable=False),  # the upload, canonical JSON
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("trustee", "step", name="uq_ceremony_messages_trustee_step"),
)
