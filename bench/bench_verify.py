"""Benchmark: our verifier against belenios-tool on one BELENIOS-2048 archive, and ballots/s.

Run: .venv/bin/python bench/bench_verify.py [--ballots 200] [--profile]
Every figure is measured in the same run on the same machine; the headline is the ratio.
`hramada verify` runs with the native finite-field core and, for comparison, on the pure
gmpy2 path (HRAMADA_PURE=1). Wall-clock and CPU seconds are both shown: on a machine shared
with other work the CPU seconds are the steadier figure.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from demo_election import demo_ballots, demo_election

from hramada.crypto.finite_field import FiniteFieldGroup
from hramada.crypto.group import Group
from hramada.crypto.groups import get_group
from hramada.election.demo import run_demo
from hramada.verify.parallel import check_ballots, default_workers
from hramada.verify.verifier import verify_archive


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def best_of(runs: int, cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """The fastest wall-clock time of `runs` runs of a command that must succeed, and the
    CPU seconds (user + system, every process) of that run."""
    best = (float("inf"), 0.0)
    for _ in range(runs):
        cpu = children_cpu()
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, env=env)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"{cmd[0]} failed:\n{done.stdout}\n{done.stderr}")
        best = min(best, (wall, children_cpu() - cpu))
    return best


def compare_verifiers(ballots: int, runs: int, workdir: Path) -> Path:
    """Time both verifiers on one new archive; return the folder that holds it."""
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
    pure_env = dict(os.environ, HRAMADA_PURE="1")
    verify = [sys.executable, "-m", "hramada", "verify", str(alone)]
    rows = [
        (
            "belenios-tool election verify",
            best_of(runs, [tool, "election", "verify", "--dir", str(alone)]),
        ),
        ("hramada verify (native core)", best_of(runs, verify)),
        ("hramada verify (pure gmpy2)", best_of(runs, verify, pure_env)),
    ]
    theirs = rows[0][1]
    print(f"\nVerifying the same archive ({ballots} ballots, tally, 2 decryptions, result),")
    print(f"best of {runs} runs each, {default_workers()} cores; ratio = belenios-tool / this:")
    print(f"  {'':32} {'wall s':>7} {'ratio':>6} {'CPU s':>7} {'ratio':>6} {'ballots/CPU-s':>14}")
    for label, (wall, cpu) in rows:
        print(
            f"  {label:32} {wall:7.2f} {theirs[0] / wall:5.2f}x {cpu:7.2f} {theirs[1] / cpu:5.2f}x"
            f" {ballots / cpu:14.1f}"
        )
    return alone


def ballot_rates(group: Group, n: int) -> tuple[float, float, float]:
    """Ballots per CPU-second for creating and for checking on one core (steady on shared
    cores), and ballots per wall-clock second checking on every core."""
    made = demo_election(group, n)
    ctx = replace(made.ctx, group=group, y_table=group.fixed_base(made.ctx.y))  # this path
    start = time.process_time()
    ballots = demo_ballots(ctx, made.credentials)
    create = n / (time.process_time() - start)
    items = list(enumerate(ballots))
    start = time.process_time()
    check_ballots(ctx, items, workers=1)
    one = n / (time.process_time() - start)
    start = time.perf_counter()
    check_ballots(ctx, items, workers=default_workers())
    every = n / (time.perf_counter() - start)
    return create, one, every


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ballots", type=int, default=200, help="ballots in the archive")
    parser.add_argument("--runs", type=int, default=2, help="timed runs of each verifier")
    parser.add_argument("--rate-ballots", type=int, default=64, help="ballots per rate test")
    parser.add_argument("--profile", action="store_true", help="profile hramada verify")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        archive = compare_verifiers(args.ballots, args.runs, Path(tmp))
        if args.profile:
            profile(archive)
    print(f"\nBallots/s with the 2-question demo template ({args.rate_ballots} ballots):")
    print(f"  {'group':24} {'create /CPU-s':>14} {'check /CPU-s':>13} {'check /s, all cores':>20}")
    belenios = get_group("BELENIOS-2048")
    assert isinstance(belenios, FiniteFieldGroup)
    groups = [("Ed25519", get_group("Ed25519")), ("BELENIOS-2048", belenios)]
    if belenios.core is not None:
        groups.append(("BELENIOS-2048 (pure)", belenios.pure()))
    for name, group in groups:
        create, one, every = ballot_rates(group, args.rate_ballots)
        print(f"  {name:24} {create:14.1f} {one:13.1f} {every:20.1f}")


# Where `hramada verify` spends its time, by the functions that do the work.
_PARTS = {
    "chain": "square chains x^(2^i) of each element (native)",
    "product": "Yao products and fixed-base combs (native)",
    "powmod": "gmpy2 powmod",
    "pow": "fixed-base comb in Python",
    "openssl_sha256": "SHA-256 (Fiat-Shamir, hashes)",
    "decode": "msgspec JSON decoding",
}


def profile(archive: Path) -> None:
    """cProfile of one `verify_archive` on one core: the share of each part of the work."""
    profiler = cProfile.Profile(time.process_time)  # CPU time: steady on shared cores
    profiler.enable()
    report = verify_archive(archive, workers=1)
    profiler.disable()
    assert report.ok, report.problems
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(tottime for _cc, _nc, tottime, _ct, _callers in stats.values())
    shares = dict.fromkeys(_PARTS.values(), 0.0)
    for (_file, _line, func), (_cc, _nc, tottime, _ct, _callers) in stats.items():
        name = func.split(" of ")[0].removeprefix("<method '").removeprefix("<built-in method ")
        name = name.split(".")[-1].rstrip("'>")
        if name in _PARTS:
            shares[_PARTS[name]] += tottime
    print(f"\nProfile of verify_archive on one core ({total:.2f} CPU s under cProfile):")
    for part, seconds in shares.items():
        if seconds:
            print(f"  {100 * seconds / total:5.1f} %  {part}")
    rest = total - sum(shares.values())
    print(f"  {100 * rest / total:5.1f} %  everything else (Python, archive, tally, result)")


if __name__ == "__main__":
    main()
