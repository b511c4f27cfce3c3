"""The benchmark's load generator: many concurrent HTTP clients on one asyncio loop.

Two engines, both keep-alive HTTP/1.1 with one connection per concurrent client:

- `httpx`: `httpx.AsyncClient`s with a connection limit. httpcore 1.0 rescans every pooled
  connection for every request (`AsyncConnectionPool._assign_requests_to_connections`, with a
  `getpeername` per connection), so one pool of 64 connections costs ~6 ms of CPU per request
  here; the clients are therefore sharded, `SHARD` connections per `AsyncClient`. Without the
  `sniffio` package httpcore also retries a failing `import sniffio` four times per request
  (`httpcore/_synchronization.py`, ~1 ms); a stand-in module saying "asyncio" avoids that.
- `raw`: requests written and answers parsed (status line, Content-Length) on asyncio
  streams, about 10x less CPU per request than httpx, so that the load generator takes as
  little as possible of the cores it shares with the server.
"""

from __future__ import annotations

import asyncio
import sys
import time
import types
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import msgspec

try:
    import sniffio  # noqa: F401 (only its presence matters)
except ImportError:  # see the module's docstring
    _stand_in = types.ModuleType("sniffio")
    _stand_in.current_async_library = lambda: "asyncio"  # type: ignore[attr-defined]
    sys.modules["sniffio"] = _stand_in

import httpx  # after the sniffio stand-in

TIMEOUT = 300.0  # a request that takes this long counts as refused (status 0)
SHARD = 8  # connections per httpx.AsyncClient
ENGINES = ("raw", "httpx")


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: bytes | None = None


@dataclass
class Load:
    """What a batch of requests got: timings, statuses, and the answers' JSON."""

    wall: float = 0.0  # first request sent to last answer received
    client_cpu: float = 0.0  # CPU seconds this process (the load generator) used meanwhile
    latencies: list[float] = field(default_factory=list)  # seconds, every request
    statuses: Counter[int] = field(default_factory=Counter)  # 0: no HTTP answer
    answers: list[object] = field(default_factory=list)  # JSON of each 200 answer, in order
    errors: Counter[str] = field(default_factory=Counter)  # refusals: status and reason

    @property
    def ok(self) -> int:
        return self.statuses[200]

    @property
    def refused(self) -> int:
        return sum(self.statuses.values()) - self.ok

    @property
    def ok_per_second(self) -> float:
        return self.ok / self.wall if self.wall else 0.0

    def percentile(self, p: float) -> float:
        """The p-th percentile of the latencies, in milliseconds (nearest rank)."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
        return 1000 * ordered[rank]


def _reason(status: int, body: bytes) -> str:
    try:
        value = msgspec.json.decode(body)
        return f"{status} {value.get('check', '')}: {value.get('detail', '')}"[:120]
    except (msgspec.DecodeError, AttributeError):
        return f"{status} {body[:80]!r}"


class _Tally:
    """Collects the outcome of each call, by index."""

    def __init__(self, load: Load, n: int) -> None:
        self.load = load
        self.answers: list[object] = [None] * n
        self.oks: list[bool] = [False] * n

    def failed(self, start: float, error: BaseException) -> None:
        self.load.latencies.append(time.perf_counter() - start)
        self.load.statuses[0] += 1
        self.load.errors[f"0 {type(error).__name__}"] += 1

    def answered(self, i: int, start: float, status: int, body: bytes) -> None:
        self.load.latencies.append(time.perf_counter() - start)
        self.load.statuses[status] += 1
        if status == 200:
            self.answers[i], self.oks[i] = msgspec.json.decode(body), True
        else:
            self.load.errors[_reason(status, body)] += 1


# --- raw HTTP/1.1 on asyncio streams ---------------------------------------------------


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, server closes) of one answer with a Content-Length."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, close = None, False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection":
            close = value.strip().lower() == "close"
        elif name == "transfer-encoding":
            raise ValueError("chunked answers are not supported by the raw client")
    if length is None:
        raise ValueError("an answer without Content-Length")
    return status, await reader.readexactly(length), close


async def _raw(base_url: str, calls: list[Call], concurrency: int, tally: _Tally) -> None:
    url = urlsplit(base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    queue = iter(range(len(calls)))  # one shared iterator: each call is sent once

    def request(call: Call) -> bytes:
        head = f"{call.method} {call.path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
        if call.body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(call.body)}\r\n"
        return head.encode() + b"\r\n" + (call.body or b"")

    async def worker() -> None:
        streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        for i in queue:
            data = request(calls[i])
            start = time.perf_counter()
            try:
                if streams is None:
                    streams = await asyncio.open_connection(host, port)
                reader, writer = streams
                writer.write(data)
                await writer.drain()
                status, body, close = await asyncio.wait_for(_read_answer(reader), TIMEOUT)
            except (OSError, EOFError, ValueError, TimeoutError) as e:
                tally.failed(start, e)
                if streams is not None:
                    streams[1].close()
                streams = None
                continue
            tally.answered(i, start, status, body)
            if close:
                writer.close()
                streams = None
        if streams is not None:
            streams[1].close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))


# --- httpx -----------------------------------------------------------------------------


async def _httpx(base_url: str, calls: list[Call], concurrency: int, tally: _Tally) -> None:
    shards = -(-concurrency // SHARD)
    per = -(-concurrency // shards)
    limits = httpx.Limits(max_connections=per, max_keepalive_connections=per)
    clients = [
        # No TLS on loopback: verify=False spares loading the CA bundle for each client.
        httpx.AsyncClient(
            base_url=base_url, limits=limits, timeout=httpx.Timeout(TIMEOUT), verify=False
        )
        for _ in range(shards)
    ]
    queue = iter(range(len(calls)))

    async def worker(client: httpx.AsyncClient) -> None:
        for i in queue:
            call = calls[i]
            start = time.perf_counter()
            try:
                r = await client.request(call.method, call.path, content=call.body)
            except httpx.HTTPError as e:
                tally.failed(start, e)
                continue
            tally.answered(i, start, r.status_code, r.content)

    try:
        await asyncio.gather(*(worker(clients[k % shards]) for k in range(concurrency)))
    finally:
        for client in clients:
            await client.aclose()


def run_load(base_url: str, calls: list[Call], concurrency: int, engine: str = "raw") -> Load:
    """Send every call once from `concurrency` clients, each with its own keep-alive
    connection (opened by its first request)."""
    load = Load()
    tally = _Tally(load, len(calls))
    drive = _raw if engine == "raw" else _httpx

    async def timed() -> None:
        cpu, start = time.process_time(), time.perf_counter()
        await drive(base_url, calls, concurrency, tally)
        load.wall = time.perf_counter() - start
        load.client_cpu = time.process_time() - cpu

    asyncio.run(timed())
    load.answers = [a for a, ok in zip(tally.answers, tally.oks, strict=True) if ok]
    return load
