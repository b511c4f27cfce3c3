"""Seized servers: `hramada demo --registry` runs every service as a real process; an adversary
given every file it left (databases dumped too) and the list of members finds no member in
it, cannot test a document number without two custodians' shares, and finds no value that links
the registry's records to the published credentials, registrations or ballots."""

from __future__ import annotations

import base64
import json
import re
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import seizure
from server_harness import HRAMADA

from hramada.crypto import oprf
from hramada.crypto import threshold_oprf as t
from hramada.crypto.groups import get_group
from hramada.crypto.oprf import VOPRF
from hramada.election import registrations as reg
from hramada.protocol.canonical import encode
from hramada.registry import enrol

MEMBERS = [  # name, document as the registrar types it, phone
    ("Alesia Kavaliova", "MP1234567", "+48 601 234 567"),
    ("Ihar Sidarenka", "KH 7654321", "+370 612 34567"),
    ("Nasta Lukashevich", "EX-0000042", "+48 799 000 111"),
    ("Zmitser Dashkevich", "ab 765-4321", "+49 30 1234 5678"),
    ("Volha Ramanchyk", "HB0000007", "+375 29 111 22 33"),
    ("Alesia Kavaliova", "mp 123-4567", "+48 601 234 567"),  # again, a lost phone: re-enrolled
]
ENROLLED = 5
NOT_ENROLLED = "MP7654321"


@dataclass
class Seized:
    folder: Path
    demo: subprocess.CompletedProcess[str]
    files: dict[str, str]  # every file (latin-1), and every SQLite database's dump


