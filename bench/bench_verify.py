"""Benchmark: our verifier against belenios-tool on one BELENIOS-2048 archive, and ballots/s.

Run: .venv/bin/python bench/bench_verify.py [--ballots 200]
Every figure is measured in the same run on the same machine; the headline is the ratio.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hramada.crypto.groups import get_group
from hramada.election.ballot import create_ballot
from hramada.election.context import load_context
from hramada.election.credentials import Voter, generate_credentials
from hramada.election.demo import DEMO_TEMPLATE, random_plaintext, run_demo
from hramada.election.setup import make_election, make_trustees, new_uuid
from hramada.election.trustees import make_trustee_key
from hramada.verify.parallel import check_ballots, default_workers


def best_of(runs: int, cmd: list[str]) -> float:
    """The fastest wall-clock time of `runs` runs of a command that must succeed."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            sys.exit(f"{cmd[0]} failed:\n{done.stdout}\n{done.stderr}")
    return min(times)


def compare_verifiers(ballots: int, runs: int, workdir: Path) -> None:
    print(f"Making a BELENIOS-2048 election of {ballots} ballots with `hramada demo`...")
    outcome = run_demo(
        workdir / "demo", voters=ballots, group_name="BELENIOS-2048", trustees=2, threshold=2
    )
    alone = workdir / "archive"
    alone.mkdir()
    shutil.copy(outcome.path, alone)
    tool = shutil.which("belenios-tool")
    if tool is None:
        sys.exit("belenios-tool is not installed (apt-get install belenios-tool)")
    ours = best_of(runs, [sys.executable, "-m", "hramada", "verify", str(alone)])
    theirs = best_of(runs, [tool, "election", "verify", "--dir", str(alone)])
    print(f"\nVerifying the same archive ({ballots} ballots, tally, 2 decryptions, result),")
    print(f"best of {runs} wall-clock runs each, {default_workers()} cores:")
    print(f"  belenios-tool election verify  {theirs:7.2f} s  {ballots / theirs:7.1f} ballots/s")
    print(f"  hramada verify                 {ours:7.2f} s  {ballots / ours:7.1f} ballots/s")
    print(f"  ratio (belenios-tool / hramada) {theirs / ours:6.2f}x")


def ballot_rates(group_name: str, n: int) -> tuple[float, float, float]:
    """Ballots/s for creating (one core), checking on one core, and checking on every core."""
    group = get_group(group_name)
    uuid = new_uuid()
    x, key = make_trustee_key(group)
    election = make_election(DEMO_TEMPLATE, group, uuid, group.g_pow(x))
    batch = generate_credentials(group, uuid, [Voter(f"v{i}") for i in range(n)])
    ctx = load_context(election, make_trustees([key]), batch.public)
    rng = random.Random(1)
    start = time.perf_counter()
    ballots = [
        create_ballot(ctx, cred, [random_plaintext(q, rng) for q in DEMO_TEMPLATE.questions])
        for cred in batch.private.values()
    ]
    create = n / (time.perf_counter() - start)
    items = list(enumerate(ballots))
    start = time.perf_counter()
    check_ballots(ctx, items, workers=1)
    one = n / (time.perf_counter() - start)
    start = time.perf_counter()
    check_ballots(ctx, items, workers=default_workers())
    every = n / (time.perf_counter() - start)
    return create, one, every


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ballots", type=int, default=200, help="ballots in the archive")
    parser.add_argument("--runs", type=int, default=2, help="timed runs of each verifier")
    parser.add_argument("--rate-ballots", type=int, default=64, help="ballots per rate test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        compare_verifiers(args.ballots, args.runs, Path(tmp))
    print(f"\nBallots/s with the 2-question demo template ({args.rate_ballots} ballots):")
    print(f"  {'group':15} {'create (1 core)':>16} {'check (1 core)':>15} {'check (all)':>12}")
    for name in ("Ed25519", "BELENIOS-2048"):
        create, one, every = ballot_rates(name, args.rate_ballots)
        print(f"  {name:15} {create:16.1f} {one:15.1f} {every:12.1f}")


if __name__ == "__main__":
    main()
