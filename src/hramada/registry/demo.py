"""`hramada demo --registry`: anonymous eligibility end to end, every service a real process on
loopback: 3 custodians (2 needed), the registry, the election server; registrars enrol the
members of a CSV file, each member's device gets a blind-signed credential, registers and votes."""

from __future__ import annotations

import base64
import csv
import json
import random
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import msgspec
from nacl.signing import SigningKey

from hramada.election import registrations as reg
from hramada.election.ballot import create_ballot
from hramada.election.context import context_from_archive
from hramada.election.demo import DEMO_TEMPLATE, random_plaintext
from hramada.protocol.archive import read_archive
from hramada.protocol.canonical import decode
from hramada.protocol.secret_files import private_folder, write_secret
from hramada.registry import enrol, member, member_code
from hramada.registry import registry_store as store
from hramada.registry.custodian_client import load_custodians
from hramada.server.accounts import create_admin
from hramada.server.database import connect

HRAMADA = [sys.executable, "-m", "hramada"]
GROUP = "Ed25519"
CUSTODIANS, THRESHOLD = 3, 2
TRUSTEES = 2
REGISTRAR, BOARD = "registrar-1", "registry-board"  # the registry's two accounts
Say = Callable[[str], None]
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Member:
    """One line of the members file. Only the document number is ever used, by the registrar."""

    name: str
    document: str
    phone: str


@dataclass(frozen=True)
class RegistryDemoOutcome:
    folder: Path
    uuid: str
    members: int
    result: list[list[int]]
    expected: list[list[int]]


