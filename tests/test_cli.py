"""The command line end to end: `demo`, `verify` on bad input, and the role commands refusing
bad input with exit code 1, a message naming the problem, and the archive left byte for byte
as it was."""

from __future__ import annotations

import json
import random
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import hramada, table_rows

from hramada.crypto.credentials import generate_credential
from hramada.verify.verifier import verify_archive

GROUP = "Ed25519"  # the default group: fast, and the one the interop tests cannot cover
TEMPLATE = {
    "description": "CLI test election.",
    "name": "CLI test",
    "questions": [
        {
            "question": "Elect up to 2",
            "answers": ["Ales", "Bela", "Ciril"],
            "min": 1,
            "max": 2,
            "blank": True,
        },
        {"question": "Approve?", "answers": ["Yes", "No"], "min": 1, "max": 1},
    ],
    "administrator": "Commission",
    "credential_authority": "Registrar",
}
GOOD = "[[0,1,1,0],[1,0]]"


def one_line(text: str) -> str:
    """Undo the line wrapping (and the panel borders) of the terminal renderer."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def verified_rows(archive: Path) -> list[tuple[str, int]]:
    """The rows the tables should show, from our verifier's report on the archive."""
    report = verify_archive(archive)
    assert report.ok and report.election is not None and report.result is not None
    labels = [
        (["(blank)"] if q.blank else []) + list(q.answers or []) for q in report.election.questions
    ]
    return [
        (label, count)
        for names, row in zip(labels, report.result, strict=True)
        for label, count in zip(names, row, strict=True)
    ]


# demo ------------------------------------------------------------------------------------------


