"""The election server's side of anonymous eligibility at scale, through a real `hramada serve`:
registrations accepted per second, closing registration and opening the election with
`--credentials` registered credentials (extrapolated to 1.3 million), and the verifier's check
of the published registrations.json, each in wall time and in CPU seconds.

The registrations are made before the clock starts: an Ed25519 credential, a 32-byte prefix and
a signature under the registry's RSA-3072 key made by OpenSSL's RSASSA-PSS (SHA-384, 48-byte
salt) through `cryptography`, on every core. That is exactly what a member's device holds
after finalizing the registry's blind signature (RFC 9474: the result is a PSS signature of
prefix ‖ message), and the server and the verifier check it the same way. `--http` of them
are posted through HTTP by `--concurrency` clients (timed, with the server's CPU); the rest
are written into the server's database directly (the rate of that path is the one measured),
then registration is closed, one trustee submits a key, and the election is opened, both
timed. Last, in this process, the verifier's registration checks on the served
registrations.json (every signature, duplicates, the list against the Setup), against
OpenSSL's PSS verification of the same signatures alone (the peer).

    .venv/bin/python bench/bench_opening.py [--credentials 200000] [--http 5000]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import msgspec
import proc_cpu
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "tests"))  # the server harness of the test suite

from server_harness import HRAMADA, Server, add_admin, download, login  # noqa: E402

from hramada.crypto import blind_rsa as br  # noqa: E402
from hramada.crypto.groups import get_group  # noqa: E402
from hramada.election import registrations as reg  # noqa: E402
from hramada.election.context import context_from_archive  # noqa: E402
from hramada.protocol.archive import read_archive  # noqa: E402
from hramada.protocol.canonical import encode  # noqa: E402
from hramada.server.database import connect  # noqa: E402
from hramada.server.tables import registrations  # noqa: E402
from hramada.verify.registrations import check_registrations  # noqa: E402
from hramada.verify.report import Report  # noqa: E402

MEMBERS = 1_300_000
QUESTIONS = [{"question": "Q?", "answers": ["A", "B"], "min": 1, "max": 1}]
T = TypeVar("T")
PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48)


def _make(pem: bytes, uuid: str, n: int) -> list[tuple[str, bytes, bytes]]:
    """n (credential, prefix, signature), as finalized registrations (in a worker process)."""
    key = br.PrivateKey.from_pem(pem).key
    group = get_group("Ed25519")
    made = []
    for _ in range(n):
        credential = group.encode(group.g_pow(group.random_scalar()))
        prefix = secrets.token_bytes(32)
        message = prefix + reg.registration_message(uuid, credential)
        made.append((credential, prefix, key.sign(message, PSS, hashes.SHA384())))
    return made


def make_all(sk: br.PrivateKey, uuid: str, n: int) -> list[tuple[str, bytes, bytes]]:
    chunk = 2000
    with ProcessPoolExecutor(os.cpu_count()) as pool:
        parts = pool.map(
            _make,
            *zip(
                *[(sk.to_pem(), uuid, min(chunk, n - i)) for i in range(0, n, chunk)], strict=True
            ),
        )
        return [r for part in parts for r in part]


def post_all(url: str, uuid: str, bodies: list[bytes], concurrency: int) -> list[int]:
    """POST every body from `concurrency` threads, each on its kept connection (the standard
    library's client: the lightest at hand, as the load generator shares the cores)."""
    queue = list(reversed(bodies))
    statuses: list[int] = []
    host, port = url.removeprefix("http://").split(":")
    headers = {"content-type": "application/json"}

    def client() -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=300)
        while queue:
            conn.request("POST", f"/api/elections/{uuid}/registrations", queue.pop(), headers)
            answer = conn.getresponse()
            answer.read()
            statuses.append(answer.status)
        conn.close()

    with ThreadPoolExecutor(concurrency) as pool:
        for done in [pool.submit(client) for _ in range(concurrency)]:
            done.result()
    return statuses


