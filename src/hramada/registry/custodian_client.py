"""The custodians' client (the registry calls it): blind, ask custodians until k have answered
with valid proofs, combine in the exponent, finalize into de-duplication tags."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from hramada.crypto import oprf
from hramada.crypto.oprf import GENERATOR, VOPRF
from hramada.crypto.threshold_oprf import ThresholdError, combine, share_public_key


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
    _http: httpx.Client | None = field(default=None, init=False, repr=False)

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

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
                r = httpx.get(f"{e.url.rstrip('/')}/api/custodian", timeout=self.timeout)
                info = r.json()
                ok = r.status_code == 200 and info["index"] == e.index
                ok = ok and info["commitments"] == pinned and info["threshold"] == self.threshold
            except (httpx.HTTPError, ValueError, KeyError, TypeError):
                ok = False
            if not ok:
                wrong.append(e.index)
        return wrong

    def _ask(
        self, client: httpx.Client, e: Endpoint, blinded: list[bytes]
    ) -> tuple[list[bytes], bytes]:
        r = client.post(
            f"{e.url.rstrip('/')}/api/custodian/evaluate",
            json={"blinded": [b.hex() for b in blinded]},
            headers={"authorization": f"Bearer {e.token}"},
        )
        r.raise_for_status()
        doc = r.json()
        return [bytes.fromhex(x) for x in doc["evaluated"]], bytes.fromhex(doc["proof"])

    def _valid(
        self, index: int, blinded: list[bytes], evaluated: list[bytes], proof: bytes
    ) -> bool:
        try:
            elements = [oprf.deserialize_element(x) for x in evaluated]
            key = share_public_key(index, self.commitments)
            return len(elements) == len(blinded) and VOPRF.verify_proof(
                GENERATOR, key, blinded, elements, proof
            )
        except oprf.OprfError:
            return False

    def tags(self, inputs: Sequence[bytes]) -> Tags:
        """De-duplication tags for `inputs`: VOPRF outputs under the joint key, computed without
        any custodian (or this client) learning the inputs or the key."""
        blinds, blinded = [], []
        for x in inputs:
            r, b = VOPRF.blind(x)
            blinds.append(r)
            blinded.append(b)
        answers: dict[int, tuple[list[bytes], bytes]] = {}
        result = Tags([])
        if self._http is None:  # kept open between calls: one connection per custodian
            self._http = httpx.Client(timeout=self.timeout)
        for e in self.endpoints:
            if len(answers) == self.threshold:
                break
            try:
                evaluated, proof = self._ask(self._http, e, blinded)
            except (httpx.HTTPError, ValueError, KeyError, TypeError):
                result.unreachable.append(e.index)
                continue
            if self._valid(e.index, blinded, evaluated, proof):
                answers[e.index] = (evaluated, proof)
            else:
                result.misbehaving.append(e.index)
        try:
            combined = combine(self.threshold, blinded, answers, self.commitments)
        except ThresholdError as err:
            raise CustodiansFailed(
                f"{err}; wrong answers from {result.misbehaving}, no answer from "
                f"{result.unreachable}"
            ) from None
        result.tags = [
            oprf.finalize(x, r, z)
            for x, r, z in zip(inputs, blinds, combined.evaluated, strict=True)
        ]
        return result


def load_custodians(path: Path) -> Custodians:
    """The registry's custodians file, written once the ceremony is done: {"commitments": [hex],
    "custodians": [{"index": I, "url": U, "token": T}, ...]} (the threshold is len(commitments))."""
    doc: dict[str, Any] = json.loads(path.read_text())
    commitments = [oprf.deserialize_element(bytes.fromhex(c)) for c in doc["commitments"]]
    endpoints = [
        Endpoint(int(c["index"]), str(c["url"]), str(c["token"])) for c in doc["custodians"]
    ]
    if len({e.index for e in endpoints}) != len(endpoints) or len(endpoints) < len(commitments):
        raise ValueError(f"{path}: custodians must be distinct and at least the threshold")
    return Custodians(endpoints, commitments)
