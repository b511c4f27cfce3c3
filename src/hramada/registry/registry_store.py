"""The registry's storage: registrars, members (tag, member key, the registrar's signed record),
per-election issued flags keyed by tag, and public counters. Nothing that names a person."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nacl import pwhash
from nacl.exceptions import InvalidkeyError
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hramada.crypto import blind_rsa
from hramada.election import registrations as reg
from hramada.protocol.canonical import decode
from hramada.protocol.secret_files import private_folder, write_secret
from hramada.registry.schema import migrate
from hramada.server.database import engine_for, sqlite_file

metadata = MetaData()
registrars = Table(
    "registrars",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),  # a public name or pseudonym
    Column("role", String(16), nullable=False),  # "registrar" enrols, "admin" signs statements
    Column("password_hash", String(200), nullable=False),  # Argon2id
    Column("record_key", String(64), nullable=False),  # Ed25519 key that signs enrolment records
)
# A member is a tag (VOPRF of the normalized document, under the custodians' joint key), the
# key the member's device authenticates with, and the enrolling registrar's signature of both
# over a fresh challenge of the registry's (messages.record_message).
# On SQLite the member and issued tables have no row id: rows are kept in key order, so the
# file shows no order of enrolment or of issuance.
members = Table(
    "members",
    metadata,
    Column("tag", String(128), primary_key=True),
    Column("member_key", String(64), nullable=False, unique=True),
    Column("registrar", Integer, ForeignKey("registrars.id"), nullable=False),
    Column("challenge", String(64), nullable=False),  # the registry's, signed into the record
    Column("record", String(128), nullable=False),
    sqlite_with_rowid=False,
)
elections = Table(  # elections this registry issues credentials for (their keys are files)
    "elections",
    metadata,
    Column("uuid", String(64), primary_key=True),
    Column("registry_key", String, nullable=False),  # registry_key.json (public)
)
issued = Table(  # one blind signature per member (tag) and election; nothing else
    "issued",
    metadata,
    Column("election", String(64), ForeignKey("elections.uuid"), primary_key=True),
    Column("tag", String(128), primary_key=True),
    sqlite_with_rowid=False,
)
counters = Table(  # public: enrolments and re-enrolments (key replacements), per registrar too
    "counters",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("value", Integer, nullable=False),
)
SQLITE_FILE = "registry.sqlite"
ROLES = ("registrar", "admin")
MIN_PASSWORD = 12
_DUMMY = pwhash.argon2id.str(b"not a password")


def open_database(data: Path, url: str | None) -> Engine:
    """The registry's database (SQLite in `data`, 0600, unless `url`), migrated to this
    version's tables."""
    private_folder(data)
    engine = engine_for(url or sqlite_file(data / SQLITE_FILE))
    migrate(engine, "registry", metadata)
    return engine


def add_registrar(engine: Engine, name: str, role: str, password: str, record_key: str) -> None:
    if not name or len(name) > 64 or not name.isprintable():
        raise ValueError("a registrar's name is 1 to 64 printable characters")
    if role not in ROLES:
        raise ValueError(f"the role is one of {ROLES}")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password has at least {MIN_PASSWORD} characters")
    if len(bytes.fromhex(record_key)) != 32:
        raise ValueError("the record key is 32 bytes of hex (an Ed25519 public key)")
    with engine.begin() as db:
        if db.execute(select(registrars.c.id).where(registrars.c.name == name)).first():
            raise ValueError(f"the registrar {name!r} already exists")
        db.execute(
            registrars.insert().values(
                name=name,
                role=role,
                password_hash=pwhash.argon2id.str(password.encode()).decode(),
                record_key=record_key.lower(),
            )
        )


@dataclass(frozen=True)
class Registrar:
    id: int
    name: str
    role: str
    record_key: bytes


def check_password(engine: Engine, name: str, password: str) -> Registrar | None:
    """The registrar for valid credentials, else None (in about the same time either way)."""
    with engine.connect() as db:
        row = db.execute(select(registrars).where(registrars.c.name == name)).first()
    try:
        ok = pwhash.verify(row.password_hash.encode() if row else _DUMMY, password.encode())
    except InvalidkeyError:
        ok = False
    if row is None or not ok:
        return None
    return Registrar(row.id, row.name, row.role, bytes.fromhex(row.record_key))


def keys_folder(data: Path, uuid: str) -> Path:
    return data / "elections" / uuid


def add_election(engine: Engine, data: Path, uuid: str, keys: Path) -> str:
    """Take an election's keys (from `registry keygen`) into the data folder; the binding."""
    public = (keys / "registry_key.json").read_bytes()
    key = decode(public, reg.RegistryKey, "registry_key.json")
    binding = reg.binding(key)
    blind = blind_rsa.PrivateKey.from_pem((keys / "blind.key").read_bytes())
    if blind.public != reg.blind_key(key):
        raise ValueError("blind.key does not match registry_key.json")
    folder = keys_folder(data, uuid)
    private_folder(folder)
    write_secret(folder / "blind.key", (keys / "blind.key").read_bytes())
    write_secret(folder / "statement.key", (keys / "statement.key").read_bytes())
    with engine.begin() as db:
        if db.execute(select(elections.c.uuid).where(elections.c.uuid == uuid)).first():
            raise ValueError(f"the election {uuid} is already known")
        db.execute(elections.insert().values(uuid=uuid, registry_key=public.decode()))
    return binding


def bump(db: Connection, name: str) -> None:
    """Add one to a public counter (inside the caller's transaction)."""
    done = db.execute(
        update(counters).where(counters.c.name == name).values(value=counters.c.value + 1)
    )
    if done.rowcount == 0:
        db.execute(counters.insert().values(name=name, value=1))


def public_counts(engine: Engine) -> dict[str, Any]:
    """Members now enrolled, enrolments and re-enrolments: in all and per registrar."""
    with engine.connect() as db:
        counts = {r.name: r.value for r in db.execute(select(counters))}
        enrolled = db.execute(select(func.count()).select_from(members)).scalar_one()
    per: dict[str, dict[str, int]] = {}
    for name, value in counts.items():
        kind, _, registrar = name.partition(":")
        if registrar:
            per.setdefault(registrar, {"enrolments": 0, "re-enrolments": 0})[kind] = value
    return {
        "members": enrolled,
        "enrolments": counts.get("enrolments", 0),
        "re-enrolments": counts.get("re-enrolments", 0),
        "registrars": dict(sorted(per.items())),
    }


def mark_issued(engine: Engine, flags: list[tuple[str, str]]) -> list[bool]:
    """Set the issued flag of each (election, tag) in one transaction (one disk sync for all):
    True where this call set it, False where it was set already (earlier, or by an earlier
    entry of `flags`). Either every flag is on disk when this returns, or it raises."""
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    with engine.begin() as db:
        return [
            db.execute(
                insert(issued)
                .values(election=e, tag=t)
                .on_conflict_do_nothing()
                .returning(issued.c.tag)
            ).first()
            is not None
            for e, t in flags
        ]


def member_for(engine: Engine, member_key: str, uuid: str) -> tuple[str, bool] | None:
    """The tag of the member with this key and whether it has a signature for the election
    (one query), or None if no member has this key."""
    found = members.outerjoin(
        issued, and_(issued.c.tag == members.c.tag, issued.c.election == uuid)
    )
    query = select(members.c.tag, issued.c.tag).select_from(found)
    with engine.connect() as db:
        row = db.execute(query.where(members.c.member_key == member_key)).first()
    return None if row is None else (row[0], row[1] is not None)