def timed(pid: int, step: Callable[[], T]) -> tuple[float, float, T]:
    """(wall s, CPU s of the server's processes, result) of calling `step`."""
    before, start = proc_cpu.tree_seconds(pid), time.perf_counter()
    result = step()
    return time.perf_counter() - start, proc_cpu.used(before, proc_cpu.tree_seconds(pid)), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--credentials", type=int, default=200_000)
    parser.add_argument("--http", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    n, scale = args.credentials, MEMBERS / args.credentials
    print(f"load average at start: {os.getloadavg()[0]:.1f}; {os.cpu_count()} cores")
    sk = br.generate_key(3072)
    registry = reg.RegistryKey(
        variant=reg.VARIANT.name,
        blind_key=base64.b64encode(sk.public.to_der()).decode(),
        statement_key="00" * 32,
    )
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "server"
        add_admin(data, None)
        server = Server(data, workers=2).start()
        try:
            with server.client() as client:
                login(client)
                uuid = client.post(
                    "/api/admin/elections",
                    json={"name": "Bench", "description": "", "group": "Ed25519",
                          "questions": QUESTIONS},
                ).json()["uuid"]  # fmt: skip
                admin = f"/api/admin/elections/{uuid}"
                client.put(f"{admin}/registry", content=encode(registry)).raise_for_status()
                client.post(f"{admin}/registration/open").raise_for_status()
                start = time.perf_counter()
                made = make_all(sk, uuid, n)
                print(f"{n:,} registrations made in {time.perf_counter() - start:.0f} s")
                b64 = base64.b64encode
                bodies = [
                    msgspec.json.encode(
                        {"credential": c, "prefix": b64(p).decode(), "signature": b64(s).decode()}
                    )
                    for c, p, s in made[: args.http]
                ]
                pid = server.process.pid
                wall, cpu, statuses = timed(
                    pid, lambda: post_all(server.url, uuid, bodies, args.concurrency)
                )
                assert statuses.count(201) == args.http, set(statuses)
                per = cpu / args.http
                print(f"registrations accepted through HTTP ({args.concurrency} clients): "
                      f"{args.http / wall:.0f}/s wall, server CPU {per * 1e3:.2f} ms each, "
                      f"{2 / per:.0f}/s on 2 cores; {MEMBERS:,} in "
                      f"{MEMBERS * per / 2 / 60:.0f} min on 2 cores")  # fmt: skip
                engine = connect(f"sqlite:///{(data / 'hramada.sqlite').resolve()}")
                with engine.begin() as db:  # the rest straight into the database
                    if rest := made[args.http :]:
                        db.execute(registrations.insert(), [
                            {"election": uuid, "credential": c, "prefix": p, "signature": s}
                            for c, p, s in rest
                        ])  # fmt: skip
                engine.dispose()
                wall, cpu, closed = timed(
                    pid, lambda: client.post(f"{admin}/registration/close").json()
                )
                assert closed["count"] == n, closed
                print(f"close registration (sort {n:,}): {wall:.1f} s wall, {cpu:.1f} s CPU; "
                      f"extrapolated to {MEMBERS:,}: {wall * scale / 60:.1f} min")  # fmt: skip
                link = client.post(f"{admin}/trustees", json={"name": "T"}).json()["link"]
                home = Path(tmp) / "trustee"
                subprocess.run([*HRAMADA, "trustee", "keygen", "--group", "Ed25519", "--out",
                                str(home)], check=True, capture_output=True)  # fmt: skip
                (pub,) = home.glob("*.pubkey")
                token = link.rsplit("/", 1)[1]
                subprocess.run([*HRAMADA, "trustee", "submit",
                                f"{server.url}/api/trustee/{token}/key", str(pub)],
                               check=True, capture_output=True)  # fmt: skip
                wall, cpu, r = timed(pid, lambda: client.post(f"{admin}/open"))
                assert r.status_code == 200, r.text
                print(f"open the election ({n:,} credentials checked, Setup written): "
                      f"{wall:.1f} s wall, {cpu:.1f} s CPU; extrapolated to {MEMBERS:,}: "
                      f"{wall * scale / 60:.1f} min")  # fmt: skip
                observer = Path(tmp) / "observer"
                archive = download(client, uuid, observer)
                r = client.get(f"/elections/{uuid}/registrations.json")
                (observer / "registrations.json").write_bytes(r.content)
        finally:
            server.stop()
        ctx = context_from_archive(read_archive(archive))
        report = Report()
        start, cpu = time.perf_counter(), time.process_time()
        check_registrations(observer, ctx, report)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        assert report.registrations == n and not report.problems, report.problems
        peer = time.process_time()
        for c, p, s in made:  # the peer: OpenSSL's PSS verification alone, same signatures
            sk.public.key.verify(s, p + reg.registration_message(uuid, c), PSS, hashes.SHA384())
        peer = time.process_time() - peer
        print(f"verifier's registration checks ({n:,}): {wall:.1f} s wall, {cpu:.1f} s CPU, "
              f"{n / cpu:.0f}/s a core (OpenSSL's PSS verification alone {n / peer:.0f}/s: "
              f"{peer / cpu:.2f}x); {MEMBERS:,} in {MEMBERS / (n / cpu) / 60:.1f} min "
              f"on one core")  # fmt: skip


if __name__ == "__main__":
    main()
