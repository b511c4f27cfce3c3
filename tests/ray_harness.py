"""A real local Ray cluster for tests and benchmarks: a head and worker nodes on loopback.

Every port is a free one picked at start (other Ray clusters and servers may run on the same
machine), the session files go to a fresh temporary folder, and each node runs as
`ray start --block` in a process group of its own, which stopping ends (`ray stop` would end
every Ray process of the machine).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

RAY = Path(sys.executable).with_name("ray")


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _node_args(cpus: int) -> list[str]:
    ports = free_ports(7 + 4 * cpus)
    return [
        "--node-ip-address=127.0.0.1",
        f"--num-cpus={cpus}",
        f"--object-manager-port={ports[0]}",
        f"--node-manager-port={ports[1]}",
        f"--metrics-export-port={ports[2]}",
        f"--dashboard-agent-listen-port={ports[3]}",
        f"--dashboard-agent-grpc-port={ports[4]}",
        f"--runtime-env-agent-port={ports[5]}",
        "--worker-port-list=" + ",".join(map(str, ports[7:])),
        "--object-store-memory=100000000",
        "--disable-usage-stats",
        "--block",
    ]


@contextmanager
def _node(args: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = os.environ | {"RAY_USAGE_STATS_ENABLED": "0"}
    with open(log, "wb") as out:
        node = subprocess.Popen(
            [str(RAY), "start", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    try:
        yield node
    finally:
        try:
            os.killpg(node.pid, signal.SIGTERM)
            node.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(node.pid, signal.SIGKILL)
            node.wait()
        except ProcessLookupError:
            pass


def _wait_for(address: str, nodes: int, started: list[subprocess.Popen[bytes]]) -> None:
    """Until the cluster at `address` lists `nodes` live nodes (a minute at most)."""
    probe = (
        "import ray,sys;ray.init(address=sys.argv[1],logging_level='ERROR');"
        "print(sum(n['Alive'] for n in ray.nodes()))"
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(node.poll() is not None for node in started):
            raise RuntimeError("a Ray node stopped while starting (see its log)")
        try:
            done = subprocess.run(
                [sys.executable, "-c", probe, address], capture_output=True, text=True, timeout=30
            )
        except subprocess.TimeoutExpired:
            continue
        if done.returncode == 0 and done.stdout.strip() == str(nodes):
            return
        time.sleep(0.5)
    raise TimeoutError(f"the Ray cluster at {address} did not get {nodes} nodes")


@contextmanager
def local_cluster(head_cpus: int = 1, worker_cpus: tuple[int, ...] = (1,)) -> Iterator[str]:
    """Start a head node and one worker node per entry of `worker_cpus`; yield the address
    (host:port of the head) to pass to `ray.init` or `hramada verify --ray`."""
    temp = Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))  # Ray's socket paths are short
    (gcs,) = free_ports(1)
    address = f"127.0.0.1:{gcs}"
    with ExitStack() as nodes:
        try:
            head = [
                "--head",
                f"--port={gcs}",
                "--include-dashboard=false",
                f"--temp-dir={temp}",
                *_node_args(head_cpus),
            ]
            started = [nodes.enter_context(_node(head, temp / "head.log"))]
            _wait_for(address, 1, started)
            for i, cpus in enumerate(worker_cpus):
                args = [f"--address={address}", *_node_args(cpus)]
                started.append(nodes.enter_context(_node(args, temp / f"worker{i}.log")))
            _wait_for(address, 1 + len(worker_cpus), started)
            yield address
        except BaseException:
            for log in sorted(temp.glob("*.log")):
                print(f"--- {log.name}", log.read_text()[-3000:], sep="\n", file=sys.stderr)
            raise
        finally:
            nodes.close()
            shutil.rmtree(temp, ignore_errors=True)
