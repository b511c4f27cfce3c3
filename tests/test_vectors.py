"""Our verifier against the real Belenios archives kept in shared/belenios/vectors.

Every folder there was produced by a real `belenios-tool` (Debian 2.0 or upstream 2.5.1) and holds
`result.json`, the result the tool published. The verifier must accept each archive, agree with
that result on every homomorphic question, and say plainly what it cannot check yet (ranked
questions). `e1-dashless` holds a ballot signed with a key derived from the credential typed
without dashes: Belenios rejects it, and so must we.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import VECTORS, hramada, table_rows

from hramada.protocol.model import Election
from hramada.verify.report import Report
from hramada.verify.verifier import verify_archive

REJECTED = "e1-dashless"
RANKED = {"e4-nh", "e5-ed25519-nh-threshold-251"}


def _vector_dirs() -> list[Path]:
    if not VECTORS.is_dir():
        return []
    return sorted(d for d in VECTORS.iterdir() if d.is_dir() and any(d.glob("*.bel")))


VALID = [d for d in _vector_dirs() if d.name != REJECTED]

pytestmark = pytest.mark.skipif(not VALID, reason=f"no Belenios vectors in {VECTORS}")


def _archive(folder: Path) -> Path:
    (path,) = folder.glob("*.bel")
    return path


def _expected_result(folder: Path) -> list[list[object]]:
    result = json.loads((folder / "result.json").read_text())["result"]
    assert isinstance(result, list)
    return result


def _homomorphic(election: Election, rows: list[list[object]]) -> list[list[int]]:
    """The rows of the homomorphic questions, as ints (big counts are JSON strings)."""
    assert len(rows) == len(election.questions)
    return [
        [int(str(x)) for x in row]
        for q, row in zip(election.questions, rows, strict=True)
        if q.homomorphic
    ]


def _expected_rows(election: Election, result: list[list[int]]) -> list[tuple[str, int]]:
    labels = [
        (["(blank)"] if q.blank else []) + list(q.answers or [])
        for q in election.questions
        if q.homomorphic
    ]
    return [
        (label, count)
        for names, row in zip(labels, result, strict=True)
        for label, count in zip(names, row, strict=True)
    ]


def test_every_vector_folder_is_covered() -> None:
    names = {d.name for d in _vector_dirs()}
    assert {"e1", REJECTED, "e2-ed25519", "e3-threshold", *RANKED} <= names


@pytest.mark.parametrize("folder", VALID, ids=[d.name for d in VALID])
def test_vector_accepted_with_published_result(folder: Path) -> None:
    report = verify_archive(_archive(folder), collect_all=True)

    assert report.ok, [str(p) for p in report.problems]
    assert report.election is not None
    assert report.election.uuid == _archive(folder).stem
    assert report.ballots > 0
    assert report.tallied is not None and 0 < report.tallied <= report.ballots
    assert report.result == _homomorphic(report.election, _expected_result(folder))
    if folder.name in RANKED:
        assert any(not q.homomorphic for q in report.election.questions)
        assert report.unsupported, "ranked questions must be reported as not verified"
        assert not report.complete
    else:
        assert report.unsupported == []
        assert report.complete


@pytest.mark.parametrize("folder", VALID, ids=[d.name for d in VALID])
def test_vector_folder_and_file_give_the_same_report(folder: Path) -> None:
    """`verify_archive` accepts the folder holding the archive as well as the file itself."""
    by_folder = verify_archive(folder, workers=1)
    by_file = verify_archive(_archive(folder), workers=1)
    assert by_folder.ok and by_file.ok
    assert by_folder.result == by_file.result
    assert (by_folder.events, by_folder.ballots) == (by_file.events, by_file.ballots)


def test_dashless_credential_ballot_rejected() -> None:
    folder = VECTORS / REJECTED
    report: Report = verify_archive(_archive(folder))

    assert not report.ok
    first = report.problems[0]
    assert (first.check, first.height, first.event) == ("credential", 1, "Ballot")
    assert report.result is None


def test_dashless_credential_every_problem_listed() -> None:
    report = verify_archive(VECTORS / REJECTED, collect_all=True)
    assert not report.ok
    assert {p.check for p in report.problems} == {"credential"}
    assert all(p.height == 1 for p in report.problems)


def test_cli_verify_prints_answers_and_exits_0() -> None:
    folder = VECTORS / "e1"
    proc = hramada("verify", str(folder))

    assert proc.returncode == 0, proc.stderr
    report = verify_archive(folder)
    assert report.election is not None
    assert report.election.name in proc.stdout
    assert f"uuid {report.election.uuid}" in proc.stdout
    expected = _homomorphic(report.election, _expected_result(folder))
    assert table_rows(proc.stdout) == _expected_rows(report.election, expected)
    assert "4 valid ballots, 4 tallied" in proc.stdout
    assert "OK" in proc.stdout
    assert "FAILED" not in proc.stdout + proc.stderr


def test_cli_verify_ranked_questions_exit_3() -> None:
    folder = VECTORS / "e4-nh"
    proc = hramada("verify", str(folder))

    assert proc.returncode == 3, proc.stdout + proc.stderr
    report = verify_archive(folder)
    assert report.election is not None
    expected = _homomorphic(report.election, _expected_result(folder))
    assert table_rows(proc.stdout) == _expected_rows(report.election, expected)
    assert "NOT VERIFIED" in proc.stderr
    assert "ranked question" in proc.stdout
    assert "OK" not in proc.stdout


def test_cli_verify_dashless_exits_1_naming_the_check() -> None:
    proc = hramada("verify", str(VECTORS / REJECTED))

    assert proc.returncode == 1
    message = " ".join(proc.stderr.split())
    assert "FAILED" in message
    assert "event 1 (Ballot): credential" in message
