"""Custodians' OPRF: our VOPRF (libsodium) against voprf-ts (node, @noble/curves) in the same
run, then de-duplication tags over HTTP from 2 of 3 real `hramada custodian serve` processes.

Prints per-element costs in microseconds: the custodian's evaluation with its DLEQ proof, the
client's blind and its proof check, ours and voprf-ts's, and the ratio; then tags per second
through the registry's client (`Custodians.tags_async`), one or 64 documents per call, one or
several calls at once.

    .venv/bin/python bench/bench_oprf.py [--elements 2000] [--tags 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from hramada.crypto import oprf
from hramada.crypto import threshold_oprf as t
from hramada.crypto.oprf import VOPRF
from hramada.registry.custodian_client import Custodians, Endpoint
from hramada.registry.custodian_store import Custodian, add_client, open_database, save_custodian

ROOT = Path(__file__).resolve().parents[1]
NODE_BENCH = """
import { Oprf, VOPRFClient, VOPRFServer, randomPrivateKey, generatePublicKey }
  from "@cloudflare/voprf-ts";
import { CryptoNoble } from '@cloudflare/voprf-ts/crypto-noble';
Oprf.Crypto = CryptoNoble;
const S = Oprf.Suite.RISTRETTO255_SHA512, n = Number(process.argv[1]);
const sk = await randomPrivateKey(S), pk = generatePublicKey(S, sk);
const client = new VOPRFClient(S, pk), server = new VOPRFServer(S, sk);
const input = new TextEncoder().encode('MP1234567');
let t = performance.now(); const reqs = [];
for (let i = 0; i < n; i++) reqs.push(await client.blind([input]));
const blind = (performance.now() - t) / n; t = performance.now(); const evs = [];
for (const [, req] of reqs) evs.push(await server.blindEvaluate(req));
const evaluate = (performance.now() - t) / n; t = performance.now();
for (let i = 0; i < n; i++) await client.finalize(reqs[i][0], evs[i]);
const finalize = (performance.now() - t) / n;
const us = (ms) => ms * 1000;
console.log(JSON.stringify({ blind: us(blind), evaluate: us(evaluate), finalize: us(finalize) }));
"""


def ours(n: int) -> dict[str, float]:
    sk, pk = oprf.generate_key_pair()
    x = b"MP1234567"
    t0 = time.perf_counter()
    pairs = [VOPRF.blind(x) for _ in range(n)]
    blind = time.perf_counter() - t0
    t0 = time.perf_counter()
    answers = [VOPRF.blind_evaluate_verifiable(sk, pk, [b]) for _, b in pairs]
    evaluate = time.perf_counter() - t0
    t0 = time.perf_counter()
    for (r, b), (ev, proof) in zip(pairs, answers, strict=True):
        VOPRF.finalize_verifiable([x], [r], ev, [b], pk, proof)
    finalize = time.perf_counter() - t0
    return {
        k: v / n * 1e6
        for k, v in (("blind", blind), ("evaluate", evaluate), ("finalize", finalize))
    }


def theirs(n: int) -> dict[str, float]:
    done = subprocess.run(
        ["node", "--input-type=module", "-e", NODE_BENCH, str(n)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout)
    return result


def serve_three(root: Path, *options: str) -> tuple[list[subprocess.Popen[bytes]], Custodians]:
    """Three custodians of one key (2 needed), served without rate limits; `options` go to
    each `custodian serve` (e.g. --allow-origin)."""
    dealings = {d: t.deal(2, 3) for d in (1, 2, 3)}
    processes, endpoints, commitments = [], [], []
    for i in (1, 2, 3):
        joint = t.joint_share(
            i, 2, {d: (dl.shares[i - 1], dl.commitments) for d, dl in dealings.items()}
        )
        data = root / f"c{i}"
        engine = open_database(data, None)
        save_custodian(engine, data, Custodian(joint.shares[0], 3, 2, joint.commitments))
        token = add_client(engine, "bench")
        commitments = joint.commitments
        port = _free_port()
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "hramada",
                    "custodian",
                    "serve",
                    "--data",
                    str(data),
                    "--port",
                    str(port),
                    "--rate",
                    "1e9",
                    "--burst",
                    "1000000",
                    "--overall-rate",
                    "1e9",
                    "--overall-burst",
                    "1000000",
                    *options,
                ],
                stdout=subprocess.DEVNULL,
            )
        )
        endpoints.append(Endpoint(i, f"http://127.0.0.1:{port}", token))
    for e in endpoints:
        for _ in range(300):
            try:
                httpx.get(f"{e.url}/api/custodian", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.1)
    return processes, Custodians(endpoints, commitments)


async def http_rate(custodians: Custodians, docs: list[bytes], batch: int, parallel: int) -> float:
    """Tags per second as the registry would get them: one event loop, kept connections."""
    gate = asyncio.Semaphore(parallel)
    async with httpx.AsyncClient(timeout=60) as http:

        async def one(chunk: list[bytes]) -> None:
            async with gate:
                await custodians.tags_async(chunk, http)

        t0 = time.perf_counter()
        await asyncio.gather(*(one(docs[i : i + batch]) for i in range(0, len(docs), batch)))
        return len(docs) / (time.perf_counter() - t0)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--elements", type=int, default=2000)
    parser.add_argument("--tags", type=int, default=300)
    args = parser.parse_args()
    a, b = ours(args.elements), theirs(args.elements)
    print(f"per element, {args.elements} each   ours (libsodium)   voprf-ts (noble)   ratio")
    for k in ("blind", "evaluate", "finalize"):
        print(f"  {k:<28} {a[k]:10.0f} us {b[k]:14.0f} us {b[k] / a[k]:10.1f}x")
    with tempfile.TemporaryDirectory() as tmp:
        processes, custodians = serve_three(Path(tmp))
        try:
            docs = [f"MP{i:07d}".encode() for i in range(args.tags)]
            for batch, parallel in ((1, 1), (1, 8), (64, 1), (64, 4)):
                rate = asyncio.run(http_rate(custodians, docs, batch, parallel))
                print(
                    f"tags over HTTP, 2 of 3 custodians, {batch:>2} per call, "
                    f"{parallel} calls at once: {rate:6.0f} tags/s"
                )
        finally:
            for p in processes:
                p.terminate()
                p.wait(10)


if __name__ == "__main__":
    main()
