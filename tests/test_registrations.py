"""Anonymous registration: a registry's blind signatures admit credentials to an election.

The election server runs as a real process; members' devices and the registry are played by
this test through the library (one device through @cloudflare/blindrsa-ts in node, as the
browser will) and `hramada registry`. Every refused registration must change
nothing; the published registrations.json and issuance statement must pass `hramada verify`,
the archive `belenios-tool election verify`, and each kind of tampering must be caught.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from conftest import belenios_verify, hramada, needs_belenios
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey
from node_driver import Node
from server_harness import (
    HRAMADA,
    Election,
    add_admin,
    cli,
    decrypt_and_publish,
    download,
    login,
    running,
)

from hramada.crypto import blind_rsa as br
from hramada.crypto.groups import get_group
from hramada.election import registrations as reg
from hramada.election.ballot import create_ballot
from hramada.election.context import context_from_archive
from hramada.election.errors import Rejected
from hramada.protocol.archive import read_archive
from hramada.protocol.canonical import decode, encode
from hramada.server.tables import election_row
from hramada.verify.verifier import verify_archive

GROUP = "BELENIOS-2048"  # belenios-tool 2.0 knows the finite-field groups only
QUESTIONS = [{"question": "Charter?", "answers": ["Yes", "No"], "min": 1, "max": 1}]
MEMBERS = 3


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _member(uuid: str, pk: br.PublicKey, group: str = GROUP) -> reg.Request:
    """A member's device: its own credential, and the blinded request for the registry."""
    return reg.request_credential(get_group(group), uuid, pk)


def _browser_member(uuid: str, keys: Path, pk: br.PublicKey) -> tuple[reg.Request, dict[str, str]]:
    """A member whose device runs @cloudflare/blindrsa-ts (node) instead of our library."""
    base = _member(uuid, pk)  # the credential only: blinding is redone by blindrsa-ts
    node = Node("blindrsa_driver.mjs")
    try:
        message = reg.registration_message(uuid, base.public)
        blinded = node("blind", variant=reg.VARIANT.name, spki=pk.to_der().hex(), msg=message.hex())
        (blind_sig,) = _registry_signs(keys, [bytes.fromhex(blinded["blinded_msg"])])
        final = node(
            "finalize",
            variant=reg.VARIANT.name,
            spki=pk.to_der().hex(),
            input_msg=blinded["input_msg"],
            blind_sig=blind_sig.hex(),
            inv=blinded["inv"],
        )
    finally:
        node.close()
    input_msg = bytes.fromhex(blinded["input_msg"])
    assert input_msg[32:] == message
    body = {
        "credential": base.public,
        "prefix": _b64(input_msg[:32]),
        "signature": _b64(bytes.fromhex(final["sig"])),
    }
    return base, body