def read_members(path: Path) -> list[Member]:
    """The members file: a CSV with the header `name,document,phone`, one member a line."""
    with path.open(newline="", encoding="utf-8-sig") as f:  # a spreadsheet's BOM too
        rows = list(csv.reader(f))
    if not rows or [c.strip().lower() for c in rows[0]] != ["name", "document", "phone"]:
        raise ValueError(f"{path}: the first line must be the header name,document,phone")
    members = []
    for n, row in enumerate(rows[1:], 2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != 3:
            raise ValueError(f"{path}, line {n}: expected name,document,phone")
        enrol.normalize(row[1])  # a document number the registrar's client accepts
        members.append(Member(*(c.strip() for c in row)))
    if not members:
        raise ValueError(f"{path}: no members")
    return members


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(*args: str | Path) -> str:
    """One `hramada` command, as the role it belongs to would run it."""
    done = subprocess.run([*HRAMADA, *map(str, args)], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"hramada {' '.join(map(str, args[:2]))} failed: {done.stderr}")
    return done.stdout


def _run_each(commands: list[list[str | Path]]) -> list[str]:
    """The custodians' commands of one ceremony step, run at once as the custodians would."""
    processes = [
        subprocess.Popen(
            [*HRAMADA, *map(str, c)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for c in commands
    ]
    outputs = []
    for p, c in zip(processes, commands, strict=True):
        out, errors = p.communicate(timeout=300)
        if p.returncode != 0:
            raise RuntimeError(f"hramada {' '.join(map(str, c[:2]))} failed: {errors}")
        outputs.append(out)
    return outputs


@contextmanager
def _service(
    args: list[str | Path], log: Path, ready: str, port: int | None = None
) -> Iterator[str]:
    """A service as its own process on `port` (default: a free loopback port), its output in
    `log`; yields its address once `ready` (a path) answers."""
    port = port or _free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*HRAMADA, *map(str, args), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"hramada {args[0]} exited at start: see {log}")
            try:
                httpx.get(url + ready, timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"hramada {args[0]} did not start: see {log}") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def custodian_ceremony(root: Path) -> list[tuple[Path, str]]:
    """The joint key ceremony through the custodians' own commands; each one's folder and the
    access token it gave the registry."""
    dirs = [root / f"custodian-{i}" for i in range(1, CUSTODIANS + 1)]
    _run_each(
        [
            ["custodian", "init", "--index", str(i), "--of", str(CUSTODIANS), "--threshold",
             str(THRESHOLD), "--data", d]
            for i, d in enumerate(dirs, 1)
        ]
    )  # fmt: skip
    cards = [d / f"card-{i}.json" for i, d in enumerate(dirs, 1)]
    _run_each([["custodian", "deal", "--data", d, *cards] for d in dirs])
    dealings = [d / f"dealing-{i}.json" for i, d in enumerate(dirs, 1)]
    joined = _run_each([["custodian", "join", "--data", d, *dealings] for d in dirs])
    if len({out.split("Fingerprint ")[1].split()[0] for out in joined}) != 1:
        raise RuntimeError("the custodians do not hold shares of one key")
    tokens = _run_each([["custodian", "client", "registry", "--data", d] for d in dirs])
    return [(d, t.strip()) for d, t in zip(dirs, tokens, strict=True)]


def _question(q: Any) -> dict[str, Any]:
    return {"question": q.question, "answers": q.answers, "min": q.min, "max": q.max,
            "blank": bool(q.blank)}  # fmt: skip


def _check(r: httpx.Response, *ok: int) -> httpx.Response:
    if r.status_code not in (ok or (200, 201)):
        raise RuntimeError(f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text}")
    return r


def run_registry_demo(
    members_file: Path, out: Path, say: Say, progress: Progress | None = None
) -> RegistryDemoOutcome:
    """Run the whole flow; leave every database, log and published file in `out`."""
    report = progress or (lambda _stage, _done, _total: None)
    people = read_members(members_file)
    out.mkdir(parents=True, exist_ok=True)
    logs = out / "logs"
    logs.mkdir(exist_ok=True)
    rng = random.SystemRandom()
    with ExitStack() as services:
        say(f"Custodians: a joint key ceremony, {CUSTODIANS} custodians, {THRESHOLD} needed")
        custodians = custodian_ceremony(out / "custodians")
        urls = [
            services.enter_context(
                _service(["custodian", "serve", "--data", d], logs / f"custodian-{i}.log",
                         "/api/custodian")
            )
            for i, (d, _) in enumerate(custodians, 1)
        ]  # fmt: skip
        commitments = httpx.get(f"{urls[0]}/api/custodian").json()["commitments"]
        registrar_home = out / "registrar"
        private_folder(registrar_home)
        custodians_file = registrar_home / "custodians.json"
        pinned = [
            {"index": i, "url": u, "token": t}
            for i, (u, (_, t)) in enumerate(zip(urls, custodians, strict=True), 1)
        ]
        write_secret(
            custodians_file, json.dumps({"commitments": commitments, "custodians": pinned})
        )

        say("Election server: an administrator creates a draft election")
        server_data = out / "server"
        server_data.mkdir(exist_ok=True)
        admin_password = secrets.token_urlsafe(16)
        engine = connect(f"sqlite:///{(server_data / 'hramada.sqlite').resolve()}")
        create_admin(engine, "admin", admin_password)
        engine.dispose()
        server_url = services.enter_context(
            _service(["serve", "--data", server_data, "--workers", "1"], logs / "server.log",
                     "/api/elections")
        )  # fmt: skip
        server = services.enter_context(httpx.Client(base_url=server_url, timeout=120))
        _check(server.post("/api/admin/login", json={"username": "admin",
                                                      "password": admin_password}))  # fmt: skip
        draft = {
            "name": "Members' council (registry demo)",
            "description": DEMO_TEMPLATE.description,
            "group": GROUP,
            "questions": [_question(q) for q in DEMO_TEMPLATE.questions],
        }
        uuid = str(_check(server.post("/api/admin/elections", json=draft)).json()["uuid"])
        admin = f"/api/admin/elections/{uuid}"

        say(f"Registry: keys for election {uuid}, two accounts, then the service")
        registry_data = out / "registry"
        keys = registry_data / "keygen" / uuid
        _run("registry", "keygen", "--out", keys, "--bits", "2048")
        _run("registry", "election", "--keys", keys, "--election", uuid, "--data", registry_data)
        registrar_key = SigningKey.generate()
        write_secret(registrar_home / "registrar.key", registrar_key.encode().hex() + "\n")
        passwords = {REGISTRAR: secrets.token_urlsafe(16), BOARD: secrets.token_urlsafe(16)}
        db = store.open_database(registry_data, None)
        for name, role, record_key in [
            (REGISTRAR, "registrar", registrar_key),
            (BOARD, "admin", SigningKey.generate()),
        ]:
            record = record_key.verify_key.encode().hex()
            store.add_registrar(db, name, role, passwords[name], record)
        db.dispose()
        registry_url = services.enter_context(
            _service(["registry", "serve", "--data", registry_data, "--election-server",
                      server_url], logs / "registry.log", "/api/registry")
        )  # fmt: skip
        registry = services.enter_context(httpx.Client(base_url=registry_url, timeout=120))
        public = (keys / "registry_key.json").read_bytes()
        key = decode(public, reg.RegistryKey, "registry_key.json")
        _check(server.put(f"{admin}/registry", content=public))
        _check(server.post(f"{admin}/registration/open"))

        say(f"Registrar: enrols the {len(people)} lines, typing each document number")
        tags = load_custodians(custodians_file)
        session = enrol.login(registry, REGISTRAR, passwords[REGISTRAR])
        # Each member's device: its member key, from the code the member writes down (as on the
        # member page), nothing else. The demo, which plays everyone, knows which line is whose;
        # the registry only sees that a tag came back (200).
        devices: dict[bytes, SigningKey] = {}
        for n, person in enumerate(people, 1):
            device = member_code.member_key(member_code.new_code())
            r = enrol.enrol(registry, session, tags, registrar_key, person.document,
                            device.verify_key.encode().hex())  # fmt: skip
            _check(r, 201, 200)
            devices[enrol.normalize(person.document)] = device
            report("enrolling", n, len(people))
        again = len(people) - len(devices)
        if again:
            say(f"Registry: {again} document(s) came again: the same tag, the key replaced")

        say("Members' devices: a credential each, blind-signed by the registry, then registered")
        requests = []
        for n, device in enumerate(devices.values(), 1):
            request = member.prepare(uuid, GROUP, key)
            body = member.request_body(registry, device, uuid, request)
            r = _check(registry.post(f"/api/registry/elections/{uuid}/signature", json=body))
            signature = base64.b64decode(r.json()["blind_signature"])
            requests.append((request, member.finalize(key, request, signature)))
            report("blind signatures", n, len(devices))
        rng.shuffle(requests)  # each device posts at its own moment, not in enrolment order
        for n, (_, registration) in enumerate(requests, 1):
            body = msgspec.to_builtins(registration)
            _check(server.post(f"/api/elections/{uuid}/registrations", json=body))
            report("registrations", n, len(requests))
        count = _check(server.post(f"{admin}/registration/close")).json()["count"]
        say(f"Election server: registration closed with {count} credentials")

        say(f"Trustees: {TRUSTEES} make their keys; the election opens")
        trustees = []
        for n in range(1, TRUSTEES + 1):
            link = _check(server.post(f"{admin}/trustees", json={"name": f"Trustee {n}"}))
            token = link.json()["link"].rsplit("/", 1)[1]
            home = out / "trustees" / f"trustee-{n}"
            _run("trustee", "keygen", "--group", GROUP, "--out", home)
            (pub,) = home.glob("*.pubkey")
            _run("trustee", "submit", f"{server_url}/api/trustee/{token}/key", pub)
            trustees.append((home, next(home.glob("*.privkey")), token))
        _check(server.post(f"{admin}/open"))

        archive = out / f"{uuid}.bel"
        archive.write_bytes(_check(server.get(f"/elections/{uuid}/archive.bel")).content)
        ctx = context_from_archive(read_archive(archive))
        expected = [[0] * (len(q.answers or []) + bool(q.blank)) for q in DEMO_TEMPLATE.questions]
        rng.shuffle(requests)
        for n, (request, _) in enumerate(requests, 1):
            choice = [random_plaintext(q, rng) for q in DEMO_TEMPLATE.questions]
            ballot = create_ballot(ctx, request.credential, choice)
            _check(server.post(f"/api/elections/{uuid}/ballots", content=ballot))
            for row, answers in zip(expected, choice, strict=True):
                for j, x in enumerate(answers):
                    row[j] += x
            report("voting", n, len(requests))

        say("Closing, tallying; each trustee decrypts on its own machine")
        _check(server.post(f"{admin}/close"))
        for n, (home, private, token) in enumerate(trustees, 1):
            copy = home / f"{uuid}.bel"
            copy.write_bytes(_check(server.get(f"/elections/{uuid}/archive.bel")).content)
            _run("trustee", "decrypt", copy, "--key", private, "--out", home / "pd.json")
            _run("trustee", "submit", f"{server_url}/api/trustee/{token}/decryption",
                 home / "pd.json")  # fmt: skip
            report("decrypting", n, len(trustees))
        result = _check(server.post(f"{admin}/publish")).json()["result"]

        say("Publishing: the archive, registrations.json, the registry's issuance statement")
        archive.write_bytes(_check(server.get(f"/elections/{uuid}/archive.bel")).content)
        registrations = _check(server.get(f"/elections/{uuid}/{reg.REGISTRATIONS_FILE}"))
        (out / reg.REGISTRATIONS_FILE).write_bytes(registrations.content)
        board = enrol.login(registry, BOARD, passwords[BOARD])
        statement = registry.post(
            f"/api/registry/elections/{uuid}/statement",
            headers={"authorization": f"Bearer {board}"},
        )
        (out / reg.ISSUANCE_FILE).write_bytes(_check(statement).content)
    return RegistryDemoOutcome(out, uuid, len(devices), result, expected)
