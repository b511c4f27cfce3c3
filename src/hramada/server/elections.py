"""The election service: drafts in the database, opened elections in their archives.

Every state change an administrator or trustee makes is checked, logged, and only then
applied; casting touches no database at all, only the archive.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import Engine, insert, select, update

from hramada.counting.council import standing
from hramada.counting.rules import load_rules, rules_hash
from hramada.crypto.groups import get_group
from hramada.election.box import BallotBox
from hramada.election.credentials import parse_public_credentials
from hramada.election.errors import Rejected
from hramada.election.setup import make_election, make_trustees, new_uuid
from hramada.election.trustees import check_trustee_key, election_public_key
from hramada.protocol.archive import WriteFailed
from hramada.protocol.canonical import FormatError, decode, sha256_b64
from hramada.protocol.model import Template, TrusteePublicKey
from hramada.protocol.trustees import Trustee
from hramada.server import adminlog
from hramada.server.ceremony import Ceremonies, parse_threshold
from hramada.server.checking import Checker
from hramada.server.config import Settings
from hramada.server.council import seats_info
from hramada.server.drafts import (
    bind_rules,
    check_window,
    keyless_election,
    parse_draft,
    parse_time,
)
from hramada.server.durability import save_checkpoint
from hramada.server.live import Live
from hramada.server.problems import Problem
from hramada.server.registrations import Registrations
from hramada.server.tables import election_row, elections, trustees

Json = dict[str, Any]
log = logging.getLogger("hramada.server")
BOARD_PAGE = 500  # tracking codes per page of the bulletin board


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


def _withdrawn(decisions: list[Any]) -> list[tuple[str, str]]:
    """The (list, candidate) withdrawals among an election's public decisions, in order."""
    out = []
    for entry in decisions:
        if entry.action == "withdrawal":
            detail = entry.as_json()["detail"]
            out.append((detail["list"], detail["candidate"]))
    return out


def _refuse_private_credentials(data: bytes) -> None:
    """Refuse the credential authority's private file (voter -> credential) for the public one."""
    try:
        value = msgspec.json.decode(data)
    except msgspec.DecodeError:
        return  # not JSON at all: the public list's parser says why
    if isinstance(value, dict):
        raise Problem(
            400,
            "private credentials",
            "this is the private credential file, not public_credentials.json: it was not "
            "stored, but these credentials must now be treated as exposed: regenerate them "
            "all and upload the new public_credentials.json",
        )


