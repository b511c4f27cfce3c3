"""Enrolments and blind signatures through a real `hramada registry serve`, in wall time and in
the service's CPU seconds per operation (the machine is shared, so the CPU figures are the
steadier ones), for each key size and number of signing processes (`--workers`).

For each configuration: a fresh registry; `--members` enrolments by `--parallel` registrars at
once with tags computed beforehand (the registry alone); then one blind signature per member,
`--parallel` members at once, each a challenge and a signed request, the members' devices
having made their credentials and blinded them before the clock starts (a few members enrol
and sign first, untimed, so that the signing processes have started and loaded the key). The
service's CPU is read from /proc for its process and its signing processes, the clients' is
this process's. In the same run: the bare
`blind_sign` and OpenSSL's RSASSA-PSS signing (the same private-key operation, through
`cryptography`) as the peer. Once, `--custodian-members` enrolments with tags from 2 of 3 real
custodian processes, end to end.

    .venv/bin/python bench/bench_issuance.py [--members 2000] [--parallel 16]
        [--bits 2048 3072] [--workers 0 1 2] [--custodian-members 300] [--baseline SRC]

`--baseline SRC` adds, first for each key size, the service of another source tree (e.g. an
earlier commit's `src`, from `git archive`), run without `--workers`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import http.client
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import proc_cpu
from bench_oprf import _free_port, serve_three
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from nacl.signing import SigningKey

from hramada.crypto import blind_rsa
from hramada.election import registrations as reg
from hramada.election.setup import new_uuid
from hramada.protocol.canonical import decode
from hramada.registry import enrol, member
from hramada.registry.custodian_client import Custodians
from hramada.registry.messages import request_message

HRAMADA = [sys.executable, "-m", "hramada"]
PASSWORD = "a long bench password"
MILLION = 1_300_000
GOAL = MILLION / 7200  # signatures per second for 1.3 million in 2 hours
# The service under cProfile counting its event loop's CPU time (not the threads' or the signing
# processes'), written when it stops.
PROFILED = """
import cProfile, sys, time
from hramada.cli.main import app
out, sys.argv = sys.argv[1], ["hramada", *sys.argv[2:]]
profile = cProfile.Profile(time.thread_time)
try:
    profile.runcall(app)
except (SystemExit, KeyboardInterrupt):
    pass
finally:
    profile.dump_stats(out)
"""


def _run(*args: str | Path) -> None:
    env = {**os.environ, "HRAMADA_REGISTRAR_PASSWORD": PASSWORD}
    subprocess.run([*HRAMADA, *map(str, args)], check=True, capture_output=True, env=env)


class Registry:
    """A fresh registry folder with one registrar and one election, served with `workers`
    signing processes, or by the service of another source tree (`workers` None)."""

    def __init__(
        self, root: Path, bits: int, workers: int | None, profile: Path | None, source: Path | None
    ) -> None:
        self.uuid = new_uuid()
        self.registrar = SigningKey.generate()
        data, keys = root / f"registry-{self.uuid}", root / f"keys-{self.uuid}"
        _run("registry", "registrar", "add", "bench", "--key",
             self.registrar.verify_key.encode().hex(), "--data", data)  # fmt: skip
        _run("registry", "keygen", "--out", keys, "--bits", str(bits))
        _run("registry", "election", "--keys", keys, "--election", self.uuid, "--data", data)
        self.key_file = keys / "blind.key"
        port = _free_port()
        run = ["-c", PROFILED, str(profile)] if profile else ["-m", "hramada"]
        flags = [] if workers is None else ["--workers", str(workers)]
        env = os.environ if source is None else {**os.environ, "PYTHONPATH": str(source)}
        self.process = subprocess.Popen(
            [sys.executable, *run, "registry", "serve", "--data", str(data), "--port", str(port),
             *flags],
            stdout=subprocess.DEVNULL, stderr=(root / f"{self.uuid}.log").open("wb"), env=env,
        )  # fmt: skip
        self.log = root / f"{self.uuid}.log"
        self.url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                httpx.get(f"{self.url}/api/registry", timeout=1).raise_for_status()
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise TimeoutError("the registry did not start")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)  # uvicorn re-raises it: the profile is written
        self.process.wait(30)


Job = Callable[[http.client.HTTPConnection], None]


def _post(conn: http.client.HTTPConnection, path: str, body: object, **headers: str) -> Any:
    """POST JSON on a kept connection; the answer's status and JSON body."""
    conn.request("POST", path, json.dumps(body), {"content-type": "application/json", **headers})
    answer = conn.getresponse()
    data = answer.read()
    return answer.status, json.loads(data) if answer.status < 500 else data


