"""The registry service: enrolments and blind signatures per second through a real `hramada
registry serve` process, with tags from 2 of 3 real custodian processes.

Prints enrolments/s end to end (tag from the custodians, then the registry) and with the tags
computed beforehand (the registry alone), then blind signatures issued/s through the service
(challenge, member's signature check, the issued flag, the blind signature) against the bare
in-process blind signing of the same key in the same run, and the time 1.3 million would take.

    .venv/bin/python bench/bench_registry.py [--members 300] [--parallel 8] [--bits 2048 3072]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from bench_oprf import _free_port, serve_three
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
UUID = new_uuid()
MILLION = 1_300_000


def _run(*args: str | Path) -> None:
    env = {**os.environ, "HRAMADA_REGISTRAR_PASSWORD": PASSWORD}
    subprocess.run([*HRAMADA, *map(str, args)], check=True, capture_output=True, env=env)


def start_registry(
    root: Path, bits: int, registrar: SigningKey
) -> tuple[subprocess.Popen[bytes], str]:
    data = root / f"registry{bits}"
    key = registrar.verify_key.encode().hex()
    _run("registry", "registrar", "add", "bench", "--key", key, "--data", data)
    _run("registry", "keygen", "--out", root / f"keys{bits}", "--bits", str(bits))
    _run("registry", "election", "--keys", root / f"keys{bits}", "--election", UUID, "--data", data)
    port = _free_port()
    process = subprocess.Popen(
        [*HRAMADA, "registry", "serve", "--data", str(data), "--port", str(port)],
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(f"{url}/api/registry", timeout=1).raise_for_status()
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    return process, url


async def enrolments(
    url: str,
    custodians: Custodians,
    registrar: SigningKey,
    documents: list[str],
    keys: list[SigningKey],
    parallel: int,
) -> float:
    """Enrolments per second: half with tags from the custodians on the clock, half with tags
    computed beforehand (the registry alone); returns the first."""
    gate = asyncio.Semaphore(parallel)
    async with httpx.AsyncClient(base_url=url, timeout=120) as http:
        r = await http.post("/api/registry/login", json={"name": "bench", "password": PASSWORD})
        auth = {"authorization": f"Bearer {r.json()['token']}"}

        async def tag(doc: str) -> str:
            return (await custodians.tags_async([enrol.normalize(doc)], http)).tags[0].hex()

        async def one(doc: str, key: SigningKey, known: str | None) -> None:
            async with gate:
                t = known or await tag(doc)
                mk = key.verify_key.encode().hex()
                nonce = (await http.post("/api/registry/challenge")).json()["challenge"]
                signed = enrol.record(registrar, nonce, t, mk)
                body = {"tag": t, "member_key": mk, "challenge": nonce, "record": signed}
                r = await http.post("/api/registry/members", json=body, headers=auth)
                assert r.status_code == 201, r.text

        half = len(documents) // 2
        t0 = time.perf_counter()
        await asyncio.gather(
            *(one(d, k, None) for d, k in zip(documents[:half], keys[:half], strict=True))
        )
        end_to_end = half / (time.perf_counter() - t0)
        tags = [await tag(d) for d in documents[half:]]
        t0 = time.perf_counter()
        await asyncio.gather(
            *(one(d, k, t) for d, k, t in zip(documents[half:], keys[half:], tags, strict=True))
        )
        alone = (len(documents) - half) / (time.perf_counter() - t0)
    print(f"  enrolments/s, tags from 2 of 3 custodians:   {end_to_end:8.0f}")
    print(f"  enrolments/s, the registry alone:            {alone:8.0f}")
    return end_to_end


async def signatures(url: str, keys: list[SigningKey], parallel: int) -> float:
    gate = asyncio.Semaphore(parallel)
    async with httpx.AsyncClient(base_url=url, timeout=120) as http:
        info = (await http.get(f"/api/registry/elections/{UUID}")).json()
        key = decode(json.dumps(info["registry"]).encode(), reg.RegistryKey, "key")
        requests = [member.prepare(UUID, "Ed25519", key) for _ in keys]  # on the devices

        async def one(mk: SigningKey, q: member.Request) -> None:
            async with gate:
                challenge = (await http.post("/api/registry/challenge")).json()["challenge"]
                blinded = q.blinded.blinded_msg
                body = {
                    "member_key": mk.verify_key.encode().hex(),
                    "challenge": challenge,
                    "blinded": base64.b64encode(blinded).decode(),
                    "signature": mk.sign(request_message(UUID, challenge, blinded)).signature.hex(),
                }
                r = await http.post(f"/api/registry/elections/{UUID}/signature", json=body)
                assert r.status_code == 200, r.text

        t0 = time.perf_counter()
        await asyncio.gather(*(one(k, q) for k, q in zip(keys, requests, strict=True)))
        return len(keys) / (time.perf_counter() - t0)


def bare(keys: Path, n: int) -> float:
    sk = blind_rsa.PrivateKey.from_pem((keys / "blind.key").read_bytes())
    msg = blind_rsa.blind(reg.VARIANT, sk.public, b"x" * 32).blinded_msg
    t0 = time.perf_counter()
    for _ in range(n):
        blind_rsa.blind_sign(sk, msg)
    return n / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--bits", type=int, nargs="+", default=[2048, 3072])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        custodians_processes, custodians = serve_three(root)
        try:
            for bits in args.bits:
                registrar = SigningKey.generate()
                process, url = start_registry(root, bits, registrar)
                try:
                    print(f"RSA-{bits}, {args.members} members, {args.parallel} at once:")
                    docs = [f"MP{bits}{i:06d}" for i in range(args.members)]
                    keys = [SigningKey.generate() for _ in docs]
                    asyncio.run(enrolments(url, custodians, registrar, docs, keys, args.parallel))
                    rate = asyncio.run(signatures(url, keys, args.parallel))
                    peer = bare(root / f"keys{bits}", args.members)
                    print(f"  blind signatures/s through the service:   {rate:8.0f}")
                    print(f"  bare blind_sign/s, same key, in-process:  {peer:8.0f}")
                    print(f"  service / bare:                           {rate / peer:8.2f}x")
                    print(f"  1.3 million signatures: {MILLION / rate / 3600:.2f} h")
                finally:
                    process.terminate()
                    process.wait(10)
        finally:
            for p in custodians_processes:
                p.terminate()
                p.wait(10)


if __name__ == "__main__":
    main()
