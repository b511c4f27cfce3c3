"""The registry as a real process: registrars enrol members by tags from 2 of 3 real custodians,
re-enrolment replaces the key (and is counted), members get one blind signature per election,
register at a real election server, vote, and `hramada verify` passes. Every bad request gets a
clear 4xx and changes nothing; a seized database and log name no member's document."""

from __future__ import annotations

import base64
import hmac
import json
import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
import seizure
from nacl.signing import SigningKey
from server_harness import (
    HRAMADA,
    Election,
    add_admin,
    cli,
    decrypt_and_publish,
    download,
    free_port,
    login,
    running,
)
from test_custodian_service import Running, start

from hramada.crypto import oprf
from hramada.crypto import threshold_oprf as t
from hramada.crypto.oprf import VOPRF
from hramada.election import registrations as reg
from hramada.election.ballot import create_ballot
from hramada.election.context import context_from_archive
from hramada.protocol.archive import read_archive
from hramada.protocol.canonical import decode
from hramada.registry import enrol, member
from hramada.registry.custodian_client import Custodians, Endpoint
from hramada.registry.demo import custodian_ceremony

GROUP = "Ed25519"
QUESTIONS = [{"question": "Charter?", "answers": ["Yes", "No"], "min": 1, "max": 1}]
# name, document as the registrar types it, phone: what a seizure must not reveal
MEMBERS = [
    ("Alesia Kavaliova", "MP1234567", "+48 601 234 567"),
    ("Ihar Sidarenka", "KH 7654321", "+370 612 34567"),
    ("Nasta Lukashevich", "EX-0000042", "+48 799 000 111"),
]
PASSWORD = "registrar's long password"
ADMIN_PASSWORD = "the registry admin's password"
JSON = {"content-type": "application/json"}


