"""The election service: drafts in the database, opened elections in their archives.

Every state change an administrator or trustee makes is checked, logged, and only then
applied; casting touches no database at all, only the archive.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import Engine, insert, select, update

from hramada.crypto.groups import get_group
from hramada.election.box import BallotBox
from hramada.election.credentials import parse_public_credentials
from hramada.election.errors import Rejected
from hramada.election.setup import make_election, make_trustees, new_uuid
from hramada.election.trustees import check_trustee_key, election_public_key
from hramada.protocol.canonical import FormatError, decode, sha256_b64
from hramada.protocol.model import Template, TrusteePublicKey
from hramada.protocol.trustees import Trustee
from hramada.server import adminlog
from hramada.server.ceremony import Ceremonies, parse_threshold
from hramada.server.checking import Checker
from hramada.server.config import Settings
from hramada.server.drafts import check_window, parse_draft, parse_time
from hramada.server.live import Live
from hramada.server.problems import Problem
from hramada.server.tables import elections, trustees

Json = dict[str, Any]


def _utc(t: datetime | None) -> datetime | None:
    return None if t is None or t.tzinfo else t.replace(tzinfo=UTC)  # SQLite drops the zone


def _iso(t: datetime | None) -> str | None:
    return None if t is None else adminlog.iso(t)


def _closed_early(closed: str | None, closes: datetime | None) -> str | None:
    """The time the election was closed, when that was before its planned end (else None)."""
    if closed is None or (closes is not None and closes <= datetime.fromisoformat(closed)):
        return None
    return closed


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Elections:
    def __init__(self, engine: Engine, settings: Settings, checker: Checker) -> None:
        self.engine = engine
        self.settings = settings
        self.checker = checker
        self.ceremonies = Ceremonies(engine)
        self.live: dict[str, Live] = {}
        self._public: dict[str, Json] = {}  # uuid -> cached public info of opened elections
        self.pending = 0  # ballots being checked right now
        settings.archives.mkdir(parents=True, exist_ok=True)

    def path(self, uuid: str) -> Path:
        return self.settings.archives / f"{uuid}.bel"

    def load(self) -> None:
        """Re-open every opened election from its archive (after a restart or a crash)."""
        with self.engine.connect() as db:
            rows = db.execute(select(elections).where(elections.c.state != "draft")).all()
        for row in rows:
            opens, closes = _utc(row.opens_at), _utc(row.closes_at)
            path = self.path(row.uuid)
            self.live[row.uuid] = Live.open(path, opens, closes, self.settings.workers)

    # --- reading ---------------------------------------------------------------------

    def _row(self, uuid: str) -> Any:
        with self.engine.connect() as db:
            row = db.execute(select(elections).where(elections.c.uuid == uuid)).first()
        if row is None:
            raise Problem(404, "election", "there is no such election")
        return row

    def _trustee_rows(self, uuid: str) -> list[Any]:
        with self.engine.connect() as db:
            query = select(trustees).where(trustees.c.election == uuid).order_by(trustees.c.id)
            return list(db.execute(query).all())

    def live_election(self, uuid: str) -> Live:
        live = self.live.get(uuid)
        if live is None:
            self._row(uuid)  # 404 for an unknown election
            raise Problem(409, "phase", "the election is not open yet")
        return live

    def summaries(self, drafts: bool = False) -> list[Json]:
        with self.engine.connect() as db:
            rows = db.execute(select(elections).order_by(elections.c.created_at.desc())).all()
            closed = adminlog.close_times(db)
        out = []
        for row in rows:
            live = self.live.get(row.uuid)
            if live is None and not drafts:
                continue
            template = msgspec.json.decode(row.template)
            out.append(
                {
                    "uuid": row.uuid,
                    "name": template["name"],
                    "translations": {
                        lang: {"name": tr["name"]}
                        for lang, tr in (template.get("translations") or {}).items()
                    },
                    "state": live.state if live else "draft",
                    "voting": bool(live and live.voting_now()),
                    "opens_at": _iso(_utc(row.opens_at)),
                    "closes_at": _iso(_utc(row.closes_at)),
                    "closed_at": _closed_early(closed.get(row.uuid), _utc(row.closes_at)),
                }
            )
        return out

    def info(self, uuid: str, admin: bool = False) -> Json:
        """What the public (or, with more, an administrator) sees of an election.

        Voters' pages must not wait on the database: the public view of an opened election
        is cached, its counts taken from the ballot box, and dropped on every decision."""
        live = self.live.get(uuid)
        if admin or live is None:
            return self._info(uuid, admin)
        cached = self._public.get(uuid)
        if cached is None:
            cached = self._public[uuid] = self._info(uuid, admin=False)
        box = live.box
        return cached | {
            "state": live.state,
            "voting": live.voting_now(),
            "ballots": len(box.ballots),
            "voters": len(live.last),
            "chain_head": box.writer.archive.last_event,
            "trustees": [
                t | {"decrypted": n in box.decryptions} for n, t in enumerate(cached["trustees"], 1)
            ],
            "result": box.result,
        }

    def _changed(self, uuid: str) -> None:
        self._public.pop(uuid, None)

    def _info(self, uuid: str, admin: bool) -> Json:
        row = self._row(uuid)
        live = self.live.get(uuid)
        if live is None and not admin:
            raise Problem(404, "election", "there is no such election")
        template = decode(row.template, Template, "template")
        with self.engine.connect() as db:
            decisions = adminlog.entries(db, election=uuid, public_only=True)
        box = live.box if live else None
        trustee_rows = self._trustee_rows(uuid)
        decrypted = set(box.decryptions) if box else set()
        steps = self.ceremonies.progress(uuid)
        info: Json = {
            "uuid": uuid,
            "name": template.name,
            "description": template.description,
            "translations": msgspec.to_builtins(template.translations or {}),
            "state": live.state if live else "draft",
            "voting": bool(live and live.voting_now()),
            "opens_at": _iso(_utc(row.opens_at)),
            "closes_at": _iso(_utc(row.closes_at)),
            "closed_at": _closed_early(
                max((e.time for e in decisions if e.action == "close"), default=None),
                _utc(row.closes_at),
            ),
            "group": row.group_name,
            "threshold": self.ceremonies.threshold(uuid),
            "questions": [
                {
                    "question": q.question,
                    "answers": q.answers,
                    "min": q.min,
                    "max": q.max,
                    "blank": bool(q.blank),
                }
                for q in template.questions
            ],
            "eligible": len(box.ctx.credentials) if box else self._credential_count(row),
            "ballots": len(box.ballots) if box else 0,
            "voters": len(live.last) if live else 0,
            "chain_head": box.writer.archive.last_event if box else None,
            "fingerprint": box.ctx.fingerprint if box else None,
            "decisions": [
                {"time": e.time, "action": e.action, "detail": e.as_json()["detail"]}
                for e in decisions
            ],
            "trustees": [
                {
                    "name": t.name,
                    "key_submitted": t.public_key is not None or steps.get(t.id) == 3,
                    "decrypted": n in decrypted,
                }
                | ({"id": t.id} if admin else {})
                for n, t in enumerate(trustee_rows, 1)
            ],
            "result": box.result if box else None,
            "total_weight": box.tally.total_weight if box and box.tally else None,
            "weighted": bool(box and any(w != 1 for w in box.ctx.credentials.values())),
        }
        if admin:
            creds = row.credentials
            info["credentials_fingerprint"] = sha256_b64(creds) if creds else None
        return info

    def _credential_count(self, row: Any) -> int:
        if not row.credentials:
            return 0
        return len(msgspec.json.decode(row.credentials))

    def election_text(self, uuid: str) -> bytes:
        return self.live_election(uuid).setup[0]

    def archive_chunks(self, uuid: str, size: int = 1 << 20) -> Iterator[bytes]:
        """The archive up to its last complete event (appends in progress are left out)."""
        writer = self.live_election(uuid).box.writer
        path, remaining = writer.path, writer.length

        def chunks() -> Iterator[bytes]:
            nonlocal remaining
            with open(path, "rb") as f:
                while remaining > 0:
                    chunk = f.read(min(size, remaining))
                    if not chunk:
                        return
                    remaining -= len(chunk)
                    yield chunk

        return chunks()

    def board(self, uuid: str) -> Json:
        live = self.live_election(uuid)
        return {
            "chain_head": live.box.writer.archive.last_event,
            "ballots": [
                {"tracking_code": b.tracker, "superseded": live.superseded(i)}
                for i, b in enumerate(live.box.ballots)
            ],
        }

    def find(self, uuid: str, code: str) -> Json:
        live = self.live_election(uuid)
        i = live.index.get(code.strip())
        return {"found": i is not None, "superseded": i is not None and live.superseded(i)}

    # --- voters ----------------------------------------------------------------------

    async def cast(self, uuid: str, data: bytes) -> str:
        """Check a ballot off the event loop, append it, and return its tracking code once
        it is on disk."""
        live = self.live_election(uuid)
        live.require_voting()
        if self.pending >= self.settings.limits.max_pending_ballots:
            raise Problem(503, "busy", "the server is busy: please try again in a minute")
        self.pending += 1
        try:
            checked = await self.checker.check(uuid, data, live.setup)
        except Rejected as e:
            raise Problem.rejected(e) from None
        finally:
            self.pending -= 1
        async with live.lock:
            live.require_voting()  # it may have closed while the proofs were checked
            try:
                ticket = live.accept(data, checked)
            except Rejected as e:
                raise Problem.rejected(e) from None
        await live.commit.durable(ticket)
        return checked.tracker

    # --- administrators --------------------------------------------------------------

    def _draft(self, uuid: str) -> Any:
        row = self._row(uuid)
        if row.state != "draft":
            raise Problem(409, "phase", "the election is already open: its setup is fixed")
        return row

    def create(self, admin: tuple[int, str], body: Json) -> str:
        template, group = parse_draft(body)
        opens = parse_time(body.get("opens_at"), "opens_at")
        closes = parse_time(body.get("closes_at"), "closes_at")
        check_window(opens, closes)
        threshold = parse_threshold(body.get("threshold"))
        uuid = new_uuid()
        with self.engine.begin() as db:
            db.execute(
                insert(elections).values(
                    uuid=uuid,
                    template=msgspec.json.encode(template).decode(),
                    group_name=group,
                    state="draft",
                    opens_at=opens,
                    closes_at=closes,
                    created_by=admin[0],
                    created_at=datetime.now(UTC),
                )
            )
            if threshold is not None:
                Ceremonies.create(db, uuid, threshold)
            detail = {"name": template.name, "group": group, "threshold": threshold}
            adminlog.record(db, admin[1], "create", detail, uuid)
        return uuid

    def set_credentials(self, admin: tuple[int, str], uuid: str, data: bytes) -> Json:
        row = self._draft(uuid)
        try:
            count = len(parse_public_credentials(get_group(row.group_name), data))
        except Rejected as e:
            raise Problem.rejected(e) from None
        fingerprint = sha256_b64(data)
        with self.engine.begin() as db:
            db.execute(update(elections).where(elections.c.uuid == uuid).values(credentials=data))
            detail = {"count": count, "fingerprint": fingerprint}
            adminlog.record(db, admin[1], "credentials", detail, uuid, public=True)
        return {"count": count, "fingerprint": fingerprint}

    def add_trustee(self, admin: tuple[int, str], uuid: str, name: object) -> Json:
        self._draft(uuid)
        self.ceremonies.require_not_started(uuid)
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= 200:
            raise Problem(400, "trustee", "a trustee's name is 1 to 200 characters")
        token = secrets.token_urlsafe(32)
        with self.engine.begin() as db:
            result = db.execute(
                insert(trustees).values(
                    election=uuid, name=name.strip(), token_hash=_token_hash(token)
                )
            )
            ident = result.inserted_primary_key[0] if result.inserted_primary_key else None
            adminlog.record(db, admin[1], "trustee", {"name": name.strip()}, uuid, public=True)
        return {"id": ident, "link": f"/trustee/{token}"}

    def set_window(self, admin: tuple[int, str], uuid: str, body: Json) -> Json:
        row = self._row(uuid)
        live = self.live.get(uuid)
        opens = parse_time(body.get("opens_at"), "opens_at")
        closes = parse_time(body.get("closes_at"), "closes_at")
        check_window(opens, closes)
        reason = body.get("reason", "")
        if not isinstance(reason, str) or len(reason) > 2000:
            raise Problem(400, "window", "the reason is a text of at most 2000 characters")
        if live is not None:
            if live.box.phase != "voting":
                raise Problem(409, "phase", f"the election is {live.state}")
            if not reason.strip():
                raise Problem(
                    400, "window", "changing the window of an open election needs a reason"
                )
        detail = {
            "opens_at": _iso(opens),
            "closes_at": _iso(closes),
            "previous": [_iso(_utc(row.opens_at)), _iso(_utc(row.closes_at))],
            "reason": reason.strip(),
        }
        with self.engine.begin() as db:
            db.execute(
                update(elections)
                .where(elections.c.uuid == uuid)
                .values(opens_at=opens, closes_at=closes)
            )
            adminlog.record(db, admin[1], "window", detail, uuid, public=True)
        if live is not None:
            live.opens_at, live.closes_at = opens, closes
        self._changed(uuid)
        return {"opens_at": _iso(opens), "closes_at": _iso(closes)}

    async def open(self, admin: tuple[int, str], uuid: str) -> None:
        """Fix the setup: joint key from the trustees' keys, the credentials; write Setup."""
        row = self._draft(uuid)
        if not row.credentials:
            raise Problem(409, "credentials", "upload the public credentials first")
        keys = self._trustee_rows(uuid)
        group = get_group(row.group_name)
        items: list[Trustee]
        if self.ceremonies.threshold(uuid) is not None:
            items = [self.ceremonies.parameters(uuid)]  # 409 until the ceremony is complete
        elif not keys or any(t.public_key is None for t in keys):
            raise Problem(409, "trustee", "every trustee must submit a key first")
        else:
            items = [decode(t.public_key, TrusteePublicKey, "trustee key") for t in keys]
        try:
            y = election_public_key(group, items)
        except Rejected as e:
            raise Problem.rejected(e) from None
        template = decode(row.template, Template, "template")
        election = make_election(template, group, uuid, y)
        path = self.path(uuid)
        path.unlink(missing_ok=True)  # a draft's archive was never shown to anyone
        try:
            box = await asyncio.to_thread(
                BallotBox.create, path, election, make_trustees(items), row.credentials
            )
        except Rejected as e:
            path.unlink(missing_ok=True)
            raise Problem.rejected(e) from None
        with self.engine.begin() as db:
            db.execute(update(elections).where(elections.c.uuid == uuid).values(state="opened"))
            detail = {"fingerprint": box.ctx.fingerprint, "trustees": len(keys)}
            adminlog.record(db, admin[1], "open", detail, uuid, public=True)
        self.live[uuid] = Live(box, _utc(row.opens_at), _utc(row.closes_at))

    async def close(self, admin: tuple[int, str], uuid: str) -> None:
        """End the voting and append the encrypted tally of the last ballot of each voter."""
        live = self.live_election(uuid)
        async with live.lock:
            if live.box.phase != "voting":
                raise Problem(409, "phase", f"the election is {live.state}")

            def close_and_tally() -> None:
                live.box.close()
                live.box.compute_tally()

            await asyncio.to_thread(close_and_tally)
        with self.engine.begin() as db:
            detail = {"ballots": len(live.box.ballots), "voters": len(live.last)}
            adminlog.record(db, admin[1], "close", detail, uuid, public=True)
        self._changed(uuid)

    async def publish(self, admin: tuple[int, str], uuid: str) -> None:
        live = self.live_election(uuid)
        async with live.lock:
            if live.box.phase != "tallied":
                raise Problem(409, "phase", f"the election is {live.state}, not tallied")
            needed = self.ceremonies.threshold(uuid) or len(self._trustee_rows(uuid))
            missing = needed - len(live.box.decryptions)
            if missing > 0:
                raise Problem(409, "phase", f"{missing} trustee(s) have not decrypted yet")
            try:
                result = await asyncio.to_thread(live.box.publish_result)
            except Rejected as e:
                raise Problem.rejected(e) from None
        with self.engine.begin() as db:
            adminlog.record(db, admin[1], "publish", {"result": result}, uuid, public=True)
        self._changed(uuid)

    # --- trustees --------------------------------------------------------------------

    def trustee(self, token: str) -> tuple[Any, int]:
        """The trustee row for a link token, and its owner number in the election."""
        with self.engine.connect() as db:
            row = db.execute(
                select(trustees).where(trustees.c.token_hash == _token_hash(token))
            ).first()
        if row is None:
            raise Problem(404, "trustee", "this trustee link is not valid")
        ids = [t.id for t in self._trustee_rows(row.election)]
        return row, ids.index(row.id) + 1

    def trustee_info(self, token: str) -> Json:
        row, number = self.trustee(token)
        live = self.live.get(row.election)
        threshold = self.ceremonies.threshold(row.election)
        ceremony_done = self.ceremonies.progress(row.election).get(row.id) == 3
        return {
            "election": row.election,
            "name": row.name,
            "group": self._row(row.election).group_name,
            "state": live.state if live else "draft",
            "threshold": threshold,  # None: one key per trustee; else `hramada trustee threshold`
            "key_submitted": row.public_key is not None or ceremony_done,
            "decryption_submitted": bool(live and number in live.box.decryptions),
            "archive": f"/elections/{row.election}/archive.bel",
        }

    def submit_key(self, token: str, data: bytes) -> None:
        row, _ = self.trustee(token)
        draft = self._draft(row.election)
        if self.ceremonies.threshold(row.election) is not None:
            raise Problem(
                409,
                "trustee",
                "this election uses a threshold key ceremony: run `hramada trustee threshold`",
            )
        group = get_group(draft.group_name)
        try:
            key = decode(data, TrusteePublicKey, "trustee public key")
            check_trustee_key(group, key, "the submitted key")
        except FormatError as e:
            raise Problem(400, "trustee key", str(e)) from None
        except Rejected as e:
            raise Problem.rejected(e) from None
        with self.engine.begin() as db:
            db.execute(update(trustees).where(trustees.c.id == row.id).values(public_key=data))
            detail = {"name": row.name, "key": sha256_b64(data)}
            adminlog.record(db, f"trustee:{row.name}", "trustee key", detail, row.election, True)

    async def submit_decryption(self, token: str, data: bytes) -> None:
        row, number = self.trustee(token)
        live = self.live_election(row.election)
        async with live.lock:
            try:
                await asyncio.to_thread(live.box.add_partial_decryption, number, data)
            except Rejected as e:
                raise Problem.rejected(e) from None
        with self.engine.begin() as db:
            detail = {"name": row.name, "owner": number}
            adminlog.record(db, f"trustee:{row.name}", "decryption", detail, row.election, True)
        self._changed(row.election)
