"""Anonymous registrations accepted per second through the real server (`hramada serve`).

Starts the server on a fresh SQLite data folder, sets up an Ed25519 election with a registry
key (RSA-3072) through the API, makes one blind-signed registration per member (the members'
devices and the registry, in this process, before the clock starts), then POSTs them all from
`--concurrency` clients on loopback and times it; then times closing registration.

    .venv/bin/python bench/bench_registration_http.py [--members 2000] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import sys
import tempfile
import time
from pathlib import Path

import httpx
import msgspec

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "tests"))  # the server harness of the test suite

from server_harness import Server, add_admin, login  # noqa: E402

from hramada.crypto import blind_rsa as br  # noqa: E402
from hramada.crypto.groups import get_group  # noqa: E402
from hramada.election import registrations as reg  # noqa: E402
from hramada.protocol.canonical import encode  # noqa: E402

MEMBERS = 1_300_000
QUESTIONS = [{"question": "Q?", "answers": ["A", "B"], "min": 1, "max": 1}]


async def post_all(url: str, uuid: str, bodies: list[bytes], concurrency: int) -> list[int]:
    queue = list(reversed(bodies))
    statuses: list[int] = []

    async def client() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=120) as http:
            while queue:
                body = queue.pop()
                r = await http.post(
                    f"/api/elections/{uuid}/registrations",
                    content=body,
                    headers={"content-type": "application/json"},
                )
                statuses.append(r.status_code)

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return statuses


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    sk = br.generate_key(3072)
    registry = reg.RegistryKey(
        variant=reg.VARIANT.name,
        blind_key=base64.b64encode(sk.public.to_der()).decode(),
        statement_key="00" * 32,
    )
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "server"
        add_admin(data, None)
        server = Server(data, workers=1).start()
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
                group = get_group("Ed25519")
                bodies = []
                for _ in range(args.members):
                    request = reg.request_credential(group, uuid, sk.public)
                    answer = br.blind_sign(sk, request.blinded.blinded_msg)
                    posted = reg.finish_registration(request, sk.public, answer)
                    bodies.append(msgspec.json.encode(posted))
                start = time.perf_counter()
                statuses = asyncio.run(post_all(server.url, uuid, bodies, args.concurrency))
                elapsed = time.perf_counter() - start
                assert statuses.count(201) == args.members, set(statuses)
                start = time.perf_counter()
                closed = client.post(f"{admin}/registration/close").json()
                closing = time.perf_counter() - start
                assert closed["count"] == args.members
        finally:
            server.stop()
    rate = args.members / elapsed
    print(
        f"{args.members} registrations through HTTP (SQLite, {args.concurrency} clients): "
        f"{rate:.0f}/s; {MEMBERS:,} in {MEMBERS / rate / 60:.1f} min; "
        f"closing registration {closing:.2f} s"
    )


if __name__ == "__main__":
    main()
