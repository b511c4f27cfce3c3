"""Shared fixtures: the Belenios vectors and demo archives made once per test session."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hramada.election.demo import DemoOutcome, run_demo

# The repository is checked out with the project's shared/ folder beside it (here and in CI).
VECTORS = Path(__file__).resolve().parents[2] / "shared" / "belenios" / "vectors"

BELENIOS_TOOL = shutil.which("belenios-tool")
# Interoperability tests need the real tool: .ci/run installs it, so they never skip in CI.
needs_belenios = pytest.mark.skipif(
    BELENIOS_TOOL is None and not os.environ.get("CI"),
    reason="belenios-tool is not installed (apt-get install belenios-tool)",
)


def hramada(
    *args: str, cwd: Path | None = None, check: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a subprocess, as an observer's script would."""
    return subprocess.run(
        [sys.executable, "-m", "hramada", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=check,
    )


def table_rows(stdout: str) -> list[tuple[str, int]]:
    """(answer, count) for every two-cell row of the result tables the CLI prints."""
    rows = []
    for line in stdout.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃|]", line) if c.strip()]
        if len(cells) == 2 and cells[1].isdigit():
            rows.append((cells[0], int(cells[1])))
    return rows


def belenios_verify(archive: Path) -> subprocess.CompletedProcess[str]:
    """Run `belenios-tool election verify` in a folder holding only this archive."""
    assert BELENIOS_TOOL is not None, "belenios-tool is required"
    return subprocess.run(
        [BELENIOS_TOOL, "election", "verify", "--dir", str(archive.parent)],
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="session")
def demo_archives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, DemoOutcome]:
    """Small complete elections in each configuration the tests need, made once."""
    base = tmp_path_factory.mktemp("demo")
    configs: dict[str, dict[str, Any]] = {
        "ff-single": dict(group_name="BELENIOS-2048", trustees=2, threshold=2),
        "ff-threshold": dict(group_name="BELENIOS-2048", trustees=3, threshold=2),
        "rfc-single": dict(group_name="RFC-3526-2048", trustees=2, threshold=2, voters=4),
        "ed-threshold": dict(group_name="Ed25519", trustees=3, threshold=2),
    }
    out = {}
    for name, cfg in configs.items():
        out[name] = run_demo(base / name, **{"voters": 8, "weights": True, "revotes": True, **cfg})
    return out


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL cluster for the tests of one module."""
    from server_harness import PG_BIN, postgres_cluster

    if PG_BIN is None:
        pytest.skip("PostgreSQL is not installed")
    with postgres_cluster() as url:
        yield url
