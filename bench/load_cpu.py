"""Where the CPU goes during a load: per-process CPU from /proc, and py-spy's samples."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

TICK = os.sysconf("SC_CLK_TCK")


def _processes() -> dict[int, tuple[int, str, float]]:
    """pid -> (parent pid, name, CPU seconds used so far) of every live process."""
    out: dict[int, tuple[int, str, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) "
        out[int(entry)] = (int(fields[1]), name, (int(fields[11]) + int(fields[12])) / TICK)
    return out


def _below(processes: dict[int, tuple[int, str, float]], root: int) -> set[int]:
    """Every process under `root` (not `root` itself)."""
    below: set[int] = set()
    frontier = [root]
    while frontier:
        pid = frontier.pop()
        for child, (ppid, _, _) in processes.items():
            if ppid == pid and child not in below:
                below.add(child)
                frontier.append(child)
    return below


def _machine() -> tuple[float, float]:
    """(busy, stolen) CPU seconds of the whole machine since boot, all cores."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = values[:8]
    return (user + nice + system + irq + softirq) / TICK, steal / TICK


@dataclass
class Snapshot:
    at: float
    machine: float
    steal: float
    processes: dict[int, tuple[int, str, float]]


def snapshot() -> Snapshot:
    machine, steal = _machine()
    return Snapshot(time.perf_counter(), machine, steal, _processes())


@dataclass
class CpuUse:
    """CPU seconds used between two snapshots, by whom."""

    wall: float
    server: float  # the server's own process: event loop, HTTP, appends, fsync threads
    checkers: float  # its ballot-checking worker processes
    client: float  # the load generator (this process)
    machine: float  # everything on the machine, kernel included
    steal: float
    others: dict[str, float]  # other processes by name (PostgreSQL, ...)

    @property
    def other(self) -> float:
        """Everything else: other processes and kernel work no process was charged for."""
        return max(0.0, self.machine - self.server - self.checkers - self.client)

    def cores(self, seconds: float) -> float:
        return seconds / self.wall if self.wall else 0.0


def cpu_between(before: Snapshot, after: Snapshot, server_pid: int, client: float) -> CpuUse:
    """Who used the CPU between two snapshots; a process that started meanwhile counts from
    0, one that ended meanwhile is lost (none should)."""

    def used(pid: int) -> float:
        old = before.processes.get(pid)
        return after.processes[pid][2] - (
            old[2] if old and old[1] == after.processes[pid][1] else 0
        )

    checkers = _below(after.processes, server_pid)
    others: dict[str, float] = {}
    for pid, (_, name, _) in after.processes.items():
        mine = pid in (server_pid, os.getpid()) or pid in checkers
        if not mine and (spent := used(pid)) > 0:
            others[name] = others.get(name, 0.0) + spent
    return CpuUse(
        wall=after.at - before.at,
        server=used(server_pid) if server_pid in after.processes else 0.0,
        checkers=sum(used(pid) for pid in checkers),
        client=client,
        machine=after.machine - before.machine,
        steal=after.steal - before.steal,
        others=others,
    )


# --- py-spy ----------------------------------------------------------------------------


def py_spy() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


class Profiler:
    """`py-spy record` of a process and its subprocesses, raw (collapsed) stacks."""

    def __init__(self, pid: int, out: Path, rate: int = 100) -> None:
        self.pid, self.out, self.rate = pid, out, rate
        self.process: subprocess.Popen[bytes] | None = None
        self.seconds = 0.0

    def __enter__(self) -> Profiler:
        tool = py_spy()
        if tool is None:
            raise RuntimeError("py-spy is not installed (.venv/bin/pip install py-spy)")
        command = [tool, "record", "--pid", str(self.pid), "--subprocesses", "--nonblocking"]
        command += ["--rate", str(self.rate), "--format", "raw", "--full-filenames"]
        command += ["--output", str(self.out)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(1.0)  # let it attach to every process before the load starts
        if self.process.poll() is not None:
            assert self.process.stderr is not None
            raise RuntimeError(f"py-spy failed: {self.process.stderr.read().decode()[-500:]}")
        self.started = time.perf_counter()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.seconds = time.perf_counter() - self.started
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()


# Innermost frames that block (py-spy's idle detection misses some with --nonblocking):
# selectors, condition and queue waits of the event loop and of the executors' threads.
_WAITS = {
    "EpollSelector.select",
    "_PollLikeSelector.select",
    "Condition.wait",
    "_worker",  # concurrent.futures.thread: blocked in work_queue.get()
    "wait",  # multiprocessing.connection.wait
    "select",
}
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>.*?)(?::\d+)?\)$")


def _module(path: str) -> str:
    """A short name for where a frame's code lives: hramada.x.y, a package, or stdlib.x."""
    if "/src/hramada/" in path:
        tail = path.split("/src/hramada/", 1)[1].removesuffix(".py")
        return "hramada." + tail.replace("/", ".")
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if "/lib/python3" in path:
        rest = path.split("/lib/python3", 1)[1].split("/", 1)[-1]
        return "stdlib." + rest.split("/", 1)[0].removesuffix(".py")
    return Path(path).stem


@dataclass
class Group:
    """The samples of one kind of thread or process."""

    samples: int = 0
    waiting: int = 0  # samples whose innermost frame only waits (py-spy counts some)
    self_frames: Counter[str] = field(default_factory=Counter)  # leaf function
    self_modules: Counter[str] = field(default_factory=Counter)  # leaf's module
    inclusive: Counter[str] = field(default_factory=Counter)  # any frame on the stack


def _kind(frames: list[str]) -> str:
    processes = [f for f in frames if f.startswith("process ")]
    if processes and "multiprocessing" in processes[-1]:
        return "checker processes"
    if any(f.startswith("Thread._bootstrap ") for f in frames):
        return "server, other threads"
    return "server, event loop thread"


def summarize(raw: Path) -> dict[str, Group]:
    """Samples per kind (event loop thread, other server threads, checker processes)."""
    groups: dict[str, Group] = {}
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        group = groups.setdefault(_kind(frames), Group())
        group.samples += count
        code = [f for f in frames if not f.startswith("process ")]
        seen: set[str] = set()
        for frame in code:
            m = _FRAME.match(frame)
            name = f"{m['function']} [{_module(m['file'])}]" if m else frame
            if name not in seen:
                group.inclusive[name] += count
                seen.add(name)
        if code:
            m = _FRAME.match(code[-1])
            function = m["function"] if m else code[-1]
            if function in _WAITS:
                group.waiting += count
                continue
            leaf = f"{function} [{_module(m['file'])}]" if m else code[-1]
            group.self_frames[leaf] += count
            group.self_modules[_module(m["file"]) if m else "?"] += count
    return groups
