"""A custodian's storage: its public parameters and its clients' token hashes in its database
(SQLite by default), its key share in an owner-only file. Nothing about any request."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, select

from hramada.crypto import oprf
from hramada.crypto.threshold_oprf import KeyShare, share_public_key, verify_share
from hramada.protocol.secret_files import private_folder, write_secret
from hramada.registry.schema import SchemaError, migrate
from hramada.server.database import engine_for, sqlite_file

metadata = MetaData()
# One row: who this custodian is among the n, and the public commitments to the joint key.
custodian = Table(
    "custodian",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("position", Integer, nullable=False),
    Column("custodians", Integer, nullable=False),
    Column("threshold", Integer, nullable=False),
    Column("commitments", String, nullable=False),  # JSON list of hex elements
)
# The registry's (and registrars' pages') access tokens: SHA-256 of 32 random bytes, a label.
clients = Table(
    "clients",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("label", String(200), nullable=False),
)
SHARE_FILE = "share.key"
SQLITE_FILE = "custodian.sqlite"


class StoreError(Exception):
    """The data folder is not (or no longer) a custodian's, or its share does not check."""


@dataclass(frozen=True)
class Custodian:
    """Everything `serve` needs: the share and the public parameters it answers under."""

    share: KeyShare
    custodians: int
    threshold: int
    commitments: list[bytes]

    @property
    def share_key(self) -> bytes:
        return share_public_key(self.share.index, self.commitments)

    def public_info(self) -> dict[str, object]:
        return {
            "suite": "ristretto255-SHA512",
            "mode": "VOPRF",
            "index": self.share.index,
            "custodians": self.custodians,
            "threshold": self.threshold,
            "commitments": [c.hex() for c in self.commitments],
            "share_key": self.share_key.hex(),
        }


def open_database(data: Path, url: str | None) -> Engine:
    """The custodian's database (SQLite in `data`, 0600, unless `url`), migrated to this
    version's tables."""
    private_folder(data)
    engine = engine_for(url or sqlite_file(data / SQLITE_FILE))
    try:
        migrate(engine, "custodian", metadata)
    except SchemaError as e:
        raise StoreError(str(e)) from None
    return engine


def save_custodian(engine: Engine, data: Path, c: Custodian) -> None:
    """Store the share (0600) and the public parameters; refuses to overwrite either."""
    if not verify_share(c.share, c.commitments):
        raise StoreError("the share does not match the commitments")
    with engine.begin() as db:
        if db.execute(select(custodian.c.id)).first() is not None:
            raise StoreError("this data folder already holds a custodian's key")
        db.execute(
            custodian.insert().values(
                id=1,
                position=c.share.index,
                custodians=c.custodians,
                threshold=c.threshold,
                commitments=json.dumps([x.hex() for x in c.commitments]),
            )
        )
        write_secret(data / SHARE_FILE, c.share.secret.hex() + "\n")


def load_custodian(engine: Engine, data: Path) -> Custodian:
    with engine.connect() as db:
        row = db.execute(select(custodian)).first()
    if row is None:
        raise StoreError("no key here yet: finish the key ceremony (custodian join) first")
    path = data / SHARE_FILE
    if path.stat().st_mode & 0o077:
        raise StoreError(f"{path} is readable by others: chmod 600 it")
    try:
        secret = oprf.deserialize_scalar(bytes.fromhex(path.read_text().strip()))
    except (OSError, ValueError) as e:
        raise StoreError(f"cannot read the share in {path}: {e}") from None
    commitments = [oprf.deserialize_element(bytes.fromhex(x)) for x in json.loads(row.commitments)]
    c = Custodian(KeyShare(row.position, secret), row.custodians, row.threshold, commitments)
    if not verify_share(c.share, c.commitments):
        raise StoreError("the share file does not match the stored commitments")
    return c


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_client(engine: Engine, label: str) -> str:
    """A new access token (shown once, stored only as its SHA-256: it has 256 random bits)."""
    token = secrets.token_urlsafe(32)
    with engine.begin() as db:
        db.execute(clients.insert().values(token_hash=_token_hash(token), label=label[:200]))
    return token


def client_hashes(engine: Engine) -> dict[str, str]:
    with engine.connect() as db:
        return {r.token_hash: r.label for r in db.execute(select(clients))}


def known_client(hashes: dict[str, str], token: str) -> str | None:
    """The hash of a known token, compared in constant time against every stored hash."""
    digest = _token_hash(token)
    found = None
    for h in hashes:
        if hmac.compare_digest(h, digest):
            found = h
    return found