def check_demo(out: Path, *args: str) -> tuple[str, Path]:
    proc = hramada("demo", *args, "--out", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    stdout = one_line(proc.stdout)
    match = re.search(r"Election (\w+):", stdout)
    assert match, proc.stdout
    archive = out / f"{match.group(1)}.bel"
    assert sorted(out.iterdir()) == [archive]
    assert f"Archive:{archive}" in "".join(proc.stdout.split())  # long paths get folded
    assert "OK" in proc.stdout
    assert table_rows(proc.stdout) == verified_rows(archive)
    return stdout, archive


def test_demo_ed25519_default_group(tmp_path: Path) -> None:
    stdout, archive = check_demo(tmp_path / "out", "--voters", "4")
    assert "4 ballots cast by 4 voters, group Ed25519" in stdout
    report = verify_archive(archive)
    assert report.election is not None and report.election.group == "Ed25519"
    assert report.ballots == report.tallied == 4


def test_demo_finite_field_threshold_weights_revotes(tmp_path: Path) -> None:
    stdout, archive = check_demo(
        tmp_path / "out",
        *("--voters", "5", "--group", "BELENIOS-2048", "--trustees", "3", "--threshold", "2"),
        *("--weights", "--revotes"),
    )
    assert "by 5 voters, group BELENIOS-2048, trustees 2 of 3 (Pedersen)" in stdout
    report = verify_archive(archive)
    assert report.election is not None and report.election.group == "BELENIOS-2048"
    assert report.tallied == 5
    assert report.ballots == 6  # one voter in five votes again
    assert f"{report.ballots} valid ballots, 5 tallied" in stdout


def test_demo_threshold_above_trustees_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = hramada(
        "demo", "--voters", "2", "--trustees", "2", "--threshold", "3", "--out", str(out)
    )
    assert proc.returncode == 2
    assert "threshold cannot exceed the number of trustees" in one_line(proc.stderr)
    assert not out.exists()


# verify on bad input --------------------------------------------------------------------------


def test_verify_folder_without_archive(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("no archive here\n")
    proc = hramada("verify", str(tmp_path))
    assert proc.returncode == 1
    message = one_line(proc.stderr)
    assert "FAILED" in message
    assert "expected one .bel file" in message and "found 0" in message
    assert "OK" not in proc.stdout


def test_verify_folder_with_two_archives(tmp_path: Path) -> None:
    for name in ("a.bel", "b.bel"):
        (tmp_path / name).write_bytes(b"")
    proc = hramada("verify", str(tmp_path))
    assert proc.returncode == 1
    assert "found 2" in one_line(proc.stderr)


@pytest.mark.parametrize(
    "content",
    [b"this is not an election archive\n", random.Random(7).randbytes(3000), b""],
    ids=["text", "random", "empty"],
)
def test_verify_garbage_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "garbage.bel"
    path.write_bytes(content)
    for target in (path, tmp_path):  # the file itself, or the folder holding it
        proc = hramada("verify", str(target))
        assert proc.returncode == 1, proc.stdout + proc.stderr
        message = one_line(proc.stderr)
        assert "FAILED archive: archive format:" in message, message
        assert "Traceback" not in proc.stderr
        assert "OK" not in proc.stdout


def test_verify_missing_path(tmp_path: Path) -> None:
    """A missing file is not a failed check: its own exit code (2) and message."""
    proc = hramada("verify", str(tmp_path / "nowhere.bel"))
    assert proc.returncode == 2
    assert "no such file" in one_line(proc.stderr)
    (tmp_path / "garbage.bel").write_bytes(b"not an archive")
    assert hramada("verify", str(tmp_path / "garbage.bel")).returncode == 1


def test_verify_truncated_archive(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = hramada("demo", "--voters", "2", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    (archive,) = out.glob("*.bel")
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) - 700])
    proc = hramada("verify", str(archive))
    assert proc.returncode == 1
    assert "FAILED" in proc.stderr


# role commands on bad input -------------------------------------------------------------------


@dataclass(frozen=True)
class Setup:
    folder: Path
    uuid: str
    archive: bytes  # right after `election setup`: voting is open, no ballot yet
    credentials: dict[str, str]
    privkeys: list[Path]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    d = tmp_path_factory.mktemp("cli-setup")

    def run(*args: str) -> str:
        proc = hramada(*args, cwd=d)
        assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
        return proc.stdout

    uuid = run("election", "new-uuid").strip()
    (d / "voters.txt").write_text("alice\nbob\n")
    run("credentials", "generate", "--uuid", uuid, "--voters", "voters.txt", "--group", GROUP)
    for t in ("t1", "t2"):
        run("trustee", "keygen", "--group", GROUP, "--name", t, "--out", t)
    (d / "template.json").write_text(json.dumps(TEMPLATE))
    pubkeys = [str(next((d / t).glob("*.pubkey"))) for t in ("t1", "t2")]
    run(
        "election", "setup", "--uuid", uuid, "--template", "template.json",
        "--credentials", "public_credentials.json",
        "--trustee", pubkeys[0], "--trustee", pubkeys[1], "--group", GROUP, "--out", "box",
    )  # fmt: skip
    return Setup(
        folder=d,
        uuid=uuid,
        archive=(d / "box" / f"{uuid}.bel").read_bytes(),
        credentials=json.loads((d / "private_credentials.json").read_text()),
        privkeys=[next((d / t).glob("*.privkey")) for t in ("t1", "t2")],
    )


class Election:
    """A private copy of the set-up election, driven through the command line."""

    def __init__(self, setup: Setup, folder: Path) -> None:
        self.setup = setup
        self.folder = folder
        self.path = folder / f"{setup.uuid}.bel"
        self.path.write_bytes(setup.archive)
        self.n = 0

    def ok(self, *args: str) -> str:
        proc = hramada(*args, cwd=self.folder)
        assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
        return proc.stdout

    def fails(self, *args: str, words: tuple[str, ...]) -> str:
        """Run a command that must fail; check its message and that the archive is untouched."""
        before = self.path.read_bytes()
        proc = hramada(*args, cwd=self.folder)
        message = one_line(proc.stderr)
        assert proc.returncode == 1, (args, proc.stdout, proc.stderr)
        assert message.startswith("error:"), message
        for word in words:
            assert word in message, (word, message)
        assert "Traceback" not in proc.stderr
        assert self.path.read_bytes() == before
        return message

    def ballot(self, credential: str, choices: str = GOOD) -> Path:
        self.n += 1
        out = self.folder / f"ballot{self.n}.json"
        self.ok("voter", "ballot", str(self.path), "--credential", credential,
                "--choices", choices, "--out", str(out))  # fmt: skip
        return out

    def cast(self, voter: str) -> Path:
        ballot = self.ballot(self.setup.credentials[voter])
        self.ok("election", "cast", str(self.path), str(ballot))
        return ballot

    def decrypt(self, trustee: int) -> Path:
        out = self.folder / f"pd{trustee}.json"
        key = str(self.setup.privkeys[trustee - 1])
        self.ok("trustee", "decrypt", str(self.path), "--key", key, "--out", str(out))
        return out


@pytest.fixture
def election(setup: Setup, tmp_path: Path) -> Election:
    return Election(setup, tmp_path)


@pytest.mark.parametrize(
    ("choices", "words"),
    [
        ("[[0,1,1,0],[1,0]", ("error:",)),  # malformed JSON
        ("[[0,1,1,0],[1,0]]]", ("error:",)),
        ("not json", ("error:",)),
        ('{"q1":[0,1,1,0]}', ("choices must be a JSON list of lists",)),
        ("[0,1,1,0]", ("choices must be a JSON list of lists",)),
        ("[[0,1,1,1],[1,0]]", ("question 1", "between 1 and 2")),
        ("[[1,1,0,0],[1,0]]", ("question 1", "blank vote selects no answer")),
        ("[[0,2,0,0],[1,0]]", ("question 1", "0 or 1")),
        ("[[0,1,0],[1,0]]", ("question 1", "expected 4 values")),
        ("[[0,1,0,0]]", ("2 questions",)),
        ("[[0,1,0,0],[1,1]]", ("question 2", "between 1 and 1")),
    ],
)
def test_voter_ballot_bad_choices(election: Election, choices: str, words: tuple[str, ...]) -> None:
    out = election.folder / "ballot.json"
    cred = election.setup.credentials["alice"]
    election.fails(
        "voter", "ballot", str(election.path), "--credential", cred,
        "--choices", choices, "--out", str(out),
        words=words,
    )  # fmt: skip
    assert not out.exists()


def test_voter_ballot_malformed_json_names_the_problem(election: Election) -> None:
    message = election.fails(
        "voter", "ballot", str(election.path), "--credential", election.setup.credentials["bob"],
        "--choices", "[[0,1,1,0],[1,0]",
        words=(),
    )  # fmt: skip
    # The JSON parser's own words: where the text stops being JSON.
    assert re.search(r"line 1 column \d+", message), message


@pytest.mark.parametrize(
    ("credential", "words"),
    [
        ("mistyped", ("not a valid credential",)),
        ("", ("not a valid credential",)),
        ("aaa-bbb-ccc-ddd-eee", ("not a valid credential",)),  # right shape, wrong checksum
        ("0OI-lll-aaa-bbb-ccc", ("'0' is not Base58",)),
    ],
)
def test_voter_ballot_invalid_credential(
    election: Election, credential: str, words: tuple[str, ...]
) -> None:
    election.fails(
        "voter", "ballot", str(election.path), "--credential", credential, "--choices", GOOD,
        words=words,
    )  # fmt: skip


def test_voter_ballot_mistyped_credential(election: Election) -> None:
    good = election.setup.credentials["alice"]
    # "a" and "b" have no twin 53 apart in Base58, which the mod-53 checksum would pass.
    typo = good[:-1] + ("a" if good[-1] != "a" else "b")
    election.fails(
        "voter", "ballot", str(election.path), "--credential", typo, "--choices", GOOD,
        words=("not a valid credential",),
    )  # fmt: skip


def test_cast_ballot_with_unknown_credential(election: Election) -> None:
    ballot = election.ballot(generate_credential())  # well formed, but not an eligible voter's
    election.fails("election", "cast", str(election.path), str(ballot), words=("credential",))


def test_cast_garbage_and_replayed_ballots(election: Election) -> None:
    garbage = election.folder / "garbage.json"
    garbage.write_text('{"election_uuid":"x"}\n')
    election.fails("election", "cast", str(election.path), str(garbage), words=("ballot format",))
    missing = election.folder / "missing.json"
    election.fails("election", "cast", str(election.path), str(missing), words=("No such file",))

    ballot = election.cast("alice")
    election.fails("election", "cast", str(election.path), str(ballot), words=("replay",))

    tampered = json.loads(ballot.read_bytes())
    tampered["answers"][1]["choices"].reverse()
    bad = election.folder / "tampered.json"
    bad.write_text(json.dumps(tampered, separators=(",", ":")))
    election.fails("election", "cast", str(election.path), str(bad), words=("signature",))


def test_cast_into_closed_election(election: Election) -> None:
    election.cast("alice")
    late = election.ballot(election.setup.credentials["bob"])
    election.ok("election", "close", str(election.path))
    election.fails("election", "cast", str(election.path), str(late), words=("closed",))
    election.fails("election", "close", str(election.path), words=("closed",))


def test_decrypting_before_tally(election: Election) -> None:
    election.cast("alice")
    key = str(election.setup.privkeys[0])
    pd = election.folder / "pd.json"
    for phase in ("voting", "closed"):
        election.fails(
            "trustee", "decrypt", str(election.path), "--key", key, "--out", str(pd),
            words=("no encrypted tally",),
        )  # fmt: skip
        assert not pd.exists()
        election.fails("election", "result", str(election.path), words=(phase, "not tallied"))
        if phase == "voting":
            election.fails("election", "tally", str(election.path), words=("not closed",))
            election.ok("election", "close", str(election.path))

    # A decryption made for another tally cannot be added before this election is tallied.
    (election.folder / "other").mkdir()
    other = Election(election.setup, election.folder / "other")
    other.cast("bob")
    other.ok("election", "close", str(other.path))
    other.ok("election", "tally", str(other.path))
    foreign = other.decrypt(1)
    election.fails(
        "election", "add-decryption", str(election.path), "--owner", "1", str(foreign),
        words=("closed", "not tallied"),
    )  # fmt: skip


def test_bad_decryptions_after_tally(election: Election) -> None:
    election.cast("alice")
    election.cast("bob")
    election.ok("election", "close", str(election.path))
    election.ok("election", "tally", str(election.path))
    election.fails("election", "tally", str(election.path), words=("tallied", "not closed"))
    pd1, pd2 = election.decrypt(1), election.decrypt(2)

    # A key that is not one of the election's trustees.
    stranger = election.folder / "stranger"
    election.ok("trustee", "keygen", "--group", GROUP, "--out", str(stranger))
    (key,) = stranger.glob("*.privkey")
    election.fails(
        "trustee", "decrypt", str(election.path), "--key", str(key),
        words=("not one of the election's trustee keys",),
    )  # fmt: skip
    # Trustee 1's decryption claimed by trustee 2, or by a trustee that does not exist.
    election.fails(
        "election", "add-decryption", str(election.path), "--owner", "2", str(pd1),
        words=("decryption",),
    )  # fmt: skip
    election.fails(
        "election", "add-decryption", str(election.path), "--owner", "3", str(pd1),
        words=("no trustee number 3",),
    )  # fmt: skip
    garbage = election.folder / "garbage.json"
    garbage.write_text("[1,2,3]")
    election.fails(
        "election", "add-decryption", str(election.path), "--owner", "1", str(garbage),
        words=("partial decryption",),
    )  # fmt: skip

    election.ok("election", "add-decryption", str(election.path), "--owner", "1", str(pd1))
    election.fails(
        "election", "add-decryption", str(election.path), "--owner", "1", str(pd1),
        words=("trustee 1 has already decrypted",),
    )  # fmt: skip
    # Two Single trustees: both must decrypt before the result can be computed.
    election.fails("election", "result", str(election.path), words=("error:",))

    election.ok("election", "add-decryption", str(election.path), "--owner", "2", str(pd2))
    stdout = election.ok("election", "result", str(election.path))
    assert table_rows(stdout) == verified_rows(election.path)
    assert table_rows(stdout) == [
        ("(blank)", 0), ("Ales", 2), ("Bela", 2), ("Ciril", 0), ("Yes", 2), ("No", 0),
    ]  # fmt: skip
    election.fails("election", "result", str(election.path), words=("done", "not tallied"))
    proc = hramada("verify", str(election.path))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_setup_refuses_bad_inputs(setup: Setup, tmp_path: Path) -> None:
    d = setup.folder
    pub = str(next((d / "t1").glob("*.pubkey")))
    creds = str(d / "public_credentials.json")
    base = ["election", "setup", "--uuid", setup.uuid, "--credentials", creds,
            "--trustee", pub, "--out", str(tmp_path)]  # fmt: skip
    bad_template = tmp_path / "template.json"
    bad_template.write_text('{"name": "x"')
    proc = hramada(*base, "--template", str(bad_template), "--group", GROUP)
    assert proc.returncode == 1
    assert one_line(proc.stderr).startswith("error:")

    proc = hramada(*base, "--template", str(d / "template.json"), "--group", "NO-SUCH-GROUP")
    assert proc.returncode == 1
    assert "unknown group" in one_line(proc.stderr)
    assert not list(tmp_path.glob("*.bel"))

    # The existing archive is never overwritten.
    shutil.copyfile(d / "box" / f"{setup.uuid}.bel", tmp_path / f"{setup.uuid}.bel")
    proc = hramada(*base, "--template", str(d / "template.json"), "--group", GROUP)
    assert proc.returncode == 1
    assert (tmp_path / f"{setup.uuid}.bel").read_bytes() == setup.archive


def tar_header_offsets(data: bytes) -> list[int]:
    """Where each member's 512-byte header starts in a `.bel` file."""
    offsets, pos = [], 0
    while pos + 512 <= len(data) and data[pos : pos + 512].strip(b"\0"):
        offsets.append(pos)
        size = int(data[pos + 124 : pos + 136].split(b"\0")[0].strip() or b"0", 8)
        pos += 512 + size + (-size % 512)
    return offsets


def corrupt_middle_header(election: Election) -> bytes:
    """Cast two ballots, close, then flip one bit in the tar header of the second ballot."""
    election.cast("alice")
    election.cast("bob")
    election.ok("election", "close", str(election.path))
    data = bytearray(election.path.read_bytes())
    offsets = tar_header_offsets(bytes(data))
    # ..., ballot 2 data, ballot 2 event, EndBallots event
    data[offsets[-3] + 136] ^= 1  # inside the mtime field: the header checksum no longer holds
    election.path.write_bytes(bytes(data))
    return bytes(data)


def test_verify_reports_corrupt_header_in_the_middle(election: Election) -> None:
    corrupt_middle_header(election)
    proc = hramada("verify", str(election.path))
    assert proc.returncode == 1
    assert "checksum mismatch" in one_line(proc.stderr)


def test_role_command_leaves_corrupt_archive_untouched(election: Election) -> None:
    corrupted = corrupt_middle_header(election)
    election.fails("election", "tally", str(election.path), words=("error:",))
    assert election.path.read_bytes() == corrupted
