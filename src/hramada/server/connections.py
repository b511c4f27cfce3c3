"""uvicorn's HTTP/1.1 protocol with deadlines and a cap on open connections, so that slow,
idle or numerous clients cannot hold the server's sockets and file descriptors.

A connection is always in one of three phases:

- waiting for a request head (from connecting, or from the last answer): the whole head must
  arrive within `header_seconds` and `header_bytes` (slowloris gets 408 or 431, then closed);
- reading the body: all of it within `body_seconds`, plus a second per `body_rate` bytes
  declared (a slow body gets 408 and is closed);
- handling: the application answers; it has no deadline here.

At the cap, the connection that has waited longest for a request is closed to make room (idle
keep-alive and slowloris sockets go first); when every connection is in a request, the new one
gets 503. An answer sent before the body was read (a refusal) closes the connection, so no
one can make the server read a body it did not want; a small body (declared, at most
`json_bytes`) is read to its end within its deadline and dropped instead, since closing a socket
with unread bytes resets it and the client would lose the answer (a ballot refused with 429).
"""

from __future__ import annotations

import asyncio
import json
import resource
from collections import OrderedDict

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from hramada.server.config import Limits

WAITING, READING, HANDLING = "waiting", "reading", "handling"
RESERVED_FILES = 128  # descriptors kept for archives, the database, checker pipes and logs


def connection_cap(wanted: int) -> int:
    """How many connections may be open: `wanted`, within the open-files limit (raised to
    its hard maximum first) minus what the server itself needs."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(8, min(wanted, soft - RESERVED_FILES))


def _answer(status: int, reason: str, check: str, message: str) -> bytes:
    body = json.dumps({"error": {"check": check, "message": message}}).encode()
    return (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\nretry-after: 60\r\n\r\n"
    ).encode() + body


BUSY = _answer(503, "Service Unavailable", "busy", "too many connections: try again in a minute")
SLOW = _answer(408, "Request Timeout", "timeout", "the request was not sent in time")
HUGE_HEAD = _answer(
    431, "Request Header Fields Too Large", "too large", "the request head is too large"
)


def guarded_protocol(limits: Limits, max_connections: int) -> type[HttpToolsProtocol]:
    """The protocol class for `uvicorn.run(http=...)`, under these limits."""
    waiting: OrderedDict[Guarded, None] = OrderedDict()  # oldest first

    class Guarded(HttpToolsProtocol):
        phase = WAITING
        head_bytes = 0
        deadline: asyncio.TimerHandle | None = None
        small_body = False  # declared, at most json_bytes: read and dropped after a refusal
        draining = False  # answered before its small body arrived, which is being dropped

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._wait()
            if len(self.connections) > max_connections:
                oldest = next(iter(waiting))
                if oldest is self:  # every other connection is in a request
                    transport.write(BUSY)
                    transport.close()
                else:
                    oldest.transport.close()
                    oldest._leave()

        def connection_lost(self, exc: Exception | None) -> None:
            self._leave()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self.phase == WAITING:
                self.head_bytes += len(data)
            super().data_received(data)
            if self.phase == WAITING and self.head_bytes > limits.header_bytes:
                self._refuse(HUGE_HEAD)

        def on_headers_complete(self) -> None:
            self._leave()
            self.phase = READING
            declared = next((v for k, v in self.headers if k == b"content-length"), b"0")
            extra = int(declared) / limits.body_rate if declared.isdigit() else 0.0
            chunked = any(k == b"transfer-encoding" for k, _ in self.headers)
            self.small_body = (
                declared.isdigit() and int(declared) <= limits.json_bytes and not chunked
            )
            self._arm(limits.body_seconds + extra)
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._cancel()
            if self.draining:  # the refused request's body is dropped: wait for the next
                self.draining = False
                self._wait()
            else:
                self.phase = HANDLING
            super().on_message_complete()

        def on_response_complete(self) -> None:
            if self.phase == READING:  # answered without reading the body: a refusal
                if not self.small_body:
                    self.transport.close()
                    return
                self.draining = True  # within the body's deadline, still armed
                super().on_response_complete()
                return
            if not self.pipeline:
                self._wait()
            super().on_response_complete()

        def _wait(self) -> None:
            self.phase, self.head_bytes = WAITING, 0
            waiting[self] = None
            self._arm(limits.header_seconds)

        def _leave(self) -> None:
            self._cancel()
            waiting.pop(self, None)

        def _arm(self, seconds: float) -> None:
            self._cancel()
            self.deadline = self.loop.call_later(seconds, self._expired)

        def _cancel(self) -> None:
            if self.deadline is not None:
                self.deadline.cancel()
                self.deadline = None

        def _expired(self) -> None:
            self.deadline = None
            started = (
                self.phase == READING and self.cycle is not None and self.cycle.response_started
            )
            slow = self.head_bytes or (self.phase == READING and not started)
            if slow and not self.draining:  # a drained refusal was answered already
                self._refuse(SLOW)
            else:
                self._leave()
                self.transport.close()

        def _refuse(self, answer: bytes) -> None:
            self._leave()
            if not self.transport.is_closing():
                self.transport.write(answer)
                self.transport.close()

    return Guarded
