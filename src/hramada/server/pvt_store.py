"""The parallel vote tabulation's storage: imports, one-time codes, submissions, reviews and
the signed publication chain. One data folder holds one election."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
from nacl.signing import SigningKey
from sqlalchemy import Engine, Select, and_, case, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from hramada.crypto import blind_rsa
from hramada.election import registrations as reg
from hramada.election.errors import Rejected
from hramada.election.setup import check_uuid
from hramada.observe.pvt import chain, tally, tokens
from hramada.observe.pvt.photo import clean_photo, photo_hash
from hramada.protocol.canonical import FormatError, decode, encode
from hramada.protocol.secret_files import private_folder
from hramada.server.database import connect, sqlite_file
from hramada.server.problems import Problem
from hramada.server.pvt_tables import (
    pvt_candidates,
    pvt_codes,
    pvt_protocols,
    pvt_publications,
    pvt_reviews,
    pvt_stations,
    pvt_submissions,
)

REVIEWS_NEEDED = 2  # different moderators confirming a photo before its vote is verified
KEY_FILE = "pvt-signing.key"
REGISTRY_FILE = "registry.json"  # the exile registry whose tokens this election accepts
ID_RANGE = 2**62  # submission ids are drawn at random below this


@dataclass(frozen=True)
class Pending:
    id: int
    station: str
    candidate: str
    confirmations: int


def signing_key(data_dir: Path) -> SigningKey:
    """The publication key of this election, made on first use (readable by the owner only)."""
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(bytes(SigningKey.generate()))
    return SigningKey(path.read_bytes())


class RegistryBinding(msgspec.Struct, kw_only=True):
    """The exile registry's key for this PVT, which it knows by `uuid` (`registry election`)."""

    uuid: str
    registry: reg.RegistryKey


def set_registry(data_dir: Path, uuid: str, registry_key: bytes) -> str:
    """Accept one-time tokens blind-signed by the registry under this key (`registry_key.json`
    of `registry keygen`); returns the key's binding for the organisers to publish. Set once."""
    try:
        check_uuid(uuid)
        key = decode(registry_key, reg.RegistryKey, "registry key")
        reg.blind_key(key)
    except (Rejected, FormatError) as e:
        raise ValueError(str(e)) from None
    path = data_dir / REGISTRY_FILE
    if path.exists():
        raise ValueError("this election already accepts a registry's tokens")
    private_folder(data_dir)
    path.write_bytes(encode(RegistryBinding(uuid=uuid, registry=key)))
    return reg.binding(key)


def registry_binding(data_dir: Path) -> tuple[str, blind_rsa.PublicKey] | None:
    path = data_dir / REGISTRY_FILE
    if not path.exists():
        return None
    bound = decode(path.read_bytes(), RegistryBinding, REGISTRY_FILE)
    return bound.uuid, reg.blind_key(bound.registry)


def _verified() -> Select[tuple[int]]:
    """The ids of verified submissions: confirmed by REVIEWS_NEEDED moderators, rejected by
    none."""
    confirmed = func.sum(case((pvt_reviews.c.confirmed, 1), else_=0))
    rejected = func.sum(case((pvt_reviews.c.confirmed, 0), else_=1))
    return (
        select(pvt_reviews.c.submission)
        .group_by(pvt_reviews.c.submission)
        .having(and_(confirmed >= REVIEWS_NEEDED, rejected == 0))
    )


