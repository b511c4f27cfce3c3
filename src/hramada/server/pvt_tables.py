"""The parallel vote tabulation's tables. Nothing here names a person: no address, no agent,
no account for voters, no time of submission; codes are kept as hashes only."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from hramada.server.tables import metadata

ID = BigInteger().with_variant(Integer(), "sqlite")

pvt_candidates = Table(
    "pvt_candidates",
    metadata,
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("name", String(200), unique=True, nullable=False),
)

pvt_stations = Table(
    "pvt_stations",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("region", String(200), nullable=False),
    Column("address", String(500), nullable=False),
)

pvt_protocols = Table(
    "pvt_protocols",
    metadata,
    Column("station", ForeignKey("pvt_stations.code"), primary_key=True),
    Column("candidate", String(200), primary_key=True),
    Column("votes", Integer, nullable=False),
)

pvt_codes = Table(
    "pvt_codes",
    metadata,
    Column("hash", String(64), primary_key=True),  # SHA-256 of election and code
    Column("used", Boolean, nullable=False),
)

pvt_submissions = Table(
    "pvt_submissions",
    metadata,
    # random, so that neither the ids nor the rows' order tell the order of arrival (on
    # SQLite an INTEGER key is the row's own 64-bit id: the rows are kept in id order)
    Column("id", ID, primary_key=True, autoincrement=False),
    Column("station", ForeignKey("pvt_stations.code"), nullable=False, index=True),
    Column("candidate", String(200), nullable=False),
    Column("photo", LargeBinary),  # the re-encoded photo; None without one or once deleted
    Column("photo_hash", String(64)),  # SHA-256 of the stored photo, kept after deletion
)

pvt_reviews = Table(
    "pvt_reviews",
    metadata,
    Column("submission", ID, ForeignKey("pvt_submissions.id"), primary_key=True),
    Column("moderator", ForeignKey("admins.id"), primary_key=True),
    Column("confirmed", Boolean, nullable=False),
)

pvt_publications = Table(
    "pvt_publications",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("body", Text, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("signature", String(128), nullable=False),
)
