"""CPU seconds (user + system) a process and all its live descendants have used, from /proc."""

from __future__ import annotations

import os
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[
        text.rindex(")") + 2 :
    ].split()  # fields from the state on (the name may hold spaces)


def tree(pid: int) -> list[int]:
    """`pid` and its live descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo += children.get(p, [])
    return found


def seconds(pid: int) -> float:
    """utime + stime of one process (not of its children)."""
    fields = _stat(pid)
    return 0.0 if fields is None else (int(fields[11]) + int(fields[12])) / TICK


def tree_seconds(pid: int) -> dict[int, float]:
    """CPU seconds of `pid` and of each live descendant, by process id."""
    return {p: seconds(p) for p in tree(pid)}


def used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds the processes used between two `tree_seconds` readings (new ones in full)."""
    return sum(t - before.get(p, 0.0) for p, t in after.items())