class Elections:
    def __init__(self, engine: Engine, settings: Settings, checker: Checker) -> None:
        self.engine = engine
        self.settings = settings
        self.checker = checker
        self.ceremonies = Ceremonies(engine)
        self.registrations = Registrations(engine)
        self.live: dict[str, Live] = {}
        self.broken: dict[str, str] = {}  # uuid -> why its archive could not be loaded
        self._public: dict[str, Json] = {}  # uuid -> cached public info of opened elections
        self.pending = 0  # ballots being checked right now
        self._reported: set[str] = set()  # elections whose storage failure is in the log
        self._boards: dict[tuple[str, int, str | None], Json] = {}  # board pages built
        self._setup_locks: dict[str, asyncio.Lock] = {}
        settings.archives.mkdir(parents=True, exist_ok=True)

    def setup_lock(self, uuid: str) -> asyncio.Lock:
        """One draft's setup changes that leave the event loop (credentials checked, the
        registration closed, the opening) run one at a time: each sees what the last left."""
        return self._setup_locks.setdefault(uuid, asyncio.Lock())

    def path(self, uuid: str) -> Path:
        return self.settings.archives / f"{uuid}.bel"

    def rules_path(self, uuid: str) -> Path:
        """The seat rules file the election is bound to, kept byte for byte beside its archive."""
        return self.settings.archives / f"{uuid}.rules.json"

    def rules_text(self, uuid: str) -> bytes:
        if uuid not in self.live and uuid not in self.broken:
            raise Problem(404, "election", "there is no such election")  # nor a public draft
        try:
            return self.rules_path(uuid).read_bytes()
        except FileNotFoundError:
            raise Problem(404, "seat rules", "this election has no seat rules") from None

    def load(self) -> None:
        """Re-open every opened election from its archive (after a restart or a crash).

        An archive that cannot be replayed is reported and its election served read-only
        (its page and raw archive) while every other election runs; an election whose last
        event is EndBallots (a crash while closing) gets its encrypted tally now."""
        with self.engine.connect() as db:
            rows = db.execute(select(elections).where(elections.c.state != "draft")).all()
        for row in rows:
            opens, closes = _utc(row.opens_at), _utc(row.closes_at)
            path = self.path(row.uuid)
            try:
                live = Live.open(path, opens, closes, self.settings.workers)
            except (Rejected, FormatError, OSError) as e:
                self.broken[row.uuid] = f"{path.name}: {e}"
                log.error("election %s is served read-only: %s", row.uuid, self.broken[row.uuid])
                continue
            self.live[row.uuid] = live
            if live.box.phase == "closed":
                try:
                    self._finish_close(live, "server", row.uuid)
                except (Rejected, WriteFailed) as e:
                    log.error("election %s: its tally could not be computed: %s", row.uuid, e)

    def close_all(self) -> None:
        """At shutdown: checkpoint every election (a restart then checks no ballot again)."""
        for live in self.live.values():
            if not live.problem:
                save_checkpoint(live.box.writer)
            live.box.close_file()

    def _storage_failed(self, uuid: str, error: WriteFailed) -> Problem:
        """Report a failed append in the log (once per election) and tell the client plainly."""
        if uuid not in self._reported:
            self._reported.add(uuid)
            log.error("election %s stores nothing more until a restart: %s", uuid, error)
        return Problem(
            503,
            "storage",
            "the server could not store this safely, so nothing was recorded; the election "
            "accepts nothing more until the server is restarted",
        )

    # --- reading ---------------------------------------------------------------------

    def require_exists(self, uuid: str) -> None:
        election_row(self.engine, uuid)

    def _trustee_rows(self, uuid: str) -> list[Any]:
        with self.engine.connect() as db:
            query = select(trustees).where(trustees.c.election == uuid).order_by(trustees.c.id)
            return list(db.execute(query).all())

    def live_election(self, uuid: str) -> Live:
        live = self.live.get(uuid)
        if live is None:
            if uuid in self.broken:
                raise Problem(
                    503,
                    "archive",
                    "this election's archive could not be read; only its page and its raw "
                    "archive are served until the administrators repair it",
                )
            election_row(self.engine, uuid)  # 404 for an unknown election
            raise Problem(409, "not open", "the election is not open yet")
        return live

    def summaries(self, drafts: bool = False) -> list[Json]:
        with self.engine.connect() as db:
            rows = db.execute(select(elections).order_by(elections.c.created_at.desc())).all()
            closed = adminlog.close_times(db)
        out = []
        for row in rows:
            live = self.live.get(row.uuid)
            broken = row.uuid in self.broken
            if live is None and not drafts and not broken:
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
                    "state": live.state if live else "broken" if broken else "draft",
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
            "chain_head": box.writer.durable_head,
            "problem": live.problem,
            "trustees": [
                t | {"decrypted": n in box.decryptions} for n, t in enumerate(cached["trustees"], 1)
            ],
            "result": box.result,
        }

    def _changed(self, uuid: str) -> None:
        self._public.pop(uuid, None)

    def _info(self, uuid: str, admin: bool) -> Json:
        row = election_row(self.engine, uuid)
        live = self.live.get(uuid)
        broken = self.broken.get(uuid)
        if live is None and not admin and broken is None:
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
            "state": live.state if live else "broken" if broken else "draft",
            "problem": live.problem if live else broken,
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
                    "candidates": msgspec.to_builtins(q.candidates),
                }
                for q in template.questions
            ],
            "seats": self._seats(uuid, template, row.group_name, box, _withdrawn(decisions)),
            "eligible": len(box.ctx.credentials) if box else self._credential_count(row),
            "ballots": len(box.ballots) if box else 0,
            "voters": len(live.last) if live else 0,
            "chain_head": box.writer.durable_head if box else None,
            "fingerprint": box.ctx.fingerprint if box else None,
            "registry": self.registrations.binding(row),  # anonymous registration's keys
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
                | ({"id": t.id, "ceremony_steps": steps.get(t.id, 0)} if admin else {})
                for n, t in enumerate(trustee_rows, 1)
            ],
            "result": box.result if box else None,
            "total_weight": box.tally.total_weight if box and box.tally else None,
            "weighted": bool(box and any(w != 1 for w in box.ctx.credentials.values())),
        }
        if admin:
            creds = row.credentials
            info["credentials_fingerprint"] = sha256_b64(creds) if creds else None
            info["registration"] = row.registration
        return info

    def _seats(
        self,
        uuid: str,
        template: Template,
        group: str,
        box: BallotBox | None,
        withdrawn: list[tuple[str, str]],
    ) -> Any:
        """The seat rules and, once the result is published, the seats (None: no rules)."""
        path = self.rules_path(uuid)
        if not path.exists():
            return None
        election = box.ctx.election if box else keyless_election(template, group, uuid)
        result = box.result if box else None
        seed = box.writer.durable_head if box and box.result is not None else None
        turnout = None
        if box and box.tally:
            turnout = (box.tally.total_weight, sum(box.ctx.credentials.values()))
        return seats_info(path.read_bytes(), election, result, seed, turnout, withdrawn)

    def _credential_count(self, row: Any) -> int:
        if not row.credentials:
            return 0
        return len(msgspec.json.decode(row.credentials))

    def election_text(self, uuid: str) -> bytes:
        return self.live_election(uuid).setup[0]

    def registrations_json(self, uuid: str) -> Path:
        """registrations.json of an opened election that took anonymous registrations: a
        file beside its archive, written once (its content is fixed since the opening)."""
        self.live_election(uuid)
        path = self.settings.archives / f"{uuid}.registrations.json"
        if not path.exists():
            data = self.registrations.published(uuid)
            if data is None:
                raise Problem(404, "registrations", "this election took no anonymous registrations")
            temporary = path.with_suffix(".tmp")
            temporary.write_bytes(data)
            temporary.replace(path)
        return path

    def archive_chunks(self, uuid: str, size: int = 1 << 20) -> Iterator[bytes]:
        """The archive up to its last durable event (appends in progress are left out); an
        archive that could not be loaded is served as it is, for the observers."""
        if uuid in self.broken:
            path = self.path(uuid)
            remaining = path.stat().st_size
        else:
            writer = self.live_election(uuid).box.writer
            path, remaining = writer.path, writer.durable

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

    def board(self, uuid: str, page: int = 1) -> Json:
        """One page of the bulletin board (BOARD_PAGE tracking codes, in the order received),
        with the totals; a page is built once per state of the archive."""
        live = self.live_election(uuid)
        head = live.box.writer.durable_head
        key = (uuid, page, head)
        cached = self._boards.get(key)
        if cached is None:
            if len(self._boards) >= 256:
                self._boards.clear()
            cached = self._boards[key] = live.board_page(page, BOARD_PAGE) | {"chain_head": head}
        return cached

    def find(self, uuid: str, code: str) -> Json:
        """Exact: the code is looked up among every ballot, whichever page lists it."""
        live = self.live_election(uuid)
        i = live.index.get(code.strip())
        if i is None:
            return {"found": False, "superseded": False, "page": None}
        return {"found": True, "superseded": live.superseded(i), "page": i // BOARD_PAGE + 1}

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
            except WriteFailed as e:
                raise self._storage_failed(uuid, e) from None
        try:
            await live.commit.durable(ticket)
        except WriteFailed as e:
            raise self._storage_failed(uuid, e) from None
        return checked.tracker

    # --- administrators --------------------------------------------------------------

    def _draft(self, uuid: str) -> Any:
        row = election_row(self.engine, uuid)
        if row.state != "draft":
            raise Problem(409, "setup fixed", "the election is already open: its setup is fixed")
        return row

    def create(self, admin: tuple[int, str], body: Json) -> str:
        template, group = parse_draft(body)
        template, rules = bind_rules(body, template, group)
        opens = parse_time(body.get("opens_at"), "opens_at")
        closes = parse_time(body.get("closes_at"), "closes_at")
        check_window(opens, closes)
        threshold = parse_threshold(body.get("threshold"))
        uuid = new_uuid()
        if rules is not None:
            self.rules_path(uuid).write_bytes(rules)
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
            if rules is not None:
                detail["seat_rules"] = rules_hash(rules)
            adminlog.record(db, admin[1], "create", detail, uuid)
        return uuid

    def set_credentials(self, admin: tuple[int, str], uuid: str, data: bytes) -> Json:
        row = self._draft(uuid)
        if row.registry is not None:
            raise Problem(
                409, "registry", "this election's credentials come from its registration phase"
            )
        _refuse_private_credentials(data)
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

    def set_registry(self, admin: tuple[int, str], uuid: str, data: bytes) -> Json:
        return self.registrations.set_registry(admin, self._draft(uuid), data)

    def open_registration(self, admin: tuple[int, str], uuid: str) -> None:
        self.registrations.open(admin, self._draft(uuid))

    def close_registration(self, admin: tuple[int, str], uuid: str) -> Json:
        return self.registrations.close(admin, self._draft(uuid))

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

    def reissue_link(self, admin: tuple[int, str], uuid: str, trustee_id: int) -> Json:
        """Revoke a trustee's link and issue a new one (a lost link must not make the
        election undecryptable); logged publicly."""
        row = next((t for t in self._trustee_rows(uuid) if t.id == trustee_id), None)
        if row is None:
            raise Problem(404, "trustee", "there is no such trustee in this election")
        token = secrets.token_urlsafe(32)
        with self.engine.begin() as db:
            db.execute(
                update(trustees)
                .where(trustees.c.id == trustee_id)
                .values(token_hash=_token_hash(token))
            )
            adminlog.record(db, admin[1], "trustee link", {"name": row.name}, uuid, public=True)
        self._changed(uuid)
        return {"id": trustee_id, "link": f"/trustee/{token}"}

    def set_window(self, admin: tuple[int, str], uuid: str, body: Json) -> Json:
        row = election_row(self.engine, uuid)
        live = self.live.get(uuid)
        opens = parse_time(body.get("opens_at"), "opens_at")
        closes = parse_time(body.get("closes_at"), "closes_at")
        check_window(opens, closes)
        reason = body.get("reason", "")
        if not isinstance(reason, str) or len(reason) > 2000:
            raise Problem(400, "window", "the reason is a text of at most 2000 characters")
        if live is not None:
            if live.box.phase != "voting":
                raise Problem(409, "voting over", f"the election is already {live.state}")
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

    def withdraw(self, admin: tuple[int, str], uuid: str, body: Json) -> Json:
        """Record, publicly, that a candidate of a list has withdrawn after the lists were fixed:
        the seats then go to the next candidates of that list."""
        live = self.live_election(uuid)
        path = self.rules_path(uuid)
        if not path.exists():
            raise Problem(409, "seat rules", "this election has no seat rules")
        list_name, name, reason = body.get("list"), body.get("candidate"), body.get("reason", "")
        if not all(isinstance(v, str) for v in (list_name, name, reason)) or len(reason) > 2000:
            raise Problem(400, "withdrawal", "list, candidate and reason are texts")
        assert isinstance(list_name, str) and isinstance(name, str) and isinstance(reason, str)
        with self.engine.connect() as db:
            done = _withdrawn(adminlog.entries(db, election=uuid, public_only=True))
        if (list_name, name) in done:
            raise Problem(409, "withdrawal", f"{name!r} of {list_name!r} has withdrawn already")
        people = standing(load_rules(path.read_bytes()), live.box.ctx.election)
        if all(c.name != name for c in people.get(list_name) or []):
            raise Problem(400, "withdrawal", f"{name!r} is not a candidate of list {list_name!r}")
        detail = {"list": list_name, "candidate": name, "reason": reason.strip()}
        with self.engine.begin() as db:
            adminlog.record(db, admin[1], "withdrawal", detail, uuid, public=True)
        self._changed(uuid)
        return detail

    async def open(self, admin: tuple[int, str], uuid: str) -> None:
        """Fix the setup: joint key from the trustees' keys, the credentials; write Setup."""
        async with self.setup_lock(uuid):
            await self._open(admin, uuid)

    async def _open(self, admin: tuple[int, str], uuid: str) -> None:
        row = self._draft(uuid)
        if row.registry is not None and row.registration != "closed":
            raise Problem(409, "registration", "close the registration first")
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
        binding = self.registrations.binding(row)
        if binding is not None:  # the registry's keys, covered by the election's fingerprint
            template = msgspec.structs.replace(template, credential_authority=binding)
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
        """End the voting and append the encrypted tally of the last ballot of each voter.

        Resumable: an election closed before a crash cut its tally off gets the tally now."""
        live = self.live_election(uuid)
        async with live.lock:
            live.require_writable()
            if live.box.phase not in ("voting", "closed"):
                raise Problem(409, "already closed", f"the election is already {live.state}")
            try:
                await live.commit.durable(live.commit.ticket())  # the pending ballots first
                await asyncio.to_thread(self._finish_close, live, admin[1], uuid)
            except WriteFailed as e:
                raise self._storage_failed(uuid, e) from None

    def _finish_close(self, live: Live, actor: str, uuid: str) -> None:
        """EndBallots unless written already, then the encrypted tally; logged once done."""
        resumed = live.box.phase == "closed"
        if not resumed:
            live.box.close()
        live.box.compute_tally()
        with self.engine.begin() as db:
            detail = {"ballots": len(live.box.ballots), "voters": len(live.last)}
            if resumed:
                detail["resumed"] = True
            adminlog.record(db, actor, "close", detail, uuid, public=True)
        self._changed(uuid)

    async def publish(self, admin: tuple[int, str], uuid: str) -> None:
        live = self.live_election(uuid)
        async with live.lock:
            live.require_writable()
            if live.box.phase != "tallied":
                raise Problem(409, "not closed", f"the election is {live.state}: close it first")
            needed = self.ceremonies.threshold(uuid) or len(self._trustee_rows(uuid))
            missing = needed - len(live.box.decryptions)
            if missing > 0:
                raise Problem(
                    409, "decryptions missing", f"{missing} trustee(s) have not decrypted yet"
                )
            try:
                result = await asyncio.to_thread(live.box.publish_result)
            except Rejected as e:
                raise Problem.rejected(e) from None
            except WriteFailed as e:
                raise self._storage_failed(uuid, e) from None
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
        template = msgspec.json.decode(election_row(self.engine, row.election).template)
        return {
            "election": row.election,
            "election_name": template["name"],
            "name": row.name,
            "group": election_row(self.engine, row.election).group_name,
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
        if row.public_key == data:
            return  # the same key again: already accepted and logged
        with self.engine.begin() as db:
            db.execute(update(trustees).where(trustees.c.id == row.id).values(public_key=data))
            detail = {"name": row.name, "key": sha256_b64(data)}
            adminlog.record(db, f"trustee:{row.name}", "trustee key", detail, row.election, True)

    async def submit_decryption(self, token: str, data: bytes) -> None:
        row, number = await asyncio.to_thread(self.trustee, token)
        live = self.live_election(row.election)
        async with live.lock:
            live.require_writable()
            try:
                await asyncio.to_thread(live.box.add_partial_decryption, number, data)
            except Rejected as e:
                raise Problem.rejected(e) from None
            except WriteFailed as e:
                raise self._storage_failed(row.election, e) from None
        with self.engine.begin() as db:
            detail = {"name": row.name, "owner": number}
            adminlog.record(db, f"trustee:{row.name}", "decryption", detail, row.election, True)
        self._changed(row.election)
