"""Anonymous registration: a registry's blind signatures admit credentials to an election.

The election server runs as a real process; members' devices and the registry are played by
this test through the library and `hramada registry`. Every refused registration must change
nothing; the published registrations.json and issuance statement must pass `hramada verify`,
the archive `belenios-tool election verify`, and each kind of tampering must be caught.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import belenios_verify, hramada, needs_belenios
from nacl.signing import SigningKey
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
from hramada.crypto.credentials import derive_secret, generate_credential
from hramada.crypto.groups import get_group
from hramada.election import registrations as reg
from hramada.election.ballot import create_ballot
from hramada.election.context import context_from_archive
from hramada.protocol.archive import read_archive
from hramada.protocol.canonical import decode, encode
from hramada.verify.verifier import verify_archive

GROUP = "BELENIOS-2048"  # belenios-tool 2.0 knows the finite-field groups only
QUESTIONS = [{"question": "Charter?", "answers": ["Yes", "No"], "min": 1, "max": 1}]
MEMBERS = 3


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass
class Member:
    credential: str  # private, stays on the device
    public: str
    input_msg: bytes
    blinded: br.Blinded


def _member(uuid: str, pk: br.PublicKey) -> Member:
    return _member_in(uuid, GROUP, pk)


def _member_in(uuid: str, group_name: str, pk: br.PublicKey) -> Member:
    """A member's device: its own credential, and the blinded request for the registry."""
    group = get_group(group_name)
    credential = generate_credential()
    public = group.encode(group.g_pow(derive_secret(credential, uuid, group.q)))
    input_msg = br.prepare(reg.VARIANT, reg.registration_message(uuid, public))
    return Member(credential, public, input_msg, br.blind(reg.VARIANT, pk, input_msg))


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


def _post(member: Member, pk: br.PublicKey, blind_sig: bytes) -> dict[str, str]:
    sig = br.finalize(reg.VARIANT, pk, member.input_msg, blind_sig, member.blinded.inv)
    return {
        "credential": member.public,
        "prefix": _b64(member.input_msg[:32]),
        "signature": _b64(sig),
    }


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
    _restate(published, folder, issued=MEMBERS)
    assert _checks(folder) == set()  # as many as issued: fine
    _restate(published, folder, issued=MEMBERS - 1)
    assert _checks(folder) == {"issuance count"}


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


def test_duplicates_are_refused_by_the_database(database_url: str) -> None:
    """On either database, a second post of a credential, or a forged one, adds no row."""
    from datetime import UTC, datetime

    from sqlalchemy import func, insert, select

    from hramada.server.database import connect
    from hramada.server.problems import Problem
    from hramada.server.registrations import Registrations
    from hramada.server.tables import admins, elections, registrations

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
    member = _member_in(uuid, "Ed25519", sk.public)
    body = _post(member, sk.public, br.blind_sign(sk, member.blinded.blinded_msg))
    desk = Registrations(engine)
    desk.register(uuid, body)
    with pytest.raises(Problem) as refused:
        desk.register(uuid, body)
    assert (refused.value.status, refused.value.check) == (409, "duplicate")
    forged = _member_in(uuid, "Ed25519", sk.public)
    with pytest.raises(Problem) as refused:
        desk.register(uuid, body | {"credential": forged.public})
    assert (refused.value.status, refused.value.check) == (400, "registration")
    with engine.connect() as db:
        count = select(func.count()).select_from(registrations)
        assert db.execute(count.where(registrations.c.election == uuid)).scalar_one() == 1
    engine.dispose()
