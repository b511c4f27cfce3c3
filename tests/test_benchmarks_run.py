"""The benchmarks still run: each cheap one end to end on a tiny input, since README's figures
come from them and two of them once broke unnoticed when the code under them changed. Their
speed is not checked here (benchmarks report it; tests never time anything)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"

# Each benchmark with arguments small enough for a few seconds, yet large enough for CPU times
# read from /proc in clock ticks (10 ms) not to round to nothing; the ones that start a whole
# server for several phases (bench_server, bench_hostile, bench_pvt, the registrar's page in
# Chromium, the Ray cluster) have their own end-to-end tests of the same paths.
RUNS = {
    "bench_restart": ["--ballots", "200", "--voters", "40"],
    "bench_verify": ["--ballots", "6", "--runs", "1", "--rate-ballots", "4"],
    "bench_ed25519": ["--ballots", "10"],
    "bench_ff": ["--n", "5"],
    "bench_board": ["--ballots", "200"],
    "bench_blind_rsa": ["--seconds", "0.1", "--credentials", "200", "--registrations", "10"],
    "bench_opening": ["--credentials", "400", "--http", "200"],
    "bench_oprf": ["--elements", "20", "--tags", "5"],
    "bench_registration_http": ["--members", "20"],
    "bench_registry": ["--members", "10", "--bits", "2048"],
    "bench_issuance": [
        "--members", "40", "--bits", "2048", "--workers", "0",
        "--custodian-members", "4", "--parallel", "4",
    ],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(RUNS))
def test_the_benchmark_runs(name: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / f"{name}.py"), *RUNS[name]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert done.stdout.strip(), "the benchmark printed no figures"
