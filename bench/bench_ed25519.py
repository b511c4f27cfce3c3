"""Benchmark: Ed25519 ballots verified per second, the native core against the pure path.

Run: .venv/bin/python bench/bench_ed25519.py [--ballots 400] [--profile]
One set of ballots (the demo's council template) is made once; each path checks the same
ballots in its own process (HRAMADA_PURE=1 selects the libsodium reference), on one core and
on every core. The headline is the ratio native/pure measured in the same run.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hramada.crypto.groups import core_name, get_group
from hramada.election.ballot import create_ballot
from hramada.election.context import load_context
from hramada.election.credentials import Voter, generate_credentials
from hramada.election.demo import DEMO_TEMPLATE, random_plaintext
from hramada.election.setup import make_election, make_trustees, new_uuid
from hramada.election.trustees import make_trustee_key
from hramada.verify.parallel import check_ballots, default_workers


def make_ballots(n: int, path: Path) -> None:
    """An Ed25519 election with the demo template, and n valid ballots, saved to `path`."""
    group = get_group("Ed25519")
    uuid = new_uuid()
    x, key = make_trustee_key(group)
    election = make_election(DEMO_TEMPLATE, group, uuid, group.g_pow(x))
    batch = generate_credentials(group, uuid, [Voter(f"v{i}") for i in range(n)])
    trustees = make_trustees([key])
    ctx = load_context(election, trustees, batch.public)
    rng = random.Random(1)
    ballots = [
        create_ballot(ctx, cred, [random_plaintext(q, rng) for q in DEMO_TEMPLATE.questions])
        for cred in batch.private.values()
    ]
    setup = [election, trustees, batch.public]
    path.write_text(json.dumps({"setup": [b.decode() for b in setup], "ballots": [
        b.decode() for b in ballots
    ]}))  # fmt: skip


def measure(path: Path, profile: bool) -> None:
    """Check the saved ballots on one core and on every core; print a JSON line of rates."""
    saved = json.loads(path.read_text())
    ctx = load_context(*(s.encode() for s in saved["setup"]))
    items = [(i, b.encode()) for i, b in enumerate(saved["ballots"])]
    rates = {"core": core_name()}
    for label, workers in (("one", 1), ("all", default_workers())):
        start = time.perf_counter()
        outcomes = check_ballots(ctx, items, workers=workers)
        rates[label] = len(items) / (time.perf_counter() - start)
        assert all(not isinstance(o, tuple) for o in outcomes.values()), "a ballot was rejected"
    print(json.dumps(rates))
    if profile:
        profiler = cProfile.Profile()
        profiler.runcall(check_ballots, ctx, items, workers=1)
        stats = pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime")
        stats.print_stats(14)


def run_path(path: Path, pure: bool, profile: bool) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k != "HRAMADA_PURE"}
    if pure:
        env["HRAMADA_PURE"] = "1"
    cmd = [sys.executable, __file__, "--measure", str(path)] + (["--profile"] if profile else [])
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    if profile:
        print(done.stderr)
    rates: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ballots", type=int, default=400, help="ballots to check")
    parser.add_argument("--profile", action="store_true", help="profile the native one-core run")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.profile)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ballots.json"
        print(f"Making {args.ballots} Ed25519 ballots (demo council template)...")
        make_ballots(args.ballots, path)
        native = run_path(path, pure=False, profile=args.profile)
        pure = run_path(path, pure=True, profile=False)
    assert native["core"] == "native", "the native core is not installed (pip install ./native)"
    workers = default_workers()
    print(f"\nEd25519 ballots verified per second ({args.ballots} ballots, demo template):")
    print(f"  {'core':24} {'1 worker':>10} {f'{workers} workers':>11}")
    for rates in (native, pure):
        print(f"  {rates['core']:24} {rates['one']:10.1f} {rates['all']:11.1f}")
    print(
        f"  ratio native/pure        {native['one'] / pure['one']:9.2f}x "
        f"{native['all'] / pure['all']:10.2f}x"
    )


if __name__ == "__main__":
    main()