def _registry_signs(keys: Path, blinded: list[bytes]) -> list[bytes]:
    """The registry's bare signing step, as a separate process."""
    done = subprocess.run(
        [*HRAMADA, "registry", "blind-sign", "--keys", str(keys)],
        input="".join(b.hex() + "\n" for b in blinded),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return [bytes.fromhex(line) for line in done.stdout.split()]


def _post(member: reg.Request, pk: br.PublicKey, blind_sig: bytes) -> dict[str, str]:
    posted: dict[str, str] = msgspec.to_builtins(reg.finish_registration(member, pk, blind_sig))
    return posted


@dataclass
class Published:
    folder: Path  # the archive, registrations.json and issuance.json, as an observer has them
    keys: Path
    binding: str
    refusals: dict[str, httpx.Response]
    registered: list[httpx.Response]
    closed: dict[str, Any]
    credentials_json: list[str]


def _refusal(client: httpx.Client, uuid: str, body: Any) -> httpx.Response:
    return client.post(f"/api/elections/{uuid}/registrations", json=body)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    work = tmp_path_factory.mktemp("registrations")
    keys = work / "registry"
    binding = cli("registry", "keygen", "--out", keys, "--bits", "2048").stdout.strip()
    registry = decode((keys / "registry_key.json").read_bytes(), reg.RegistryKey, "key")
    pk = reg.blind_key(registry)
    data = work / "server"
    add_admin(data, None)
    refusals: dict[str, httpx.Response] = {}
    with running(data) as server, server.client() as client:
        login(client)
        r = client.post(
            "/api/admin/elections",
            json={
                "name": "Members' vote",
                "description": "",
                "group": GROUP,
                "questions": QUESTIONS,
            },
        )
        uuid = r.json()["uuid"]
        other = client.post(
            "/api/admin/elections",
            json={"name": "Another", "description": "", "group": GROUP, "questions": QUESTIONS},
        ).json()["uuid"]
        admin = f"/api/admin/elections/{uuid}"
        refusals["registry malformed"] = client.put(f"{admin}/registry", content=b'{"variant":1}')
        refusals["open before key"] = client.post(f"{admin}/registration/open")
        r = client.put(f"{admin}/registry", content=(keys / "registry_key.json").read_bytes())
        assert r.status_code == 200 and r.json() == {"binding": binding}, r.text
        info = client.get(f"/api/elections/{uuid}/registration").json()
        assert info["registration"] is None and info["binding"] == binding
        assert info["name"] == "Members' vote" and info["registry"] == json.loads(
            (keys / "registry_key.json").read_text()
        )
        members = [_member(uuid, pk) for _ in range(MEMBERS + 1)]
        stranger = _member(other, pk)  # signed for another election
        sigs = _registry_signs(keys, [m.blinded.blinded_msg for m in [*members, stranger]])
        bodies = [_post(m, pk, s) for m, s in zip(members, sigs, strict=False)]
        # The last member's device blinds and finalizes with blindrsa-ts, as the browser will.
        members[MEMBERS - 1], bodies[MEMBERS - 1] = _browser_member(uuid, keys, pk)
        refusals["before open"] = _refusal(client, uuid, bodies[0])
        assert client.post(f"{admin}/registration/open").status_code == 200
        refusals["registry after open"] = client.put(
            f"{admin}/registry", content=(keys / "registry_key.json").read_bytes()
        )
        refusals["credentials upload"] = client.put(f"{admin}/credentials", content=b"[]")
        refusals["open election early"] = client.post(f"{admin}/open")
        registered = [_refusal(client, uuid, b) for b in bodies[:MEMBERS]]
        bad = dict(bodies[MEMBERS])
        flipped = bytearray(base64.b64decode(bad["signature"]))
        flipped[-1] ^= 1
        refusals["duplicate"] = _refusal(client, uuid, bodies[0])
        refusals["bad signature"] = _refusal(client, uuid, bad | {"signature": _b64(flipped)})
        refusals["wrong prefix"] = _refusal(client, uuid, bad | {"prefix": _b64(bytes(32))})
        refusals["short prefix"] = _refusal(client, uuid, bad | {"prefix": _b64(bytes(31))})
        refusals["another credential"] = _refusal(
            client, uuid, bad | {"credential": bodies[0]["credential"]}
        )
        refusals["wrong election"] = _refusal(client, uuid, _post(stranger, pk, sigs[-1]))
        refusals["not base64"] = _refusal(client, uuid, bad | {"signature": "%%%"})
        refusals["missing field"] = _refusal(client, uuid, {"credential": bad["credential"]})
        refusals["not a group element"] = _refusal(client, uuid, bad | {"credential": "12"})
        refusals["not json"] = client.post(
            f"/api/elections/{uuid}/registrations", content=b"not json"
        )
        refusals["unknown election"] = _refusal(client, "0" * 14, bodies[MEMBERS])
        refusals["no registry"] = _refusal(client, other, _post(stranger, pk, sigs[-1]))
        closed = client.post(f"{admin}/registration/close").json()
        refusals["after close"] = _refusal(client, uuid, bad)
        keys_, tokens = [], []
        for n in range(2):
            r = client.post(f"{admin}/trustees", json={"name": f"T{n}"})
            token = r.json()["link"].rsplit("/", 1)[1]
            home = work / f"trustee{n}"
            cli("trustee", "keygen", "--group", GROUP, "--out", home)
            (pub,) = home.glob("*.pubkey")
            cli("trustee", "submit", f"{client.base_url}/api/trustee/{token}/key", pub)
            keys_.append(next(home.glob("*.privkey")))
            tokens.append(token)
        r = client.post(f"{admin}/open")
        assert r.status_code == 200, r.text
        election = json.loads(client.get(f"/elections/{uuid}/election.json").text)
        assert election["credential_authority"] == binding
        credentials_json = client.get(f"/elections/{uuid}/public_credentials.json").json()
        ctx = context_from_archive(read_archive(download(client, uuid, work / "voter")))
        for member, vote in zip(members, ([[1, 0]], [[0, 1]], [[1, 0]]), strict=False):
            ballot = create_ballot(ctx, member.credential, vote)
            r = client.post(f"/api/elections/{uuid}/ballots", content=ballot)
            assert r.status_code == 200, r.text
        result = decrypt_and_publish(client, Election(uuid, [], keys_, tokens), work)
        assert result == [[2, 1]]
        folder = work / "observer"
        download(client, uuid, folder)
        r = client.get(f"/elections/{uuid}/registrations.json")
        assert r.status_code == 200
        (folder / "registrations.json").write_bytes(r.content)
        page = client.get(f"/elections/{uuid}").text  # the verify steps name the file
        assert f"/elections/{uuid}/registrations.json" in page
        assert client.get(f"/api/elections/{uuid}").json()["registry"] == binding
        beside = data / "elections" / f"{uuid}.registrations.json"
        assert beside.read_bytes() == r.content and (data / "elections" / f"{uuid}.bel").exists()
        assert client.get(f"/elections/{other}/registrations.json").status_code == 409  # a draft
    cli("registry", "statement", "--keys", keys, "--election", uuid, "--issued", str(MEMBERS + 2),
        "--members", "7", "--registrar", "alesia=3", "--registrar", "ihar=2",
        "--out", folder / "issuance.json")  # fmt: skip
    return Published(folder, keys, binding, refusals, registered, closed, credentials_json)


def test_members_register_and_the_list_becomes_the_setup(published: Published) -> None:
    assert [r.status_code for r in published.registered] == [201] * MEMBERS
    assert published.closed["count"] == MEMBERS
    registrations = json.loads((published.folder / "registrations.json").read_text())
    listed = [r["credential"] for r in registrations["registrations"]]
    assert listed == published.credentials_json  # the same list, in the same (sorted) order
    assert len(set(listed)) == MEMBERS
    group = get_group(GROUP)
    assert listed == sorted(listed, key=lambda c: group.element_key(group.decode(c)))
    assert set(registrations) == {"election", "registry", "registrations"}  # no times, no order


EXPECTED = {
    "registry malformed": (400, "registry"),
    "open before key": (409, "registry"),
    "before open": (409, "phase"),
    "registry after open": (409, "phase"),
    "credentials upload": (409, "registry"),
    "open election early": (409, "registration"),
    "duplicate": (409, "duplicate"),
    "bad signature": (400, "registration"),
    "wrong prefix": (400, "registration"),
    "short prefix": (400, "registration"),
    "another credential": (400, "registration"),
    "wrong election": (400, "registration"),
    "not base64": (400, "registration"),
    "missing field": (400, "registration"),
    "not a group element": (400, "registration"),
    "not json": (400, "json"),
    "unknown election": (404, "election"),
    "no registry": (404, "registry"),
    "after close": (409, "phase"),
}


@pytest.mark.parametrize("case", EXPECTED)
def test_refusals_are_clear_and_change_nothing(published: Published, case: str) -> None:
    r = published.refusals[case]
    assert (r.status_code, r.json()["error"]["check"]) == EXPECTED[case], r.text
    assert r.json()["error"]["message"]
    # Nothing refused was counted: exactly the members' registrations were closed in.
    assert published.closed["count"] == MEMBERS


def test_archive_and_registrations_verify(published: Published, tmp_path: Path) -> None:
    done = hramada("verify", str(published.folder))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{MEMBERS} registrations" in done.stdout
    report = verify_archive(published.folder)
    assert report.ok and report.complete, (report.problems, report.unsupported)


@needs_belenios
def test_belenios_accepts_the_bound_archive(published: Published, tmp_path: Path) -> None:
    (archive,) = published.folder.glob("*.bel")
    shutil.copy(archive, tmp_path / archive.name)
    done = belenios_verify(tmp_path / archive.name)
    assert done.returncode == 0, done.stdout + done.stderr


# --- tampering, each kind caught -------------------------------------------------------------


def _copy(published: Published, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    folder = tmp_path / "copy"
    shutil.copytree(published.folder, folder)
    return folder, json.loads((folder / "registrations.json").read_text())


def _write(folder: Path, registrations: dict[str, Any]) -> None:
    (folder / "registrations.json").write_text(json.dumps(registrations))


def _checks(folder: Path) -> set[str]:
    report = verify_archive(folder, collect_all=True)
    return {p.check for p in report.problems}


def test_a_forged_signature_is_caught(published: Published, tmp_path: Path) -> None:
    folder, data = _copy(published, tmp_path)
    sig = bytearray(base64.b64decode(data["registrations"][1]["signature"]))
    sig[5] ^= 0x40
    data["registrations"][1]["signature"] = _b64(sig)
    _write(folder, data)
    assert _checks(folder) == {"registration signature"}


def test_a_credential_listed_twice_is_caught(published: Published, tmp_path: Path) -> None:
    folder, data = _copy(published, tmp_path)
    data["registrations"].append(data["registrations"][0])
    _write(folder, data)
    assert _checks(folder) == {"registrations duplicate"}


def test_a_list_unlike_the_setup_is_caught(published: Published, tmp_path: Path) -> None:
    folder, data = _copy(published, tmp_path)
    del data["registrations"][2]
    _write(folder, data)
    assert _checks(folder) == {"registrations list"}


def test_another_registry_key_is_caught(published: Published, tmp_path: Path) -> None:
    """Every signature re-made under a key the election did not bind: still refused."""
    folder, data = _copy(published, tmp_path)
    other = br.generate_key(2048)
    uuid = data["election"]
    for entry in data["registrations"]:
        msg = br.prepare(reg.VARIANT, reg.registration_message(uuid, entry["credential"]))
        blinded = br.blind(reg.VARIANT, other.public, msg)
        sig = br.finalize(
            reg.VARIANT, other.public, msg, br.blind_sign(other, blinded.blinded_msg), blinded.inv
        )
        entry |= {"prefix": _b64(msg[:32]), "signature": _b64(sig)}
    data["registry"]["blind_key"] = _b64(other.public.to_der())
    _write(folder, data)
    assert "registry key" in _checks(folder)


def _restate(published: Published, folder: Path, **changes: Any) -> None:
    signed = decode((folder / "issuance.json").read_bytes(), reg.SignedStatement, "statement")
    body = reg.IssuanceStatement(**(json.loads(encode(signed.statement)) | changes))
    seed = bytes.fromhex((published.keys / "statement.key").read_text())
    (folder / "issuance.json").write_bytes(encode(reg.sign_statement(SigningKey(seed), body)))


def test_more_registrations_than_issued_is_caught(published: Published, tmp_path: Path) -> None:
    folder, _ = _copy(published, tmp_path)
    _restate(published, folder, issued=MEMBERS, registrars={"alesia": MEMBERS})
    assert _checks(folder) == set()  # as many as issued: fine
    _restate(published, folder, issued=MEMBERS - 1, registrars={"alesia": MEMBERS - 1})
    assert _checks(folder) == {"issuance count"}


def test_a_statement_that_does_not_add_up_is_caught(published: Published, tmp_path: Path) -> None:
    folder, _ = _copy(published, tmp_path)
    _restate(published, folder, registrars={"alesia": 3, "ihar": 3})  # 6, but 5 issued
    assert _checks(folder) == {"issuance counts"}
    _restate(published, folder, registrars={"alesia": 3, "ihar": 2}, members=5)
    assert _checks(folder) == set()
    _restate(published, folder, members=4)  # 5 signatures for 4 members
    assert _checks(folder) == {"issuance counts"}


def test_a_statement_for_another_election_is_caught(published: Published, tmp_path: Path) -> None:
    folder, _ = _copy(published, tmp_path)
    _restate(published, folder, election="1" * 14)
    assert _checks(folder) == {"issuance election"}


def test_an_unsigned_statement_is_caught(published: Published, tmp_path: Path) -> None:
    folder, _ = _copy(published, tmp_path)
    statement = json.loads((folder / "issuance.json").read_text())
    statement["statement"]["issued"] = 1000
    (folder / "issuance.json").write_text(json.dumps(statement))
    assert _checks(folder) == {"issuance signature"}


def test_missing_files_are_reported_as_unchecked(published: Published, tmp_path: Path) -> None:
    folder, _ = _copy(published, tmp_path)
    (folder / "issuance.json").unlink()
    report = verify_archive(folder)
    assert report.ok and not report.complete and "issuance.json" in report.unsupported[0]
    (folder / "registrations.json").unlink()
    report = verify_archive(folder)
    assert report.ok and "registrations.json" in report.unsupported[0]
    assert hramada("verify", str(folder)).returncode == 3


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db.sqlite'}"
    return str(request.getfixturevalue("postgres"))


def test_the_migration_matches_the_schema(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import text

    from hramada.server.database import connect
    from hramada.server.tables import metadata

    engine = connect(database_url)
    with engine.connect() as db:
        diffs = compare_metadata(MigrationContext.configure(db), metadata)
        if engine.dialect.name == "sqlite":  # rows kept in credential order, none by arrival
            sql = db.execute(text("SELECT sql FROM sqlite_master WHERE name='registrations'"))
            assert "WITHOUT ROWID" in sql.scalar_one()
    assert [d for d in diffs if "registr" in str(d)] == []
    engine.dispose()


@dataclass
class Desk:
    desk: Any  # hramada.server.registrations.Registrations
    uuid: str
    sk: br.PrivateKey
    engine: Any

    def body(self) -> dict[str, str]:
        member = _member(self.uuid, self.sk.public, "Ed25519")
        return _post(member, self.sk.public, br.blind_sign(self.sk, member.blinded.blinded_msg))

    def count(self) -> int:
        from sqlalchemy import func, select

        from hramada.server.tables import registrations

        with self.engine.connect() as db:
            query = select(func.count()).select_from(registrations)
            return int(db.execute(query.where(registrations.c.election == self.uuid)).scalar_one())


@pytest.fixture
def desk(database_url: str) -> Iterator[Desk]:
    """The server's registration desk over a database holding one election in registration."""
    from datetime import UTC, datetime

    from sqlalchemy import insert

    from hramada.server.database import connect
    from hramada.server.registrations import Registrations
    from hramada.server.tables import admins, elections

    sk = br.generate_key(2048)
    key = reg.RegistryKey(
        variant=reg.VARIANT.name,
        blind_key=_b64(sk.public.to_der()),
        statement_key=SigningKey.generate().verify_key.encode().hex(),
    )
    engine = connect(database_url)
    uuid = base64.b32encode(os.urandom(10)).decode()[:14]  # a fresh election in a shared cluster
    with engine.begin() as db:
        admin = db.execute(
            insert(admins).values(username=uuid, password_hash="-", created_at=datetime.now(UTC))
        ).inserted_primary_key[0]
        db.execute(
            insert(elections).values(
                uuid=uuid, template="{}", group_name="Ed25519", state="draft", created_by=admin,
                created_at=datetime.now(UTC), registry=encode(key), registration="open",
            )
        )  # fmt: skip
    yield Desk(Registrations(engine), uuid, sk, engine)
    engine.dispose()


def test_duplicates_are_refused_by_the_database(desk: Desk) -> None:
    """On either database, a second post of a credential, or a forged one, adds no row."""
    from hramada.server.problems import Problem

    body = desk.body()
    desk.desk.register(desk.uuid, body)
    with pytest.raises(Problem) as refused:
        desk.desk.register(desk.uuid, body)
    assert (refused.value.status, refused.value.check) == (409, "duplicate")
    forged = desk.body()
    with pytest.raises(Problem) as refused:
        desk.desk.register(desk.uuid, body | {"credential": forged["credential"]})
    assert (refused.value.status, refused.value.check) == (400, "registration")
    assert desk.count() == 1


def test_concurrent_posts_are_stored_together_once_each(desk: Desk) -> None:
    """Posts arriving together share one transaction; a credential posted five times at
    once is stored once, and a post racing the close is in the list or refused."""
    from hramada.server.problems import Problem

    bodies = [desk.body() for _ in range(4)]
    posts = [bodies[0]] * 5 + bodies[1:]

    async def post_all() -> list[BaseException | None]:
        return await asyncio.gather(
            *(desk.desk.register_soon(desk.uuid, b) for b in posts), return_exceptions=True
        )

    outcomes = asyncio.run(post_all())
    refused = [o for o in outcomes if isinstance(o, Problem)]
    assert [(p.status, p.check) for p in refused] == [(409, "duplicate")] * 4
    assert outcomes.count(None) == 4 and desk.count() == 4

    late = desk.body()

    async def close_while_posting() -> BaseException | None:
        posting = asyncio.ensure_future(desk.desk.register_soon(desk.uuid, late))
        await asyncio.sleep(0)
        closed = await asyncio.to_thread(
            desk.desk.close, (0, "test"), election_row(desk.desk.engine, desk.uuid)
        )
        outcome = (await asyncio.gather(posting, return_exceptions=True))[0]
        listed = json.loads(election_row(desk.desk.engine, desk.uuid).credentials)
        assert closed["count"] == len(listed) == desk.count()
        assert (late["credential"] in listed) == (outcome is None)
        return outcome

    outcome = asyncio.run(close_while_posting())
    assert outcome is None or (outcome.status, outcome.check) == (409, "phase")


_FIELD = st.one_of(st.text(max_size=80), st.integers(), st.none(), st.binary(max_size=40).map(_b64))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.dictionaries(
        st.sampled_from(["credential", "prefix", "signature", "other"]), _FIELD, max_size=4
    )
)
def test_any_malformed_post_is_a_clear_4xx(desk: Desk, body: dict[str, Any]) -> None:
    from hramada.server.problems import Problem

    with pytest.raises(Problem) as refused:
        desk.desk.check(desk.uuid, body)
    assert 400 <= refused.value.status < 500 and refused.value.message


def test_no_arrival_order_is_left_after_the_close(desk: Desk) -> None:
    """Rows lie in key order once registration closes: SQLite keeps them so (WITHOUT ROWID),
    PostgreSQL's table is rewritten in key order at the close."""
    from sqlalchemy import text

    bodies = sorted((desk.body() for _ in range(6)), key=lambda b: b["credential"], reverse=True)
    for body in bodies:  # arriving in descending order
        desk.desk.register(desk.uuid, body)
    desk.desk.close((0, "test"), election_row(desk.desk.engine, desk.uuid))
    physical = "ORDER BY ctid" if desk.engine.dialect.name == "postgresql" else ""
    with desk.engine.connect() as db:
        stored = db.scalars(
            text(f"SELECT credential FROM registrations WHERE election = :e {physical}"),
            {"e": desk.uuid},
        ).all()
        by_key = db.scalars(
            text("SELECT credential FROM registrations WHERE election = :e ORDER BY credential"),
            {"e": desk.uuid},
        ).all()
    assert len(stored) == 6 and stored == by_key


def test_a_device_refuses_an_answer_that_does_not_verify() -> None:
    """A registry answering with another key (to mark a member) is caught on the device."""
    sk, other = br.generate_key(2048), br.generate_key(2048)
    request = _member("8eqXHoxM5aqc3r", sk.public, "Ed25519")
    while int.from_bytes(request.blinded.blinded_msg) >= other.public.n:  # it must sign it
        other = br.generate_key(2048)
    forged = br.blind_sign(other, request.blinded.blinded_msg)
    with pytest.raises(br.BlindRSAError):
        reg.finish_registration(request, sk.public, forged)
    posted = reg.finish_registration(
        request, sk.public, br.blind_sign(sk, request.blinded.blinded_msg)
    )
    prefix, signature = reg.decode_registration(posted)
    reg.check_registration("8eqXHoxM5aqc3r", sk.public, posted.credential, prefix, signature)
    with pytest.raises(Rejected):
        reg.check_registration("8eqXHoxM5aqc3s", sk.public, posted.credential, prefix, signature)


def test_registry_commands_refuse_bad_input(published: Published, tmp_path: Path) -> None:
    weak = hramada("registry", "keygen", "--out", str(tmp_path / "weak"), "--bits", "1024")
    assert weak.returncode == 1 and "key size" in weak.stderr
    assert not (tmp_path / "weak").exists()
    bad = hramada("registry", "statement", "--keys", str(published.keys), "--election",
                  "8eqXHoxM5aqc3r", "--issued", "1", "--members", "1", "--registrar", "alesia",
                  "--out", str(tmp_path / "s.json"))  # fmt: skip
    assert bad.returncode == 1 and "NAME=COUNT" in bad.stderr
    assert not (tmp_path / "s.json").exists()
