"""`hramada registry serve`: registrars enrol members by tag (on the registrar's page or from the
command line), members get one blind signature per election, the admin gets the signed issuance
statement. No request body is ever logged."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nacl.bindings import crypto_core_ed25519_is_valid_point
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hramada.crypto import blind_rsa
from hramada.election import registrations as reg
from hramada.protocol.canonical import decode, encode
from hramada.registry import messages as m
from hramada.registry import pages
from hramada.registry import registry_store as store
from hramada.registry.issuance import IssuedFlags
from hramada.registry.member_page import MemberPage
from hramada.registry.member_page import routes as member_routes
from hramada.registry.signer import Signers
from hramada.registry.web import HEADERS, Bucket, Refused, guard, problem, read_body

SESSION_SECONDS = 8 * 3600
CHALLENGE_SECONDS = 300
MAX_CHALLENGES = 100_000
ISSUED = "this member already has a credential for it"


@dataclass
class ElectionKeys:
    """One election's registry keys, loaded from the data folder on first use."""

    public: reg.RegistryKey
    blind: blind_rsa.PublicKey
    blind_file: Path  # the private key, which the signing processes load
    statement: SigningKey


def _json(body: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(body)
    except ValueError:
        raise Refused(400, "json", "the body is not JSON") from None
    if not isinstance(doc, dict):
        raise Refused(400, "json", "the body is not a JSON object")
    return doc


def _hex(doc: dict[str, Any], name: str, length: int) -> str:
    value = doc.get(name)
    if not isinstance(value, str) or len(value) != length:
        raise Refused(400, name, f"{name} must be {length} hex digits")
    try:
        bytes.fromhex(value)
    except ValueError:
        raise Refused(400, name, f"{name} must be {length} hex digits") from None
    return value.lower()


def _verify(key: str | bytes, message: bytes, signature: str) -> bool:
    try:
        raw = key if isinstance(key, bytes) else bytes.fromhex(key)
        VerifyKey(raw).verify(message, bytes.fromhex(signature))
    except (BadSignatureError, ValueError):
        return False
    return True


def create_app(
    engine: Engine,
    data: Path,
    *,
    workers: int = 1,
    custodian_origins: Sequence[str] = (),
    member: MemberPage | None = None,
) -> Starlette:
    """The registry's service with `workers` signing processes (0: sign in this process);
    `custodian_origins` are the custodians its registrar page may ask, `member` the election
    servers and delay of its member page."""
    sessions: dict[str, tuple[store.Registrar, float]] = {}  # memory only
    challenges: dict[str, float] = {}  # outstanding challenges and their expiry
    failures = Bucket(60.0, 20.0)  # failed logins per minute, everyone together
    keys: dict[str, ElectionKeys] = {}
    flags = IssuedFlags(engine)
    signers: list[Signers] = []  # while the service runs

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        signers.append(Signers(workers))
        try:
            yield
        finally:
            signers.pop().close()

    def registrar(request: Request, role: str) -> store.Registrar:
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        found = sessions.get(token)
        if found is None or found[1] < time.monotonic():
            raise Refused(401, "authentication", "log in as a registrar first")
        if found[0].role != role:
            raise Refused(403, "role", f"only a registry {role} may do this")
        return found[0]

    def election_keys(uuid: str) -> ElectionKeys:
        if uuid not in keys:
            with engine.connect() as db:
                row = db.execute(
                    select(store.elections).where(store.elections.c.uuid == uuid)
                ).first()
            if row is None:
                raise Refused(404, "election", "this registry issues no credentials for it")
            folder = store.keys_folder(data, uuid)
            public = decode(row.registry_key.encode(), reg.RegistryKey, "registry key")
            keys[uuid] = ElectionKeys(
                public,
                reg.blind_key(public),
                folder / "blind.key",
                SigningKey(bytes.fromhex((folder / "statement.key").read_text().strip())),
            )
        return keys[uuid]

    async def keys_for(uuid: str) -> ElectionKeys:
        """The election's keys; read from the database and files off the event loop once."""
        return keys[uuid] if uuid in keys else await run_in_threadpool(election_keys, uuid)

    async def public(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(_public), headers=HEADERS)

    def _public() -> dict[str, Any]:
        with engine.connect() as db:
            listed = db.execute(
                select(store.elections.c.uuid, func.count(store.issued.c.tag))
                .select_from(store.elections.outerjoin(store.issued))
                .group_by(store.elections.c.uuid)
            ).all()
        counts = store.public_counts(engine)
        return {**counts, "elections": {uuid: {"issued": n} for uuid, n in listed}}

    async def login(request: Request) -> Response:
        doc = _json(await read_body(request))
        name, password = doc.get("name"), doc.get("password")
        if not isinstance(name, str) or not isinstance(password, str):
            raise Refused(400, "login", 'expected {"name": ..., "password": ...}')
        found = await run_in_threadpool(store.check_password, engine, name, password)
        if found is None:
            if not failures.take(1):
                raise Refused(429, "rate", "too many failed logins: wait a minute")
            raise Refused(401, "login", "unknown registrar or wrong password")
        now = time.monotonic()
        for expired in [t for t, (_, until) in sessions.items() if until < now]:
            del sessions[expired]
        token = secrets.token_urlsafe(32)
        sessions[token] = (found, now + SESSION_SECONDS)
        return JSONResponse({"token": token, "role": found.role}, headers=HEADERS)

    async def enrol(request: Request) -> Response:
        who = registrar(request, "registrar")
        doc = _json(await read_body(request))
        tag = _hex(doc, "tag", m.TAG_HEX)
        member_key = _hex(doc, "member_key", m.KEY_HEX)
        nonce = _hex(doc, "challenge", m.CHALLENGE_HEX)
        record = _hex(doc, "record", m.SIGNATURE_HEX)
        live_challenge(nonce)
        if not _verify(who.record_key, m.record_message(nonce, tag, member_key), record):
            raise Refused(400, "record", "the registrar's record signature does not verify")
        if not crypto_core_ed25519_is_valid_point(bytes.fromhex(member_key)):
            raise Refused(400, "member_key", "the member key is not an Ed25519 key")
        challenges.pop(nonce, None)  # used once, whatever follows
        replaced = await run_in_threadpool(_enrol, who, tag, member_key, nonce, record)
        status = 200 if replaced else 201
        return JSONResponse({"replaced": replaced}, status_code=status, headers=HEADERS)

    def _enrol(who: store.Registrar, tag: str, member_key: str, nonce: str, record: str) -> bool:
        t = store.members
        try:
            with engine.begin() as db:
                old = db.execute(select(t.c.member_key).where(t.c.tag == tag)).first()
                values = {
                    "member_key": member_key,
                    "registrar": who.id,
                    "challenge": nonce,
                    "record": record,
                }
                if old is None:
                    db.execute(t.insert().values(tag=tag, **values))
                    store.bump(db, "enrolments")
                    store.bump(db, f"enrolments:{who.name}")
                    return False
                if old.member_key == member_key:
                    raise Refused(409, "unchanged", "this member is enrolled with this key")
                db.execute(t.update().where(t.c.tag == tag).values(**values))
                store.bump(db, "re-enrolments")
                store.bump(db, f"re-enrolments:{who.name}")
                return True
        except IntegrityError:
            raise Refused(409, "member_key", "this key belongs to another member") from None

    def live_challenge(nonce: str) -> None:
        expiry = challenges.get(nonce)
        if expiry is None or expiry < time.monotonic():
            raise Refused(401, "challenge", "unknown, used or expired challenge: ask for another")

    async def challenge(request: Request) -> Response:
        now = time.monotonic()
        if len(challenges) >= MAX_CHALLENGES:
            for c in [c for c, t in challenges.items() if t < now]:
                del challenges[c]
            if len(challenges) >= MAX_CHALLENGES:
                raise Refused(429, "rate", "too many outstanding challenges: wait a minute")
        value = secrets.token_hex(32)
        challenges[value] = now + CHALLENGE_SECONDS
        return JSONResponse({"challenge": value}, headers=HEADERS)

    async def election(request: Request) -> Response:
        uuid = request.path_params["uuid"]
        found = await keys_for(uuid)
        n = await run_in_threadpool(_issued, uuid)
        body = {"uuid": uuid, "registry": json.loads(encode(found.public)), "issued": n}
        return JSONResponse(body, headers=HEADERS)

    def _issued(uuid: str) -> int:
        with engine.connect() as db:
            query = select(func.count()).where(store.issued.c.election == uuid)
            return int(db.execute(query).scalar_one())

    async def sign(request: Request) -> Response:
        uuid = request.path_params["uuid"]
        found = await keys_for(uuid)
        doc = _json(await read_body(request))
        member_key = _hex(doc, "member_key", m.KEY_HEX)
        nonce = _hex(doc, "challenge", m.CHALLENGE_HEX)
        signature = _hex(doc, "signature", m.SIGNATURE_HEX)
        try:
            blinded = base64.b64decode(str(doc.get("blinded")), validate=True)
        except (binascii.Error, ValueError):
            raise Refused(400, "blinded", "blinded must be base64") from None
        size = found.blind.size
        if len(blinded) != size or int.from_bytes(blinded) >= found.blind.n:
            raise Refused(400, "blinded", f"blinded must be {size} bytes, below the modulus")
        live_challenge(nonce)
        if not _verify(member_key, m.request_message(uuid, nonce, blinded), signature):
            raise Refused(401, "member", "the member's signature does not verify")
        found_member = await run_in_threadpool(store.member_for, engine, member_key, uuid)
        if found_member is None:
            raise Refused(401, "member", "no enrolled member has this key")
        challenges.pop(nonce, None)  # used once, whatever follows
        tag, issued = found_member
        if issued:
            raise Refused(409, "issued", ISSUED)
        # Signed first (in a signing process), released only once the flag is on disk: a
        # signature whose flag could not be stored, or was set meanwhile, is thrown away.
        try:
            answer = await signers[0].sign(found.blind_file, blinded)
        except blind_rsa.BlindRSAError as e:
            raise Refused(400, "blinded", str(e)) from None
        try:
            first = await flags.mark(uuid, tag)
        except DBAPIError:
            raise Refused(503, "database", "the registry could not record it: try again") from None
        if not first:
            raise Refused(409, "issued", ISSUED)
        return JSONResponse({"blind_signature": base64.b64encode(answer).decode()}, headers=HEADERS)

    async def statement(request: Request) -> Response:
        registrar(request, "admin")
        uuid = request.path_params["uuid"]
        found = await keys_for(uuid)
        body = await run_in_threadpool(_statement, uuid, found)
        return Response(encode(body), media_type="application/json", headers=HEADERS)

    def _statement(uuid: str, found: ElectionKeys) -> reg.SignedStatement:
        i, t, r = store.issued, store.members, store.registrars
        with engine.connect() as db:
            per = db.execute(
                select(r.c.name, func.count())
                .select_from(i.join(t, i.c.tag == t.c.tag).join(r, t.c.registrar == r.c.id))
                .where(i.c.election == uuid)
                .group_by(r.c.name)
            ).all()
            n = db.execute(select(func.count()).where(i.c.election == uuid)).scalar_one()
        counts = store.public_counts(engine)
        body = reg.IssuanceStatement(
            election=uuid,
            registry=reg.binding(found.public),
            issued=n,
            members=int(counts["members"]),
            registrars={name: count for name, count in per},
        )
        return reg.sign_statement(found.statement, body)

    return Starlette(
        routes=[
            Route("/api/registry", guard(public), methods=["GET"]),
            Route("/api/registry/login", guard(login), methods=["POST"]),
            Route("/api/registry/members", guard(enrol), methods=["POST"]),
            Route("/api/registry/challenge", guard(challenge), methods=["POST"]),
            Route("/api/registry/elections/{uuid}", guard(election), methods=["GET"]),
            Route("/api/registry/elections/{uuid}/signature", guard(sign), methods=["POST"]),
            Route("/api/registry/elections/{uuid}/statement", guard(statement), methods=["POST"]),
            *pages.routes(custodian_origins),
            *member_routes(member or MemberPage()),
        ],
        middleware=[Middleware(pages.SecurityHeaders, custodian_origins=custodian_origins)],
        exception_handlers={404: _not_found, 405: _not_allowed},
        lifespan=lifespan,
    )


async def _not_found(request: Request, exc: Exception) -> Response:
    return problem(404, "path", "no such address on the registry")


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return problem(405, "method", "this address does not take that method")
