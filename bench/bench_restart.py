"""Benchmark: a server restart of a 100,000-ballot election, before and after the checkpoint.

Run: .venv/bin/python bench/bench_restart.py [--ballots 100000] [--archive PATH] [--workers N]

It makes an open Ed25519 referendum election of `--ballots` ballots (bench/big_archive.py;
`--archive` reuses one made before, copied), then times what the server does for it at start
(`Live.open`: read the archive, cut a torn tail, replay every event, build the board index),
three times in the same run:

- without a checkpoint: every ballot checked again on `--workers` processes (what the server
  did before the checkpoint, and still does when the checkpoint is missing or does not match);
- after a clean shutdown: the checkpoint covers the whole archive;
- after a crash: the checkpoint covers all but the last 1,000 ballots (about one second of
  casting at the goal rate, the most a crash can leave unchecked; a tenth of the events in a
  small archive).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import io
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from big_archive import make_archive

from hramada.protocol.archive import _members
from hramada.protocol.checkpoint import Checkpoint, checkpoint_path, write_checkpoint
from hramada.server.live import Live
from hramada.verify.parallel import default_workers

GOAL = 10.0  # seconds


def restart(path: Path, workers: int) -> tuple[float, float, int, int]:
    """Seconds for `Live.open` (wall clock, and CPU of this process and its checking
    processes: steady on shared cores), the ballots it holds, and how many were trusted."""
    gc.collect()
    start, before = time.perf_counter(), os.times()
    live = Live.open(path, None, None, workers)
    seconds, after = time.perf_counter() - start, os.times()
    cpu = sum(after[:4]) - sum(before[:4])  # the checking processes are joined by now
    trusted = sum(
        1
        for _, e in live.box.writer.archive.events[: live.box.writer.trusted_events]
        if e.type == "Ballot"
    )
    ballots = len(live.box.ballots)
    live.box.close_file()
    del live
    return seconds, cpu, ballots, trusted


def checkpoint_before_last(path: Path, ballots: int) -> int:
    """A checkpoint covering all but the last `ballots` ballot events (at most a tenth of the
    events); how many it leaves out."""
    raw = path.read_bytes()
    ends = [pos for name, _, pos in _members(io.BytesIO(raw)) if name.endswith(".event.json")]
    ballots = min(ballots, len(ends) // 10)
    length = ends[-1 - ballots]
    write_checkpoint(path, Checkpoint(length, hashlib.sha256(raw[:length]).hexdigest()))
    return ballots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=100_000)
    parser.add_argument("--voters", type=int, default=2_000)
    parser.add_argument("--archive", type=Path, help="reuse this archive (it is copied)")
    parser.add_argument("--workers", type=int, default=default_workers())
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if args.archive:
            path = Path(folder) / args.archive.name
            shutil.copyfile(args.archive, path)
            print(f"archive: {args.archive} ({path.stat().st_size / 1e6:.0f} MB)")
        else:
            path, made = make_archive(
                Path(folder), args.ballots, args.voters, "referendum", args.workers, "Ed25519"
            )
            print(
                f"made {args.ballots} ballots in {made:.0f} s ({path.stat().st_size / 1e6:.0f} MB)"
            )
        rows = []
        checkpoint_path(path).unlink(missing_ok=True)
        rows.append(("no checkpoint (before)", *restart(path, args.workers)))
        rows.append(("checkpoint after a clean stop", *restart(path, args.workers)))
        behind = checkpoint_before_last(path, 1_000)
        rows.append((f"checkpoint {behind:,} ballots behind (crash)", *restart(path, args.workers)))
    wall, cpu = rows[0][1], rows[0][2]
    print(f"\nrestart of one election, {args.workers} checking processes (goal {GOAL:.0f} s):")
    print(f"{'':42} {'seconds':>8} {'CPU s':>8} {'ballots':>8} {'trusted':>8} {'speed-up':>14}")
    for name, seconds, cpu_s, ballots, trusted in rows:
        # os.times counts in clock ticks (10 ms): a tiny archive's restart may read as 0 CPU s.
        cpu_ratio = f"{cpu / cpu_s:.1f}x" if cpu_s > 0 else "-"
        ratio = f"{wall / seconds:.1f}x / {cpu_ratio}"
        print(f"{name:42} {seconds:8.2f} {cpu_s:8.2f} {ballots:8} {trusted:8} {ratio:>14}")


if __name__ == "__main__":
    multiprocessing.set_start_method("spawn")
    main()