def _timed(registry: Registry, parallel: int, jobs: list[Job]) -> tuple[float, float, float]:
    """Run the jobs on `parallel` threads, each with its kept connection (the standard
    library's client: the lightest at hand, as the load generator shares the cores): wall
    seconds, the service's CPU seconds, the clients' (this process's) CPU seconds."""
    queue = list(reversed(jobs))
    host, port = registry.url.removeprefix("http://").split(":")

    def worker() -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=300)
        while queue:
            queue.pop()(conn)
        conn.close()

    before = proc_cpu.tree_seconds(registry.process.pid)
    start, client = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(parallel) as pool:
        for done in [pool.submit(worker) for _ in range(parallel)]:
            done.result()
    wall, client = time.perf_counter() - start, time.process_time() - client
    return wall, proc_cpu.used(before, proc_cpu.tree_seconds(registry.process.pid)), client


def enrolments(
    registry: Registry, keys: list[SigningKey], parallel: int
) -> tuple[float, float, float]:
    with httpx.Client(base_url=registry.url) as client:
        session = enrol.login(client, "bench", PASSWORD)
    auth = f"Bearer {session}"
    # The registrars' clients: tags from the custodians; each record signs a fresh challenge.
    members = [(secrets.token_hex(64), k.verify_key.encode().hex()) for k in keys]

    def job(tag: str, mk: str) -> Job:
        def run(conn: http.client.HTTPConnection) -> None:
            _, answer = _post(conn, "/api/registry/challenge", {})
            body = enrol.enrolment(registry.registrar, answer["challenge"], tag, mk)
            status, answer = _post(conn, "/api/registry/members", body, authorization=auth)
            assert status == 201, (answer, registry.log.read_text()[-3000:])

        return run

    return _timed(registry, parallel, [job(tag, mk) for tag, mk in members])


def signatures(
    registry: Registry, keys: list[SigningKey], parallel: int
) -> tuple[float, float, float]:
    uuid = registry.uuid
    info = httpx.get(f"{registry.url}/api/registry/elections/{uuid}").json()
    key = decode(json.dumps(info["registry"]).encode(), reg.RegistryKey, "key")
    requests = [member.prepare(uuid, "Ed25519", key) for _ in keys]  # on the devices

    def job(mk: SigningKey, q: reg.Request) -> Job:
        def run(conn: http.client.HTTPConnection) -> None:
            _, answer = _post(conn, "/api/registry/challenge", {})
            challenge = answer["challenge"]
            blinded = q.blinded.blinded_msg
            body = {
                "member_key": mk.verify_key.encode().hex(),
                "challenge": challenge,
                "blinded": base64.b64encode(blinded).decode(),
                "signature": mk.sign(request_message(uuid, challenge, blinded)).signature.hex(),
            }
            status, answer = _post(conn, f"/api/registry/elections/{uuid}/signature", body)
            assert status == 200, (answer, registry.log.read_text()[-3000:])

        return run

    return _timed(registry, parallel, [job(k, q) for k, q in zip(keys, requests, strict=True)])


def cpu_per_op(step: Callable[[], object], seconds: float = 2.0) -> float:
    """CPU seconds of this process per call of `step`."""
    done, start = 0, time.process_time()
    while (elapsed := time.process_time() - start) < seconds:
        step()
        done += 1
    return elapsed / done


def peers(key_file: Path) -> tuple[float, float]:
    """CPU seconds per bare blind_sign and per OpenSSL RSASSA-PSS signing, same key."""
    sk = blind_rsa.PrivateKey.from_pem(key_file.read_bytes())
    msg = blind_rsa.prepare(reg.VARIANT, b"x" * 64)
    blinded = blind_rsa.blind(reg.VARIANT, sk.public, msg).blinded_msg
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48)
    ours = cpu_per_op(lambda: blind_rsa.blind_sign(sk, blinded))
    openssl = cpu_per_op(lambda: sk.key.sign(msg, pss, hashes.SHA384()))
    return ours, openssl


