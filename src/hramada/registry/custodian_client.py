"""The custodians' client (the registry calls it): blind, ask custodians until k have answered
with valid proofs, combine in the exponent, finalize into de-duplication tags."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from hramada.crypto import oprf
from hramada.crypto.oprf import VOPRF
from hramada.crypto.threshold_oprf import interpolate, verify_answer


@dataclass(frozen=True)
class Endpoint:
    """One custodian as the registry knows it: its position, address and access token."""

    index: int
    url: str
    token: str


@dataclass
class Tags:
    """The tags, one per input, and which custodians failed to answer or answered wrongly."""

    tags: list[bytes]
    misbehaving: list[int] = field(default_factory=list)
    unreachable: list[int] = field(default_factory=list)


class CustodiansFailed(Exception):
    """Fewer than k custodians gave a valid answer; the message names the others."""


@dataclass
class Custodians:
    """The n custodians and the commitments to their joint key, pinned at the ceremony."""

    endpoints: Sequence[Endpoint]
    commitments: Sequence[bytes]
    timeout: float = 10.0
    ca_file: str | None = None  # the custodians' certificate authority, if not a public one

    def _verify(self) -> ssl.SSLContext | bool:
        return ssl.create_default_context(cafile=self.ca_file) if self.ca_file else True

    def http(self) -> httpx.AsyncClient:
        """A client for `tags_async` to keep between calls (the caller closes it)."""
        return httpx.AsyncClient(timeout=self.timeout, verify=self._verify())

    @property
    def threshold(self) -> int:
        return len(self.commitments)

    def check(self) -> list[int]:
        """The custodians whose published parameters differ from the pinned ones (or that do not
        answer): their position, their commitments or their threshold."""
        wrong = []
        pinned = [c.hex() for c in self.commitments]
        for e in self.endpoints:
            try:
                r = httpx.get(
                    f"{e.url.rstrip('/')}/api/custodian",
                    timeout=self.timeout,
                    verify=self._verify(),
                )
                info = r.json()
                ok = r.status_code == 200 and info["index"] == e.index
                ok = ok and info["commitments"] == pinned and info["threshold"] == self.threshold
            except (httpx.HTTPError, ValueError, KeyError, TypeError):
                ok = False
            if not ok:
                wrong.append(e.index)
        return wrong

    async def _ask(
        self, http: httpx.AsyncClient, e: Endpoint, blinded: list[bytes]
    ) -> tuple[list[bytes], bytes]:
        r = await http.post(
            f"{e.url.rstrip('/')}/api/custodian/evaluate",
            json={"blinded": [b.hex() for b in blinded]},
            headers={"authorization": f"Bearer {e.token}"},
        )
        r.raise_for_status()
        doc = r.json()
        return [bytes.fromhex(x) for x in doc["evaluated"]], bytes.fromhex(doc["proof"])

    async def tags_async(
        self, inputs: Sequence[bytes], http: httpx.AsyncClient | None = None
    ) -> Tags:
        """De-duplication tags for `inputs`: VOPRF outputs under the joint key, computed without
        any custodian (or this client) learning the inputs or the key. Asks k custodians at
        once, then others in place of those that did not answer or answered wrongly. `http`
        (kept by the caller between calls) reuses connections."""
        if not inputs:
            return Tags([])
        blinds, blinded = [], []
        for x in inputs:
            r, b = VOPRF.blind(x)
            blinds.append(r)
            blinded.append(b)
        answers: dict[int, list[bytes]] = {}
        result = Tags([])
        client = http or self.http()
        try:
            pending = list(self.endpoints)
            while len(answers) < self.threshold and pending:
                wanted = self.threshold - len(answers)
                batch, pending = pending[:wanted], pending[wanted:]
                replies = await asyncio.gather(
                    *(self._ask(client, e, blinded) for e in batch), return_exceptions=True
                )
                for e, reply in zip(batch, replies, strict=True):
                    if isinstance(reply, httpx.HTTPError):
                        result.unreachable.append(e.index)
                    elif isinstance(reply, ValueError | KeyError | TypeError):
                        result.misbehaving.append(e.index)  # an answer that is not one
                    elif isinstance(reply, BaseException):
                        raise reply
                    else:
                        elements = verify_answer(e.index, blinded, *reply, self.commitments)
                        if elements is None:
                            result.misbehaving.append(e.index)
                        else:
                            answers[e.index] = elements
        finally:
            if http is None:
                await client.aclose()
        if len(answers) < self.threshold:
            raise CustodiansFailed(
                f"{len(answers)} valid answers, {self.threshold} needed; wrong answers from "
                f"{result.misbehaving}, no answer from {result.unreachable}"
            )
        combined = interpolate(self.threshold, answers)
        result.tags = [
            oprf.finalize(x, r, z) for x, r, z in zip(inputs, blinds, combined, strict=True)
        ]
        return result

    def tags(self, inputs: Sequence[bytes]) -> Tags:
        """`tags_async` for callers without an event loop (the command line, scripts)."""
        return asyncio.run(self.tags_async(inputs))


def load_custodians(path: Path) -> Custodians:
    """The registry's custodians file, written once the ceremony is done: {"commitments": [hex],
    "custodians": [{"index": I, "url": U, "token": T}, ...], "ca_file": optional PEM path}
    (the threshold is len(commitments))."""
    doc: dict[str, Any] = json.loads(path.read_text())
    commitments = [oprf.deserialize_element(bytes.fromhex(c)) for c in doc["commitments"]]
    endpoints = [
        Endpoint(int(c["index"]), str(c["url"]), str(c["token"])) for c in doc["custodians"]
    ]
    if len({e.index for e in endpoints}) != len(endpoints) or len(endpoints) < len(commitments):
        raise ValueError(f"{path}: custodians must be distinct and at least the threshold")
    ca_file = doc.get("ca_file")
    return Custodians(endpoints, commitments, ca_file=str(ca_file) if ca_file else None)
