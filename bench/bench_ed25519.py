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
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from demo_election import demo_ballots, demo_election

from hramada.crypto.groups import core_name, get_group
from hramada.election.context import load_context
from hramada.verify.parallel import check_ballots, default_workers


def make_ballots(n: int, path: Path) -> None:
    """An Ed25519 election with the demo template, and n valid ballots, saved to `path`."""
    made = demo_election(get_group("Ed25519"), n)
    ballots = demo_ballots(made.ctx, made.credentials)
    path.write_text(json.dumps({"setup": [b.decode() for b in made.setup], "ballots": [
        b.decode() for b in ballots
    ]}))  # fmt: skip


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the checking workers)."""
    own, children = (
        resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(path: Path, profile: bool) -> None:
    """Check the saved ballots on one core and on every core; print a JSON line of rates:
    ballots per wall-clock second and per CPU-second (steadier when the cores are shared)."""
    saved = json.loads(path.read_text())
    ctx = load_context(*(s.encode() for s in saved["setup"]))
    items = [(i, b.encode()) for i, b in enumerate(saved["ballots"])]
    rates: dict[str, str | float] = {"core": core_name()}
    for label, workers in (("one", 1), ("all", default_workers())):
        start, cpu = time.perf_counter(), cpu_seconds()
        outcomes = check_ballots(ctx, items, workers=workers)
        rates[label] = len(items) / (time.perf_counter() - start)
        rates[f"{label}_cpu"] = len(items) / (cpu_seconds() - cpu)
        assert all(not isinstance(o, tuple) for o in outcomes.values()), "a ballot was rejected"
    print(json.dumps(rates))
    if profile:
        profiler = cProfile.Profile()
        profiler.runcall(check_ballots, ctx, items, workers=1)
        stats = pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime")
        stats.print_stats(14)


def run_path(path: Path, pure: bool, profile: bool) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "HRAMADA_PURE"}
    if pure:
        env["HRAMADA_PURE"] = "1"
    cmd = [sys.executable, __file__, "--measure", str(path)] + (["--profile"] if profile else [])
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    if profile:
        print(done.stderr)
    rates: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
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
    print(f"\nEd25519 ballots verified ({args.ballots} ballots, demo template), per second of")
    print(f"  {'':24} {'wall clock':>23} {'CPU (all processes)':>23}")
    heads = ("1 worker", f"{workers} workers") * 2
    print(f"  {'core':24}" + "".join(f" {h:>11}" for h in heads))
    for r in (native, pure):
        cells = (r["one"], r["all"], r["one_cpu"], r["all_cpu"])
        print(f"  {r['core']:24}" + "".join(f" {x:11.1f}" for x in cells))
    ratio = {k: native[k] / pure[k] for k in ("one", "all", "one_cpu", "all_cpu")}
    print(
        f"  {'ratio native/pure':24} {ratio['one']:10.2f}x {ratio['all']:10.2f}x"
        f" {ratio['one_cpu']:10.2f}x {ratio['all_cpu']:10.2f}x"
    )
    print(f"  load average during the run: {os.getloadavg()[0]:.1f} on {workers} cores")


if __name__ == "__main__":
    main()