@dataclass
class Registry:
    data: Path
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    extra: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Registry:
        args = ["registry", "serve", "--data", str(self.data), "--port", str(self.port)]
        args += self.extra
        self.process = subprocess.Popen(
            [*HRAMADA, *args], stdout=subprocess.DEVNULL, stderr=self.log.open("ab")
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                httpx.get(f"{self.url}/api/registry", timeout=1).raise_for_status()
                return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise TimeoutError("the registry did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def _custodians(root: Path) -> tuple[list[Running], Custodians]:
    ceremony = custodian_ceremony(root)  # through the custodians' commands, as the demo does
    servers = [start(i, d, tok, root / f"c{i}.log") for i, (d, tok) in enumerate(ceremony, 1)]
    info = httpx.get(f"{servers[0].url}/api/custodian").json()
    commitments = [bytes.fromhex(c) for c in info["commitments"]]
    endpoints = [Endpoint(s.index, s.url, s.token) for s in servers]
    return servers, Custodians(endpoints, commitments)


@dataclass
class Outcome:
    work: Path
    registry: Registry
    answers: dict[str, httpx.Response]
    refusals: dict[str, httpx.Response]
    dump_before: str
    dump_after: str
    counts: dict[str, Any]
    result: list[list[int]]
    observer: Path
    custodians: Custodians
    registrar_key: SigningKey
    session: str
    uuid: str
    other: str  # a second election the registry issues for
    keys: list[SigningKey]  # the members' current keys


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outcome]:
    work = tmp_path_factory.mktemp("registry")
    servers, custodians = _custodians(work / "custodians")
    regdata = work / "registry"
    registrar_key = SigningKey.generate()
    admin_key = SigningKey.generate()
    env = {**os.environ, "HRAMADA_REGISTRAR_PASSWORD": PASSWORD}
    for name, key, role, password in [
        ("alesia", registrar_key, "registrar", PASSWORD),
        ("board", admin_key, "admin", ADMIN_PASSWORD),
    ]:
        env["HRAMADA_REGISTRAR_PASSWORD"] = password
        done = subprocess.run(
            [*HRAMADA, "registry", "registrar", "add", name, "--role", role, "--data",
             str(regdata), "--key", key.verify_key.encode().hex()],
            env=env, capture_output=True, text=True,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    registry = Registry(regdata, work / "registry.log")
    answers: dict[str, httpx.Response] = {}
    refusals: dict[str, httpx.Response] = {}
    data = work / "server"
    add_admin(data, None)
    try:
        with (
            running(data) as server,
            server.client() as client,
            httpx.Client(base_url=registry.url, timeout=60) as http,
        ):
            login(client)
            uuids = []
            for name in ("Members' vote", "Another vote"):
                r = client.post(
                    "/api/admin/elections",
                    json={"name": name, "description": "", "group": GROUP, "questions": QUESTIONS},
                )
                uuids.append(r.json()["uuid"])
            uuid, other = uuids
            for u in uuids:
                cli("registry", "keygen", "--out", work / u, "--bits", "2048")
                cli("registry", "election", "--keys", work / u, "--election", u, "--data", regdata)
            registry.start()
            key = decode((work / uuid / "registry_key.json").read_bytes(), reg.RegistryKey, "k")
            admin = f"/api/admin/elections/{uuid}"
            r = client.put(
                f"{admin}/registry", content=(work / uuid / "registry_key.json").read_bytes()
            )
            assert r.status_code == 200, r.text
            assert client.post(f"{admin}/registration/open").status_code == 200

            session = enrol.login(http, "alesia", PASSWORD)
            board = enrol.login(http, "board", ADMIN_PASSWORD)
            keys = [SigningKey.generate() for _ in MEMBERS]
            for (_, doc, _), k in zip(MEMBERS, keys, strict=True):
                answers[f"enrol {doc}"] = enrol.enrol(
                    http, session, custodians, registrar_key, doc, k.verify_key.encode().hex()
                )
            # A lost phone: the same passport typed differently, a new key replaces the old.
            lost, keys[0] = keys[0], SigningKey.generate()
            answers["re-enrol"] = enrol.enrol(
                http, session, custodians, registrar_key, "mp 123-4567",
                keys[0].verify_key.encode().hex(),
            )  # fmt: skip
            requests = [member.prepare(uuid, GROUP, key) for _ in MEMBERS]
            bodies = [
                member.request_body(http, k, uuid, q) for k, q in zip(keys, requests, strict=True)
            ]
            path = f"/api/registry/elections/{uuid}/signature"
            sigs = []
            for n, body in enumerate(bodies):
                answers[f"sign {n}"] = r = http.post(path, json=body)
                sigs.append(base64.b64decode(r.json()["blind_signature"]))

            dump_before = seizure.dump(regdata / "registry.sqlite")
            spare = member.prepare(uuid, GROUP, key)
            fresh = lambda k: member.request_body(http, k, uuid, spare)  # noqa: E731
            refusals["replayed request"] = http.post(path, json=bodies[1])
            refusals["second signature"] = http.post(path, json=fresh(keys[1]))
            refusals["old member key"] = http.post(path, json=fresh(lost))
            forged = fresh(SigningKey.generate()) | {"member_key": bodies[2]["member_key"]}
            refusals["forged member signature"] = http.post(path, json=forged)
            refusals["unenrolled key"] = http.post(path, json=fresh(SigningKey.generate()))
            # Signed for `uuid`, posted to `other`: blinded under other's key so that only the
            # member's signature (over the election) can be what is refused.
            other_key = decode(
                (work / other / "registry_key.json").read_bytes(), reg.RegistryKey, "k"
            )
            misdirected = member.request_body(
                http, keys[2], uuid, member.prepare(other, GROUP, other_key)
            )
            refusals["wrong election"] = http.post(
                f"/api/registry/elections/{other}/signature", json=misdirected
            )
            refusals["unknown election"] = http.post(
                f"/api/registry/elections/{'0' * 14}/signature", json=fresh(keys[2])
            )
            refusals["not json"] = http.post(path, content=b"{not json")
            refusals["missing field"] = http.post(
                path, json={"member_key": bodies[2]["member_key"]}
            )
            refusals["blinded not base64"] = http.post(path, json=fresh(keys[2]) | {"blinded": "%"})
            refusals["blinded too short"] = http.post(
                path, json=fresh(keys[2]) | {"blinded": "AAAA"}
            )
            over = base64.b64encode(b"\xff" * 256).decode()  # above the 2048-bit modulus
            refusals["blinded over the modulus"] = http.post(
                path, json=fresh(keys[2]) | {"blinded": over}
            )
            refusals["challenge not hex"] = http.post(
                path, json=fresh(keys[2]) | {"challenge": "z" * 64}
            )
            refusals["made-up challenge"] = http.post(
                path, json=fresh(keys[2]) | {"challenge": "a" * 64}
            )
            auth = {"authorization": f"Bearer {session}"}
            # The lost phone's record, sent again by whoever holds the registrar's session
            # (a stolen password, not the record key): it must not re-point the tag.
            first = answers[f"enrol {MEMBERS[0][1]}"].request
            refusals["enrol old record replayed"] = http.post(
                "/api/registry/members", content=first.content, headers=auth | JSON
            )
            tag = enrol.tag_for(custodians, MEMBERS[2][1])
            nk = SigningKey.generate().verify_key.encode().hex()

            def record(member_key: str, signer: SigningKey = registrar_key) -> dict[str, str]:
                nonce = member.challenge(http)
                signed = enrol.record(signer, nonce, tag, member_key)
                return {"tag": tag, "member_key": member_key, "challenge": nonce, "record": signed}

            good = record(nk)
            members_path = "/api/registry/members"
            refusals["enrol without login"] = http.post(members_path, json=good)
            refusals["enrol as admin"] = http.post(
                members_path, json=good, headers={"authorization": f"Bearer {board}"}
            )
            refusals["enrol forged record"] = http.post(
                members_path, json=record(nk, SigningKey.generate()), headers=auth
            )
            refusals["enrol record of another challenge"] = http.post(
                members_path, json=good | {"challenge": member.challenge(http)}, headers=auth
            )
            refusals["enrol key of another member"] = http.post(
                members_path, json=record(bodies[1]["member_key"]), headers=auth
            )
            refusals["enrol replayed"] = http.post(
                members_path, json=record(bodies[2]["member_key"]), headers=auth
            )
            refusals["enrol made-up challenge"] = http.post(
                members_path, json=good | {"challenge": "a" * 64}, headers=auth
            )
            bad = "ff" * 32
            refusals["enrol member key not a point"] = http.post(
                members_path, json=record(bad), headers=auth
            )
            refusals["enrol bad tag"] = http.post(
                members_path, json=good | {"tag": "00"}, headers=auth
            )
            refusals["enrol not json"] = http.post(members_path, content=b"[", headers=auth)
            refusals["statement as registrar"] = http.post(
                f"/api/registry/elections/{uuid}/statement", headers=auth
            )
            refusals["wrong password"] = http.post(
                "/api/registry/login", json={"name": "alesia", "password": "wrong password!"}
            )
            refusals["no such path"] = http.get("/api/registry/nothing")
            refusals["too large"] = http.post(path, content=b"[" * 20_000)
            refusals["not an object"] = http.post(path, json=[bodies[2]])
            dump_after = seizure.dump(regdata / "registry.sqlite")

            # The members' devices finalize and register at the election server.
            for q, s in zip(requests, sigs, strict=True):
                registration = msgspec.to_builtins(member.finalize(key, q, s))
                r = client.post(f"/api/elections/{uuid}/registrations", json=registration)
                assert r.status_code == 201, r.text
            assert client.post(f"{admin}/registration/close").json()["count"] == len(MEMBERS)
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
            ctx = context_from_archive(read_archive(download(client, uuid, work / "voter")))
            for q, vote in zip(requests, ([[1, 0]], [[0, 1]], [[1, 0]]), strict=True):
                r = client.post(
                    f"/api/elections/{uuid}/ballots", content=create_ballot(ctx, q.credential, vote)
                )
                assert r.status_code == 200, r.text
            result = decrypt_and_publish(client, Election(uuid, [], keys_, tokens), work)
            observer = work / "observer"
            download(client, uuid, observer)
            r = client.get(f"/elections/{uuid}/registrations.json")
            (observer / "registrations.json").write_bytes(r.content)
            r = http.post(
                f"/api/registry/elections/{uuid}/statement",
                headers={"authorization": f"Bearer {board}"},
            )
            assert r.status_code == 200, r.text
            (observer / "issuance.json").write_bytes(r.content)
            counts = http.get("/api/registry").json()
        yield Outcome(work, registry, answers, refusals, dump_before, dump_after, counts, result,
                      observer, custodians, registrar_key, session, uuid, other, keys)  # fmt: skip
    finally:
        registry.stop()
        for s in servers:
            s.process.terminate()
            s.process.wait(10)


def test_enrolment_and_re_enrolment(outcome: Outcome) -> None:
    a = outcome.answers
    assert [a[f"enrol {doc}"].status_code for _, doc, _ in MEMBERS] == [201, 201, 201]
    assert a["re-enrol"].status_code == 200 and a["re-enrol"].json() == {"replaced": True}
    assert outcome.counts["members"] == 3
    assert outcome.counts["enrolments"] == 3 and outcome.counts["re-enrolments"] == 1
    assert outcome.counts["registrars"] == {"alesia": {"enrolments": 3, "re-enrolments": 1}}


def test_one_blind_signature_each_and_the_election_verifies(outcome: Outcome) -> None:
    assert [outcome.answers[f"sign {n}"].status_code for n in range(3)] == [200] * 3
    assert outcome.result == [[2, 1]]
    (uuid,) = [u for u, e in outcome.counts["elections"].items() if e["issued"]]
    assert outcome.counts["elections"][uuid]["issued"] == 3
    statement = json.loads((outcome.observer / "issuance.json").read_text())["statement"]
    assert statement["issued"] == 3 and statement["members"] == 3
    assert statement["registrars"] == {"alesia": 3}
    done = subprocess.run(
        [*HRAMADA, "verify", str(outcome.observer)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


EXPECTED = {
    "replayed request": (401, "challenge"),
    "second signature": (409, "issued"),
    "old member key": (401, "member"),
    "forged member signature": (401, "member"),
    "unenrolled key": (401, "member"),
    "wrong election": (401, "member"),
    "unknown election": (404, "election"),
    "not json": (400, "json"),
    "missing field": (400, "challenge"),
    "blinded not base64": (400, "blinded"),
    "blinded too short": (400, "blinded"),
    "blinded over the modulus": (400, "blinded"),
    "challenge not hex": (400, "challenge"),
    "made-up challenge": (401, "challenge"),
    "enrol without login": (401, "authentication"),
    "enrol as admin": (403, "role"),
    "enrol forged record": (400, "record"),
    "enrol key of another member": (409, "member_key"),
    "enrol replayed": (409, "unchanged"),
    "enrol old record replayed": (401, "challenge"),
    "enrol record of another challenge": (400, "record"),
    "enrol made-up challenge": (401, "challenge"),
    "enrol member key not a point": (400, "member_key"),
    "enrol bad tag": (400, "tag"),
    "enrol not json": (400, "json"),
    "statement as registrar": (403, "role"),
    "wrong password": (401, "login"),
    "no such path": (404, "path"),
    "too large": (413, "too large"),
    "not an object": (400, "json"),
}


@pytest.mark.parametrize("case", EXPECTED)
def test_bad_requests_are_clear_and_change_nothing(outcome: Outcome, case: str) -> None:
    r = outcome.refusals[case]
    assert (r.status_code, r.json()["error"]["check"]) == EXPECTED[case], r.text
    assert r.json()["error"]["message"]
    assert outcome.dump_after == outcome.dump_before


def test_a_seized_registry_reveals_no_member(outcome: Outcome) -> None:
    data = outcome.registry.data
    seized = [seizure.dump(data / "registry.sqlite")]
    for path in [*data.rglob("*"), outcome.registry.log]:
        if path.is_file():
            seized.append(path.read_bytes().decode("latin-1"))
    for path in (outcome.work / "custodians").rglob("*"):
        if path.is_file():
            seized.append(path.read_bytes().decode("latin-1"))
    haystack = "\n".join(seized)
    assert seized[0].count('INSERT INTO "members"') == 3  # the right database, all enrolled
    with sqlite3.connect(data / "registry.sqlite") as db:  # no order of enrolment or issuance
        schema = dict(db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
    assert "WITHOUT ROWID" in schema["members"] and "WITHOUT ROWID" in schema["issued"]
    for name, document, phone in MEMBERS:
        for text in (name, document, phone):
            for form in seizure.forms(text, document=text == document):
                assert form not in haystack, (text, form)
    # Nothing the registry keeps names a credential: not the registered credentials, their
    # signatures, nor the blinded messages and blind signatures it handled.
    registrations = json.loads((outcome.observer / "registrations.json").read_text())
    listed = registrations["registrations"]
    assert len(listed) == len(MEMBERS)
    for r in listed:
        signature = base64.b64decode(r["signature"])
        for value in (r["credential"], r["signature"], signature.hex(), r["prefix"]):
            assert value not in haystack
    for n in range(len(MEMBERS)):
        answer = outcome.answers[f"sign {n}"].json()["blind_signature"]
        assert answer not in haystack and base64.b64decode(answer).hex() not in haystack


def _concurrently(http: httpx.Client, path: str, bodies: list[dict[str, str]]) -> list[int]:
    with ThreadPoolExecutor(len(bodies)) as pool:
        return sorted(pool.map(lambda b: http.post(path, json=b).status_code, bodies))


def _key(http: httpx.Client, uuid: str) -> reg.RegistryKey:
    """The election's registry key, as a member's device fetches it."""
    info = http.get(f"/api/registry/elections/{uuid}").json()
    return decode(json.dumps(info["registry"]).encode(), reg.RegistryKey, "registry key")


def test_one_signature_per_member_and_election_even_after_re_enrolment(outcome: Outcome) -> None:
    with httpx.Client(base_url=outcome.registry.url, timeout=60) as http:
        new = SigningKey.generate()
        r = enrol.enrol(http, outcome.session, outcome.custodians, outcome.registrar_key,
                        MEMBERS[1][1], new.verify_key.encode().hex())  # fmt: skip
        assert r.status_code == 200 and r.json() == {"replaced": True}
        request = member.prepare(outcome.uuid, GROUP, _key(http, outcome.uuid))
        r = http.post(
            f"/api/registry/elections/{outcome.uuid}/signature",
            json=member.request_body(http, new, outcome.uuid, request),
        )
        assert (r.status_code, r.json()["error"]["check"]) == (409, "issued")
        # Another election: one signature, however many requests arrive at once.
        key = _key(http, outcome.other)
        bodies = [
            member.request_body(
                http, outcome.keys[0], outcome.other, member.prepare(outcome.other, GROUP, key)
            )
            for _ in range(6)
        ]
        path = f"/api/registry/elections/{outcome.other}/signature"
        assert _concurrently(http, path, bodies) == [200] + [409] * 5
        assert http.get("/api/registry").json()["elections"][outcome.other] == {"issued": 1}
        assert http.post(path, json=bodies[0]).status_code == 401  # its challenge is used


def test_the_registry_on_postgresql(outcome: Outcome, postgres: str, tmp_path: Path) -> None:
    data = tmp_path / "registry"
    env = {**os.environ, "HRAMADA_REGISTRAR_PASSWORD": PASSWORD}
    done = subprocess.run(
        [*HRAMADA, "registry", "registrar", "add", "ihar", "--data", str(data), "--database",
         postgres, "--key", outcome.registrar_key.verify_key.encode().hex()],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    uuid = "A" * 14
    cli("registry", "keygen", "--out", tmp_path / "keys", "--bits", "2048")
    cli("registry", "election", "--keys", tmp_path / "keys", "--election", uuid, "--data", data,
        "--database", postgres)  # fmt: skip
    registry = Registry(data, tmp_path / "registry.log", extra=["--database", postgres]).start()
    try:
        with httpx.Client(base_url=registry.url, timeout=60) as http:
            session = enrol.login(http, "ihar", PASSWORD)
            k = SigningKey.generate()
            r = enrol.enrol(http, session, outcome.custodians, outcome.registrar_key,
                            "PG 0000001", k.verify_key.encode().hex())  # fmt: skip
            assert r.status_code == 201, r.text
            key = decode(
                (tmp_path / "keys" / "registry_key.json").read_bytes(), reg.RegistryKey, "k"
            )
            path = f"/api/registry/elections/{uuid}/signature"
            request = member.prepare(uuid, GROUP, key)
            r = http.post(path, json=member.request_body(http, k, uuid, request))
            assert r.status_code == 200, r.text
            member.finalize(key, request, base64.b64decode(r.json()["blind_signature"]))
            r = http.post(path, json=member.request_body(http, k, uuid, request))
            assert r.status_code == 409
            assert http.get("/api/registry").json()["members"] == 1
    finally:
        registry.stop()
    assert not (data / "registry.sqlite").exists()


def test_a_seized_registry_with_one_custodian_cannot_test_a_document(outcome: Outcome) -> None:
    """A tag is a function of the joint key: no custodian's share alone, nor any key file or
    token a seizure of the registry and one custodian finds, computes it (the same function
    under the key interpolated from two shares does: the check can see a match)."""
    dump = seizure.dump(outcome.registry.data / "registry.sqlite")
    folders = [outcome.work / "custodians" / f"custodian-{i}" for i in (1, 2, 3)]
    shares = {n: bytes.fromhex((f / "share.key").read_text()) for n, f in enumerate(folders, 1)}
    joint = bytes(32)
    for i in (1, 2):
        joint = oprf.scalar_add(joint, oprf.scalar_mul(t.lagrange_at_zero(i, [1, 2]), shares[i]))
    secrets_found = [p.read_bytes() for p in outcome.registry.data.rglob("*.key")]
    secrets_found += [p.read_bytes() for f in folders for p in f.rglob("*") if p.is_file()]
    for _, document, _ in MEMBERS:
        data = enrol.normalize(document)
        assert VOPRF.evaluate(joint, data).hex() in dump  # enrolled: the joint key finds it
        for share in shares.values():
            assert VOPRF.evaluate(share, data).hex() not in dump
        for key in secrets_found:
            for h in ("sha256", "sha512"):
                for text in (data, document.encode()):
                    assert hmac.new(key, text, h).hexdigest() not in dump


def test_the_registrars_command_line_client(outcome: Outcome, tmp_path: Path) -> None:
    c = outcome.custodians
    doc = {
        "commitments": [x.hex() for x in c.commitments],
        "custodians": [{"index": e.index, "url": e.url, "token": e.token} for e in c.endpoints],
    }
    (tmp_path / "custodians.json").write_text(json.dumps(doc))
    (tmp_path / "registrar.key").write_text(outcome.registrar_key.encode().hex())
    env = {**os.environ, "HRAMADA_REGISTRAR_PASSWORD": PASSWORD}

    def enrol_cli(document: str, member_key: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*HRAMADA, "registry", "enrol", "--registry", outcome.registry.url, "--custodians",
             str(tmp_path / "custodians.json"), "--name", "alesia", "--key",
             str(tmp_path / "registrar.key"), "--member-key", member_key],
            input=document + "\n", env=env, capture_output=True, text=True,
        )  # fmt: skip

    before = httpx.get(f"{outcome.registry.url}/api/registry").json()
    first, second = (SigningKey.generate().verify_key.encode().hex() for _ in range(2))
    done = enrol_cli("BY 0424242", first)
    assert done.returncode == 0 and done.stdout == "Document:enrolled\n", done.stderr
    done = enrol_cli("by0424242", second)
    assert done.stdout == "Document:re-enrolled: the member's key was replaced\n", done.stderr
    done = enrol_cli("by0424242", second)
    assert done.returncode == 1 and "409" in done.stderr and "unchanged" in done.stderr
    assert "0424242" not in done.stdout + done.stderr  # the prompt does not echo it
    after = httpx.get(f"{outcome.registry.url}/api/registry").json()
    assert after["members"] == before["members"] + 1
    assert after["re-enrolments"] == before["re-enrolments"] + 1


def test_a_signature_is_released_only_once_its_flag_is_on_disk(outcome: Outcome) -> None:
    """While another writer holds the database the issued flag cannot be stored: the registry
    answers 503 and releases no signature, the flag stays unset, and once the database is free
    the member gets the one signature it is owed."""
    with httpx.Client(base_url=outcome.registry.url, timeout=60) as http:
        key = _key(http, outcome.other)
        before = http.get("/api/registry").json()["elections"][outcome.other]["issued"]
        path = f"/api/registry/elections/{outcome.other}/signature"
        request = member.prepare(outcome.other, GROUP, key)
        body = member.request_body(http, outcome.keys[2], outcome.other, request)
        db = sqlite3.connect(outcome.registry.data / "registry.sqlite", isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")  # another writer, until its busy timeout runs out
            r = http.post(path, json=body)
        finally:
            db.execute("ROLLBACK")
            db.close()
        assert (r.status_code, r.json()["error"]["check"]) == (503, "database"), r.text
        assert "blind_signature" not in r.json()
        assert http.get("/api/registry").json()["elections"][outcome.other]["issued"] == before
        request = member.prepare(outcome.other, GROUP, key)
        r = http.post(path, json=member.request_body(http, outcome.keys[2], outcome.other, request))
        assert r.status_code == 200, r.text
        member.finalize(key, request, base64.b64decode(r.json()["blind_signature"]))
        assert http.get("/api/registry").json()["elections"][outcome.other]["issued"] == before + 1