@pytest.fixture(scope="module")
def seized(tmp_path_factory: pytest.TempPathFactory) -> Seized:
    work = tmp_path_factory.mktemp("demo-registry")
    members = work / "members.csv"  # the member list: the adversary has it, the demo's folder not
    lines = ["name,document,phone", *(",".join(m) for m in MEMBERS)]
    members.write_text("\ufeff" + "\n".join(lines) + "\n")  # saved by a spreadsheet: a BOM
    folder = work / "out"
    demo = subprocess.run(
        [*HRAMADA, "demo", "--registry", "--members", str(members), "--out", str(folder)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stdout + demo.stderr
    files: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            raw = path.read_bytes()
            files[str(path.relative_to(folder))] = raw.decode("latin-1")
            if raw.startswith(b"SQLite format 3\0"):
                files[f"{path.relative_to(folder)} (dump)"] = seizure.dump(path)
    return Seized(folder, demo, files)


def test_the_demo_leaves_every_service_s_files_and_verifies(seized: Seized) -> None:
    assert "OK: every check passed." in seized.demo.stdout
    assert "5 registrations" in seized.demo.stdout
    assert "1 document(s) came again" in seized.demo.stdout
    names = set(seized.files)
    for expected in [
        "registry/registry.sqlite", "server/hramada.sqlite", "registrations.json",
        "issuance.json", "logs/registry.log", "logs/server.log",
        *(f"custodians/custodian-{i}/custodian.sqlite" for i in (1, 2, 3)),
        *(f"logs/custodian-{i}.log" for i in (1, 2, 3)),
    ]:  # fmt: skip
        assert expected in names, expected
    assert len(list(seized.folder.glob("*.bel"))) == 1
    statement = json.loads(seized.files["issuance.json"])["statement"]
    assert (statement["issued"], statement["members"]) == (5, 5)
    done = subprocess.run([*HRAMADA, "verify", str(seized.folder)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK: every check passed." in done.stdout


def _key_files(folder: Path) -> list[bytes]:
    """Every key a seizer could try: each small file as it is, stripped, and hex-decoded; and
    every token in the registrar's custodians file."""
    keys = []
    for path in folder.rglob("*"):
        if path.is_file() and path.stat().st_size <= 8192:
            raw = path.read_bytes()
            keys += [raw, raw.strip()]
            if re.fullmatch(rb"[0-9a-fA-F]+", raw.strip()):
                keys.append(bytes.fromhex(raw.strip().decode()))
    pinned = json.loads((folder / "registrar" / "custodians.json").read_text())
    keys += [c["token"].encode() for c in pinned["custodians"]]
    return keys


def test_no_member_is_found_anywhere(seized: Seized) -> None:
    haystack = "\n".join(seized.files.values())
    assert haystack.count('INSERT INTO "members"') == ENROLLED  # the right folder
    assert """INSERT INTO "counters" VALUES('re-enrolments',1)""" in haystack
    keys = _key_files(seized.folder)
    assert len(keys) > 20
    for name, document, phone in MEMBERS:
        looked_for = seizure.forms(name) | seizure.forms(phone)
        looked_for |= {w for w in name.split() if len(w) >= 5}
        looked_for |= seizure.forms(document, document=True)
        looked_for |= seizure.keyed_forms(document, keys)
        for form in looked_for:
            assert form not in haystack, (name, form)


def _joint_key(shares: dict[int, bytes], which: list[int]) -> bytes:
    key = bytes(32)
    for i in which:
        key = oprf.scalar_add(key, oprf.scalar_mul(t.lagrange_at_zero(i, which), shares[i]))
    return key


def test_enrolment_cannot_be_tested_without_two_shares(seized: Seized) -> None:
    registry = seized.files["registry/registry.sqlite (dump)"]
    shares = {
        i: bytes.fromhex((seized.folder / f"custodians/custodian-{i}/share.key").read_text())
        for i in (1, 2, 3)
    }
    joint = {_joint_key(shares, list(pair)) for pair in [(1, 2), (1, 3), (2, 3)]}
    assert len(joint) == 1  # any two custodians' shares give the one key
    (key,) = joint
    for _, document, _ in MEMBERS:
        data = enrol.normalize(document)
        for share in shares.values():  # one custodian's share alone: no tag matches
            assert VOPRF.evaluate(share, data).hex() not in registry
        assert VOPRF.evaluate(key, data).hex() in registry  # with two: enrolled
    assert VOPRF.evaluate(key, enrol.normalize(NOT_ENROLLED)).hex() not in registry


def _registry_values(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        members = db.execute("SELECT tag, member_key, challenge, record FROM members")
        values = {v for row in members for v in row}
        values |= {v for (v,) in db.execute("SELECT tag FROM issued")}
        values |= {v for (v,) in db.execute("SELECT record_key FROM registrars")}
    return values


def test_no_registry_record_links_to_a_credential_or_ballot(seized: Seized) -> None:
    folder = seized.folder
    records = _registry_values(folder / "registry" / "registry.sqlite")
    assert len(records) == 4 * ENROLLED + 2
    uuid = next(folder.glob("*.bel")).stem
    published = "\n".join(
        seized.files[name]
        for name in (f"{uuid}.bel", "registrations.json", "server/hramada.sqlite (dump)")
    )
    for value in records:
        for form in (value, base64.b64encode(bytes.fromhex(value)).decode().rstrip("=")):
            assert form not in published, value
    registry = "\n".join(v for k, v in seized.files.items() if k.startswith("registry/"))
    registry += seized.files["logs/registry.log"]
    listed = json.loads(seized.files["registrations.json"])["registrations"]
    assert len(listed) == ENROLLED
    for r in listed:
        signature = base64.b64decode(r["signature"])
        for value in (r["credential"], r["signature"], signature.hex(), r["prefix"]):
            assert value not in registry
    # No order to match either: the registry keeps tags in tag order, the server credentials in
    # credential order (and publishes them in the Setup's), neither in order of arrival.
    tags = re.findall(r"INSERT INTO \"members\" VALUES\('([0-9a-f]+)'", registry)
    assert len(tags) == ENROLLED and tags == sorted(tags)
    server = seized.files["server/hramada.sqlite (dump)"]
    stored = re.findall(r"INSERT INTO \"registrations\" VALUES\('\w+','([0-9a-f]+)'", server)
    assert len(stored) == ENROLLED and stored == sorted(stored)
    credentials = [r["credential"] for r in listed]
    group = get_group("Ed25519")
    assert reg.sorted_credentials(group, credentials) == encode(credentials)


@pytest.mark.parametrize(
    ("csv", "flags", "message"),
    [
        ("name,phone\nA,1\n", ["--registry"], "header name,document,phone"),
        ("name,document,phone\nA,??,1\n", ["--registry"], "1 to 64 letters and digits"),
        ("name,document,phone\n", ["--registry"], "no members"),
        (None, ["--registry"], "--registry needs --members"),
        ("name,document,phone\nA,MP1,1\n", [], "--members goes with --registry"),
        ("name,document,phone\nA,MP1,1\n", ["--registry", "--out", "m.csv"], "not an empty"),
    ],
)
def test_bad_input_is_refused_before_anything_starts(
    tmp_path: Path, csv: str | None, flags: list[str], message: str
) -> None:
    args = [str(tmp_path / f) if f == "m.csv" else f for f in flags]
    if csv is not None:
        (tmp_path / "m.csv").write_text(csv)
        args += ["--members", str(tmp_path / "m.csv")]
    done = subprocess.run(
        [*HRAMADA, "demo", "--out", str(tmp_path / "out"), *args], capture_output=True, text=True
    )
    assert done.returncode == 2 and message in " ".join(done.stderr.replace("│", " ").split()), (
        done.stderr
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == (["m.csv"] if csv is not None else [])