async def _custodian_enrolments(
    url: str, custodians: Custodians, registrar: SigningKey, n: int, parallel: int
) -> float:
    gate = asyncio.Semaphore(parallel)
    async with httpx.AsyncClient(base_url=url, timeout=300) as http:
        r = await http.post("/api/registry/login", json={"name": "bench", "password": PASSWORD})
        auth = {"authorization": f"Bearer {r.json()['token']}"}

        async def one(i: int) -> None:
            async with gate:
                doc = enrol.normalize(f"KH{i:07d}")
                tag = (await custodians.tags_async([doc], http)).tags[0].hex()
                mk = SigningKey.generate().verify_key.encode().hex()
                nonce = (await http.post("/api/registry/challenge")).json()["challenge"]
                body = enrol.enrolment(registrar, nonce, tag, mk)
                r = await http.post("/api/registry/members", json=body, headers=auth)
                assert r.status_code == 201, r.text

        start = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--parallel", type=int, default=16)
    parser.add_argument("--bits", type=int, nargs="+", default=[2048, 3072])
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--custodian-members", type=int, default=300)
    parser.add_argument("--profile", type=Path, help="profile the last configuration's service")
    parser.add_argument(
        "--baseline", type=Path, help="also run the service of this src folder (another commit)"
    )
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f}; {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if args.custodian_members:
            processes, custodians = serve_three(root)
            registry = Registry(root, args.bits[0], args.workers[-1], None, None)
            try:
                rate = asyncio.run(_custodian_enrolments(
                    registry.url, custodians, registry.registrar, args.custodian_members,
                    args.parallel,
                ))  # fmt: skip
                print(f"enrolments with tags from 2 of 3 custodians (all on these cores): "
                      f"{rate:.0f}/s; {MILLION:,} in {MILLION / rate / 3600:.1f} h")  # fmt: skip
            finally:
                registry.stop()
                for p in processes:
                    p.terminate()
                    p.wait(10)
        print(
            f"{'':34} {'wall/s':>7} {'CPU ms/op':>9} {'2 cores/s':>9} {'1.3M on 2 cores':>15} "
            f"{'client ms/op':>12}"
        )
        configurations = [(f"--workers {w}", w) for w in args.workers]
        if args.baseline:
            configurations.insert(0, ("baseline", None))
        for bits in args.bits:
            for n, (name, workers) in enumerate(configurations):
                last = bits == args.bits[-1] and n == len(configurations) - 1
                profile = args.profile if last else None
                source = args.baseline if workers is None else None
                registry = Registry(root, bits, workers, profile, source)
                keys = [SigningKey.generate() for _ in range(args.members)]
                warm = [SigningKey.generate() for _ in range(4 * args.parallel)]
                try:
                    enrolments(registry, warm, args.parallel)  # signing processes started
                    signatures(registry, warm, args.parallel)
                    for what, (wall, cpu, client) in (
                        ("enrolments", enrolments(registry, keys, args.parallel)),
                        ("signatures", signatures(registry, keys, args.parallel)),
                    ):
                        per = cpu / args.members
                        label = f"RSA-{bits}, {name}: {what}"
                        print(f"{label:34} {args.members / wall:7.0f} {per * 1e3:9.2f} "
                              f"{2 / per:9.0f} {MILLION * per / 2 / 3600:13.2f} h "
                              f"{client / args.members * 1e3:9.2f}")  # fmt: skip
                finally:
                    registry.stop()
                if n == 0:
                    ours, openssl = peers(registry.key_file)
                    print(f"RSA-{bits} in-process, CPU ms per signature: blind_sign "
                          f"{ours * 1e3:.2f}, OpenSSL PSS {openssl * 1e3:.2f} "
                          f"(ours {openssl / ours:.2f}x OpenSSL's rate)")  # fmt: skip
    print(f"goal: {MILLION:,} signatures in 2 h = {GOAL:.0f}/s")


if __name__ == "__main__":
    main()