class PvtStore:
    def __init__(
        self,
        engine: Engine,
        key: SigningKey,
        registry: tuple[str, blind_rsa.PublicKey] | None = None,
    ) -> None:
        self.engine = engine
        self.key = key
        self.election = bytes(key.verify_key).hex()  # codes are hashed for this election only
        self.registry = registry  # (UUID at the registry, its blind key), if tokens count

    @classmethod
    def open(cls, data_dir: Path, database_url: str | None = None) -> PvtStore:
        private_folder(data_dir)
        url = database_url or sqlite_file(data_dir / "pvt.sqlite")
        return cls(connect(url), signing_key(data_dir), registry_binding(data_dir))

    # -- what the organisers import ----------------------------------------------------------

    def set_candidates(self, names: list[str]) -> None:
        names = [n.strip() for n in names]
        if not names or any(not n or len(n) > 200 for n in names) or len(set(names)) < len(names):
            raise tally.CsvError("candidates are distinct names of 1 to 200 characters")
        with self.engine.begin() as db:
            if db.execute(select(func.count()).select_from(pvt_submissions)).scalar():
                raise tally.CsvError("submissions have arrived: the candidates are fixed")
            db.execute(delete(pvt_candidates))
            db.execute(
                insert(pvt_candidates), [{"position": i, "name": n} for i, n in enumerate(names)]
            )

    def candidates(self) -> list[str]:
        with self.engine.connect() as db:
            rows = db.execute(select(pvt_candidates.c.name).order_by(pvt_candidates.c.position))
            return [r.name for r in rows]

    def import_stations(self, text: str) -> int:
        stations = tally.read_stations(text)
        with self.engine.begin() as db:
            known = set(db.execute(select(pvt_stations.c.code)).scalars())
            again = [s.code for s in stations if s.code in known]
            if again:
                raise tally.CsvError(f"stations already imported: {', '.join(again[:5])}")
            db.execute(insert(pvt_stations), [s.__dict__ for s in stations])
        return len(stations)

    def import_protocols(self, text: str) -> int:
        with self.engine.begin() as db:
            known = set(db.execute(select(pvt_stations.c.code)).scalars())
            protocols = tally.read_protocols(text, known)
            candidates = set(self.candidates())
            for counts in protocols.values():
                unknown = set(counts) - candidates
                if unknown:
                    raise tally.CsvError(f"unknown candidates: {', '.join(sorted(unknown))}")
            done = set(db.execute(select(pvt_protocols.c.station).distinct()).scalars())
            again = sorted(set(protocols) & done)
            if again:
                raise tally.CsvError(f"protocols already imported: {', '.join(again[:5])}")
            rows = [
                {"station": s, "candidate": c, "votes": n}
                for s, counts in protocols.items()
                for c, n in counts.items()
            ]
            if rows:
                db.execute(insert(pvt_protocols), rows)
        return len(protocols)

    def add_codes(self, count: int) -> list[str]:
        """New one-time codes for coordinators to hand out; only their hashes are kept."""
        codes = [tokens.new_code() for _ in range(count)]
        with self.engine.begin() as db:
            db.execute(
                insert(pvt_codes),
                [{"hash": tokens.code_hash(self.election, c), "used": False} for c in codes],
            )
        return codes

    # -- what voters submit ------------------------------------------------------------------

    def submit(self, code: str, station: str, candidate: str, photo: bytes | None) -> int:
        """Record one vote: refused, with nothing changed, for an unknown station or
        candidate, an unknown or used code or token, or a bad photo."""
        clean = None
        if photo:
            try:
                clean = clean_photo(photo)
            except ValueError as e:
                raise Problem(400, "photo", str(e)) from None
        token = tokens.is_token(code)
        digest = self._token_hash(code) if token else tokens.code_hash(self.election, code)
        try:
            with self.engine.begin() as db:
                if (
                    db.execute(
                        select(pvt_stations.c.code).where(pvt_stations.c.code == station)
                    ).first()
                    is None
                ):
                    raise Problem(400, "station", f"unknown polling station {station!r}")
                if candidate not in self.candidates():
                    raise Problem(400, "candidate", f"unknown candidate {candidate!r}")
                self._spend(db, digest, token)
                return self._insert(db, station, candidate, clean)
        except IntegrityError:  # the same token spent at the same moment by another request
            raise Problem(409, "code", "this token has already been used") from None

    def _token_hash(self, token: str) -> str:
        """What is stored of a token the registry signed for this election, else 403."""
        if self.registry is None:
            raise Problem(403, "code", "this election accepts no registry tokens: use a code")
        uuid, key = self.registry
        try:
            return tokens.token_hash(self.election, tokens.check_token(token, uuid, key))
        except ValueError as e:
            raise Problem(403, "code", f"this token is not valid: {e}") from None

    @staticmethod
    def _spend(db: Any, digest: str, token: bool) -> None:
        """Mark a code used, or record a token as spent; 403 or 409 when it cannot be."""
        if token:
            spent = select(pvt_codes.c.hash).where(pvt_codes.c.hash == digest)
            if db.execute(spent).first() is not None:
                raise Problem(409, "code", "this token has already been used")
            db.execute(insert(pvt_codes).values(hash=digest, used=True))
            return
        used = db.execute(
            update(pvt_codes)
            .where(and_(pvt_codes.c.hash == digest, pvt_codes.c.used.is_(False)))
            .values(used=True)
        )
        if used.rowcount != 1:
            exists = db.execute(select(pvt_codes.c.hash).where(pvt_codes.c.hash == digest))
            if exists.first() is None:
                raise Problem(403, "code", "this code is not valid")
            raise Problem(409, "code", "this code has already been used")

    @staticmethod
    def _insert(db: Any, station: str, candidate: str, clean: bytes | None) -> int:
        """A new submission under a random id: ids say nothing of the order of arrival."""
        submission = secrets.randbelow(ID_RANGE) + 1  # 62 bits: collisions are negligible
        db.execute(
            insert(pvt_submissions).values(
                id=submission,
                station=station,
                candidate=candidate,
                photo=clean,
                photo_hash=None if clean is None else photo_hash(clean),
            )
        )
        return submission

    # -- what moderators do ------------------------------------------------------------------

    def pending(self, moderator: int) -> list[Pending]:
        """Photos this moderator has not reviewed, not yet verified, none rejected."""
        confirmed = (
            select(func.count())
            .where(pvt_reviews.c.submission == pvt_submissions.c.id, pvt_reviews.c.confirmed)
            .scalar_subquery()
        )
        seen = select(pvt_reviews.c.submission).where(
            (pvt_reviews.c.moderator == moderator) | pvt_reviews.c.confirmed.is_(False)
        )
        query = (
            select(
                pvt_submissions.c.id,
                pvt_submissions.c.station,
                pvt_submissions.c.candidate,
                confirmed.label("n"),
            )
            .where(pvt_submissions.c.photo.is_not(None), pvt_submissions.c.id.not_in(seen))
            .where(confirmed < REVIEWS_NEEDED)
            .order_by(pvt_submissions.c.id)
            .limit(100)
        )
        with self.engine.connect() as db:
            return [Pending(r.id, r.station, r.candidate, r.n) for r in db.execute(query)]

    def photo(self, submission: int) -> bytes | None:
        with self.engine.connect() as db:
            return db.execute(
                select(pvt_submissions.c.photo).where(pvt_submissions.c.id == submission)
            ).scalar()

    def review(self, submission: int, moderator: int, confirmed: bool) -> None:
        """One moderator's verdict on a photo: it shows this station and candidate, or not."""
        with self.engine.begin() as db:
            if self._photo_hash(db, submission) is None:
                raise Problem(404, "submission", "no such submission with a photo")
            done = db.execute(
                select(pvt_reviews.c.confirmed).where(
                    pvt_reviews.c.submission == submission, pvt_reviews.c.moderator == moderator
                )
            ).first()
            if done is not None:
                raise Problem(409, "review", "you have already reviewed this photo")
            db.execute(
                insert(pvt_reviews).values(
                    submission=submission, moderator=moderator, confirmed=confirmed
                )
            )

    @staticmethod
    def _photo_hash(db: Any, submission: int) -> str | None:
        return db.execute(
            select(pvt_submissions.c.photo_hash).where(pvt_submissions.c.id == submission)
        ).scalar()

    def delete_verified_photos(self) -> int:
        """Drop the photos of verified submissions, keeping their hashes; how many went. On
        PostgreSQL the table is rewritten in id order, leaving no arrival order in its heap."""
        with self.engine.begin() as db:
            gone = db.execute(
                update(pvt_submissions)
                .where(pvt_submissions.c.id.in_(_verified()), pvt_submissions.c.photo.is_not(None))
                .values(photo=None)
            )
            if db.dialect.name == "postgresql":  # its heap keeps rows in arrival order
                db.exec_driver_sql("CLUSTER pvt_submissions USING pvt_submissions_pkey")
        return int(gone.rowcount)

    def results(self) -> list[tally.StationResult]:
        """Each station's verified votes per candidate (counted by the database) and its
        official protocol."""
        with self.engine.connect() as db:
            stations = [
                tally.Station(r.code, r.region, r.address) for r in db.execute(select(pvt_stations))
            ]
            official: dict[str, dict[str, int]] = {}
            for r in db.execute(select(pvt_protocols)):
                official.setdefault(r.station, {})[r.candidate] = r.votes
            verified: dict[str, dict[str, int]] = {}
            counts = db.execute(
                select(pvt_submissions.c.station, pvt_submissions.c.candidate, func.count())
                .where(pvt_submissions.c.id.in_(_verified()))
                .group_by(pvt_submissions.c.station, pvt_submissions.c.candidate)
            )
            for station, candidate, n in counts:
                verified.setdefault(station, {})[candidate] = n
        return tally.compare(stations, verified, official)

    def report(self) -> dict[str, Any]:
        return tally.report(self.results())

    def publish(self) -> chain.Publication:
        """Sign the current report onto the end of the publication chain."""
        with self.engine.begin() as db:
            last = db.execute(
                select(pvt_publications).order_by(pvt_publications.c.seq.desc()).limit(1)
            ).first()
            previous = (
                None if last is None else chain.Publication(last.body, last.hash, last.signature)
            )
            now = datetime.now(UTC).isoformat(timespec="seconds")
            p = chain.publish(self.key, previous, now, self.report())
            seq = 0 if last is None else last.seq + 1
            db.execute(
                insert(pvt_publications).values(
                    seq=seq, body=p.body, hash=p.hash, signature=p.signature
                )
            )
        return p

    def publications(self) -> list[chain.Publication]:
        with self.engine.connect() as db:
            rows = db.execute(select(pvt_publications).order_by(pvt_publications.c.seq))
            return [chain.Publication(r.body, r.hash, r.signature) for r in rows]
