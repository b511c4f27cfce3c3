"""Interoperability with the real `belenios-tool` (Debian 2.0, finite-field groups only).

Both directions are checked, for archives and for single ballots:
  (a) belenios-tool verifies the archives of our demo elections;
  (b) our ballot box accepts ballots made by belenios-tool, and our verifier accepts an election
      run entirely by belenios-tool;
  (c) belenios-tool accepts, tallies and decrypts ballots made by us;
  (d) an election run only through our role commands verifies with both tools.
Every belenios-tool call here is cheap: BELENIOS-2048, three voters, one re-vote.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import BELENIOS_TOOL, VECTORS, belenios_verify, hramada, needs_belenios

from hramada.election.ballot import check_ballot, create_ballot
from hramada.election.box import BallotBox
from hramada.election.context import context_from_archive
from hramada.election.decryption import make_partial_decryption
from hramada.election.demo import DemoOutcome
from hramada.protocol.archive import read_archive
from hramada.protocol.canonical import encode, sha256_b64
from hramada.verify.verifier import verify_archive

pytestmark = needs_belenios

GROUP = "BELENIOS-2048"
TEMPLATE = VECTORS / "questions.json"  # Q1: blank allowed, 1-2 of 3; Q2: yes/no

# login, weight; the credential authority's voter list.
VOTERS = [("alice", 1), ("bob", 2), ("carol", 1)]
# In casting order; carol votes blank first, then changes her mind: only her last ballot counts.
VOTES: list[tuple[str, list[list[int]]]] = [
    ("alice", [[0, 1, 1, 0], [1, 0]]),
    ("carol", [[1, 0, 0, 0], [1, 0]]),
    ("bob", [[0, 0, 1, 0], [0, 1]]),
    ("carol", [[0, 1, 0, 0], [0, 1]]),
]


def expected_result(votes: Sequence[tuple[str, list[list[int]]]]) -> list[list[int]]:
    """Weighted sum of the last ballot of each voter."""
    weight = dict(VOTERS)
    last = dict(votes)
    first = votes[0][1]
    return [
        [sum(weight[v] * last[v][i][j] for v in last) for j in range(len(row))]
        for i, row in enumerate(first)
    ]


def belenios(*args: str, cwd: Path, stdin: bytes | None = None) -> str:
    """Run belenios-tool in `cwd`; fail the test with its messages when it fails."""
    assert BELENIOS_TOOL is not None
    proc = subprocess.run(
        [BELENIOS_TOOL, *args],
        cwd=cwd,
        input=stdin if stdin is not None else b"",
        capture_output=True,
    )
    assert proc.returncode == 0, (args, proc.stdout.decode(), proc.stderr.decode())
    return proc.stdout.decode()


def assert_belenios_accepts(archive: Path, folder: Path) -> str:
    """Copy the archive alone into `folder` and run `belenios-tool election verify` there."""
    folder.mkdir(parents=True)
    alone = folder / archive.name
    shutil.copyfile(archive, alone)
    proc = belenios_verify(alone)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "all checks passed" in output, output
    return output


@dataclass(frozen=True)
class BeleniosElection:
    """An election set up by belenios-tool: only the Setup event in its archive so far."""

    folder: Path
    uuid: str
    setup: bytes  # the archive bytes right after `archive init`
    credentials: dict[str, str]  # login -> private credential
    privkeys: list[Path]  # trustee private keys, in trustee order

    def fresh(self, folder: Path) -> Path:
        """A copy of the setup archive, alone in a new folder."""
        folder.mkdir(parents=True)
        path = folder / f"{self.uuid}.bel"
        path.write_bytes(self.setup)
        return path


@pytest.fixture(scope="module")
def bt_election(tmp_path_factory: pytest.TempPathFactory) -> BeleniosElection:
    d = tmp_path_factory.mktemp("belenios-setup")
    uuid = belenios("setup", "generate-token", cwd=d).strip()
    lines = [f"{login}@example.org,{login},{w}" for login, w in VOTERS]
    (d / "voters.txt").write_text("\n".join(lines) + "\n")
    belenios(
        "setup", "generate-credentials", "--uuid", uuid, "--group", GROUP, "--file", "voters.txt",
        cwd=d,
    )  # fmt: skip
    (privcreds,) = d.glob("*.privcreds")
    (pubcreds,) = d.glob("*.pubcreds")
    pubcreds.rename(d / "public_creds.json")
    credentials = {}
    for line in privcreds.read_text().splitlines():
        ident, cred = line.rsplit(" ", 1)
        credentials[ident.split(",")[1]] = cred
    assert sorted(credentials) == sorted(login for login, _ in VOTERS)

    for _ in range(2):
        belenios("setup", "generate-trustee-key", "--group", GROUP, cwd=d)
    pubkeys = sorted(d.glob("*.pubkey"))
    assert len(pubkeys) == 2
    (d / "public_keys.jsons").write_bytes(b"".join(p.read_bytes() for p in pubkeys))
    belenios("setup", "make-trustees", cwd=d)
    belenios(
        "setup", "make-election", "--uuid", uuid, "--group", GROUP, "--template", str(TEMPLATE),
        cwd=d,
    )  # fmt: skip
    belenios("archive", "init", cwd=d)
    archive = d / f"{uuid}.bel"
    return BeleniosElection(
        folder=d,
        uuid=uuid,
        setup=archive.read_bytes(),
        credentials=credentials,
        privkeys=[p.with_suffix(".privkey") for p in pubkeys],
    )


@pytest.fixture(scope="module")
def bt_ballots(
    bt_election: BeleniosElection, tmp_path_factory: pytest.TempPathFactory
) -> list[bytes]:
    """The ballots of VOTES, made by `belenios-tool election generate-ballot` (2.0 syntax)."""
    d = tmp_path_factory.mktemp("belenios-ballots")
    bt_election.fresh(d / "box")
    ballots = []
    for n, (login, choices) in enumerate(VOTES):
        (d / f"cred{n}").write_text(bt_election.credentials[login] + "\n")
        (d / f"choice{n}").write_text(json.dumps(choices) + "\n")
        out = belenios(
            "election", "generate-ballot", "--dir", "box",
            "--privcred", f"cred{n}", "--ballot", f"choice{n}",
            cwd=d,
        )  # fmt: skip
        ballots.append(out.encode())
    return ballots


def finish_with_belenios(folder: Path, trustees: int, privkeys: list[Path]) -> list[list[int]]:
    """Close, tally, decrypt with every key and publish, all by belenios-tool; its result."""
    belenios("archive", "add-event", "--type=EndBallots", cwd=folder)
    tally = belenios("election", "compute-encrypted-tally", cwd=folder)
    belenios("archive", "add-event", "--type=EncryptedTally", cwd=folder, stdin=tally.encode())
    assert len(privkeys) == trustees
    for i, key in enumerate(privkeys, 1):
        pd = belenios(
            "election", "decrypt", "--privkey", str(key), "--trustee-id", str(i), cwd=folder
        )
        belenios("archive", "add-event", "--type=PartialDecryption", cwd=folder, stdin=pd.encode())
    result = belenios("election", "compute-result", cwd=folder)
    belenios("archive", "add-event", "--type=Result", cwd=folder, stdin=result.encode())
    rows = json.loads(result)["result"]
    return [[int(x) for x in row] for row in rows]


# (a) belenios-tool verifies our archives ------------------------------------------------------


@pytest.mark.parametrize("name", ["ff-single", "ff-threshold", "rfc-single"])
def test_belenios_verifies_our_demo_archive(
    name: str, demo_archives: dict[str, DemoOutcome], tmp_path: Path
) -> None:
    outcome = demo_archives[name]
    assert outcome.result == outcome.expected
    output = assert_belenios_accepts(outcome.path, tmp_path / name)
    assert "no result to check" not in output  # the Result event was there and was checked


# (b) belenios-made ballots and archives in our code -------------------------------------------


def test_our_box_accepts_belenios_ballots(
    bt_election: BeleniosElection, bt_ballots: list[bytes], tmp_path: Path
) -> None:
    path = bt_election.fresh(tmp_path / "ours")
    box = BallotBox.open(path)
    weights = dict(VOTERS)
    for (login, _), raw in zip(VOTES, bt_ballots, strict=True):
        data = raw.strip()
        assert check_ballot(box.ctx, data).weight == weights[login]
        accepted = box.cast(data)
        assert accepted.tracker == sha256_b64(data)
        assert accepted.credential == json.loads(data)["credential"]
        assert accepted.weight == weights[login]
    # Re-opening replays the stored ballots through the same rules.
    assert len(BallotBox.open(path).ballots) == len(VOTES)

    # Finish the election with our box and belenios-tool's trustee keys.
    box.close()
    tally = box.compute_tally()
    assert (tally.num_tallied, tally.total_weight) == (3, 4)
    for owner, key in enumerate(bt_election.privkeys, 1):
        x = box.ctx.group.decode_scalar(json.loads(key.read_text()))
        pd = make_partial_decryption(box.ctx, tally.ciphertexts, x)
        box.add_partial_decryption(owner, encode(pd))
    assert box.publish_result() == expected_result(VOTES)

    report = verify_archive(path)
    assert report.ok, [str(p) for p in report.problems]
    assert report.result == expected_result(VOTES)
    assert_belenios_accepts(path, tmp_path / "check")


def test_our_box_rejects_tampered_belenios_ballot(
    bt_election: BeleniosElection, bt_ballots: list[bytes], tmp_path: Path
) -> None:
    path = bt_election.fresh(tmp_path / "ours")
    before = path.read_bytes()
    ballot = json.loads(bt_ballots[0])
    ballot["answers"].reverse()  # still well-formed, but no longer what was signed
    box = BallotBox.open(path)
    with pytest.raises(ValueError, match=r"signature|format"):
        box.cast(json.dumps(ballot, separators=(",", ":")).encode())
    # Not canonical: the same ballot with spaces.
    with pytest.raises(ValueError, match="format"):
        box.cast(json.dumps(json.loads(bt_ballots[0])).encode())
    assert path.read_bytes() == before


def test_our_verifier_accepts_belenios_election(
    bt_election: BeleniosElection, bt_ballots: list[bytes], tmp_path: Path
) -> None:
    folder = tmp_path / "bt"
    path = bt_election.fresh(folder)
    for raw in bt_ballots:
        belenios("archive", "add-event", "--type=Ballot", cwd=folder, stdin=raw)
    result = finish_with_belenios(folder, 2, bt_election.privkeys)
    assert result == expected_result(VOTES)

    report = verify_archive(path, collect_all=True)
    assert report.ok, [str(p) for p in report.problems]
    assert report.complete
    assert (report.ballots, report.tallied) == (len(VOTES), 3)
    assert report.result == expected_result(VOTES)
    assert report.election is not None and report.election.uuid == bt_election.uuid

    proc = hramada("verify", str(path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert_belenios_accepts(path, tmp_path / "check")


# (c) belenios-tool accepts our ballots --------------------------------------------------------


def test_belenios_accepts_and_tallies_our_ballots(
    bt_election: BeleniosElection, tmp_path: Path
) -> None:
    folder = tmp_path / "bt"
    path = bt_election.fresh(folder)
    ctx = context_from_archive(read_archive(path))
    for n, (login, choices) in enumerate(VOTES):
        credential = bt_election.credentials[login]
        if n % 2 == 0:  # half through the voter command, half through the library
            out = tmp_path / f"ballot{n}.json"
            proc = hramada(
                "voter", "ballot", str(path),
                "--credential", credential, "--choices", json.dumps(choices), "--out", str(out),
            )  # fmt: skip
            assert proc.returncode == 0, proc.stderr
            ballot = out.read_bytes()
            assert f"tracking code: {sha256_b64(ballot)}" in proc.stderr
        else:
            ballot = create_ballot(ctx, credential, choices)
        belenios("archive", "add-event", "--type=Ballot", cwd=folder, stdin=ballot)

    output = assert_belenios_accepts(path, tmp_path / "check")
    assert "no result to check" in output
    # belenios-tool tallies and decrypts our ballots to the votes we encrypted.
    assert finish_with_belenios(folder, 2, bt_election.privkeys) == expected_result(VOTES)
    assert_belenios_accepts(path, tmp_path / "final")
    assert verify_archive(path).result == expected_result(VOTES)


# (d) a whole election through our role commands -----------------------------------------------


def run_ok(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    proc = hramada(*args, cwd=cwd)
    assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
    return proc


def test_cli_roles_election_verified_by_both_tools(tmp_path: Path) -> None:
    d = tmp_path
    uuid = run_ok("election", "new-uuid", cwd=d).stdout.strip()
    assert re.fullmatch(r"[1-9A-HJ-NP-Za-km-z]{14,}", uuid), uuid

    (d / "voters.txt").write_text(
        "".join(f"{login}@example.org,{login},{w}\n" for login, w in VOTERS)
    )
    run_ok(
        "credentials", "generate", "--uuid", uuid, "--voters", "voters.txt",
        "--group", GROUP, "--out", "registrar", cwd=d,
    )  # fmt: skip
    private = json.loads((d / "registrar" / "private_credentials.json").read_text())
    assert sorted(private) == sorted(login for login, _ in VOTERS)

    keys = []
    for t in ("t1", "t2"):
        run_ok("trustee", "keygen", "--group", GROUP, "--name", t, "--out", t, cwd=d)
        (priv,) = (d / t).glob("*.privkey")
        keys.append(priv)
    (d / "template.json").write_bytes(TEMPLATE.read_bytes())
    run_ok(
        "election", "setup", "--uuid", uuid, "--template", "template.json",
        "--credentials", "registrar/public_credentials.json",
        "--trustee", str(keys[0].with_suffix(".pubkey")),
        "--trustee", str(keys[1].with_suffix(".pubkey")),
        "--group", GROUP, "--out", "box", cwd=d,
    )  # fmt: skip
    archive = d / "box" / f"{uuid}.bel"
    assert archive.is_file()

    trackers = []
    for n, (login, choices) in enumerate(VOTES):
        ballot = f"ballot{n}.json"
        run_ok(
            "voter", "ballot", str(archive), "--credential", private[login],
            "--choices", json.dumps(choices), "--out", ballot, cwd=d,
        )  # fmt: skip
        cast = run_ok("election", "cast", str(archive), ballot, cwd=d)
        trackers.append(sha256_b64((d / ballot).read_bytes()))
        assert trackers[-1] in cast.stdout
    run_ok("election", "close", str(archive), cwd=d)
    tally = run_ok("election", "tally", str(archive), cwd=d)
    assert "3 ballots (weight 4)" in tally.stdout

    for n, key in enumerate(keys):
        pd = d / f"pd{n}.json"
        proc = run_ok(
            "trustee", "decrypt", str(archive), "--key", str(key), "--out", str(pd), cwd=d
        )
        match = re.search(r"trustee number (\d+)", proc.stderr)
        assert match, proc.stderr
        assert int(match.group(1)) == n + 1
        run_ok(
            "election", "add-decryption", str(archive), "--owner", match.group(1), str(pd), cwd=d
        )
    run_ok("election", "result", str(archive), cwd=d)

    report = verify_archive(archive)
    assert report.ok and report.complete, [str(p) for p in report.problems]
    assert report.result == expected_result(VOTES)
    assert (report.ballots, report.tallied, report.events) == (4, 3, 10)

    proc = hramada("verify", str(archive))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "4 valid ballots, 3 tallied" in proc.stdout
    assert "OK" in proc.stdout
    assert_belenios_accepts(archive, tmp_path / "check")
