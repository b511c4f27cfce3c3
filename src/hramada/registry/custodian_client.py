"""The custodians' client (the registry calls it): blind, ask custodians until k have answered
with valid proofs, combine in the exponent, finalize into de-duplication tags."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

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
