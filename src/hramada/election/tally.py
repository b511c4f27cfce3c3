"""The encrypted tally: the last ballot of each credential, weighted, multiplied per answer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from hramada.crypto.elgamal import Ciphertext, multiply, power
from hramada.crypto.group import Group, GroupError
from hramada.election.ballot import AcceptedBallot
from hramada.election.context import ElectionContext
from hramada.election.errors import Rejected
from hramada.protocol import model
from hramada.protocol.canonical import FormatError, decode, encode, sha256_hex
from hramada.protocol.model import SizedEncryptedTally, weight_from_json, weight_to_json

Tally = list[list[Ciphertext]]


@dataclass(frozen=True)
class EncryptedTally:
    ciphertexts: Tally
    num_tallied: int
    total_weight: int


def last_ballots(ballots: Iterable[AcceptedBallot]) -> list[AcceptedBallot]:
    """Only the last ballot of each credential counts (re-voting replaces)."""
    last: dict[str, AcceptedBallot] = {}
    for b in ballots:
        last.pop(b.credential, None)
        last[b.credential] = b
    return list(last.values())


def compute_tally(ctx: ElectionContext, ballots: list[AcceptedBallot]) -> EncryptedTally:
    """Multiply each answer slot's ciphertexts raised to the voter's weight."""
    group = ctx.group
    out: Tally = []
    for i, q in enumerate(ctx.election.questions):
        if not q.homomorphic:
            if any(b.weight != 1 for b in ballots):
                raise Rejected("tally", f"question {i + 1}: ranked questions cannot be weighted")
            out.append([b.ciphertexts[i][0] for b in ballots])
            continue
        column = [Ciphertext(group.one, group.one)] * q.slots()
        for b in ballots:
            column = [
                multiply(group, acc, power(group, c, b.weight))
                for acc, c in zip(column, b.ciphertexts[i], strict=True)
            ]
        out.append(column)
    return EncryptedTally(out, len(ballots), sum(b.weight for b in ballots))


def combine_tallies(ctx: ElectionContext, parts: Iterable[EncryptedTally]) -> EncryptedTally:
    """The tally of the union of disjoint sets of ballots, from the tally of each set
    (`compute_tally`): the same as computing it on all of them at once, up to the order of a
    ranked question's ciphertexts."""
    group = ctx.group
    total = compute_tally(ctx, [])
    for part in parts:
        ciphertexts = [
            [*acc, *new]
            if not q.homomorphic
            else [multiply(group, a, b) for a, b in zip(acc, new, strict=True)]
            for q, acc, new in zip(
                ctx.election.questions, total.ciphertexts, part.ciphertexts, strict=True
            )
        ]
        total = EncryptedTally(
            ciphertexts,
            total.num_tallied + part.num_tallied,
            total.total_weight + part.total_weight,
        )
    return total


def encode_tally(group: Group, tally: EncryptedTally) -> tuple[bytes, bytes]:
    """The `encrypted_tally` member and the `sized_encrypted_tally` event payload."""
    data = encode(
        [
            [model.Ciphertext(alpha=group.encode(c.alpha), beta=group.encode(c.beta)) for c in col]
            for col in tally.ciphertexts
        ]
    )
    sized = SizedEncryptedTally(
        num_tallied=tally.num_tallied,
        total_weight=weight_to_json(tally.total_weight),
        encrypted_tally=sha256_hex(data),
    )
    return data, encode(sized)


def read_tally(group: Group, sized_bytes: bytes, data: Mapping[str, bytes]) -> EncryptedTally:
    """The tally an EncryptedTally event stores: its sized payload and the member it names."""
    try:
        sized = decode(sized_bytes, SizedEncryptedTally, "sized tally")
        raw = data[sized.encrypted_tally]
        total_weight = weight_from_json(sized.total_weight)
    except (FormatError, KeyError, ValueError) as e:
        raise Rejected("encrypted tally", f"unreadable: {e}") from None
    return EncryptedTally(decode_tally(group, raw), sized.num_tallied, total_weight)


def decode_tally(group: Group, data: bytes) -> Tally:
    try:
        raw = decode(data, list[list[model.Ciphertext]], "encrypted tally")
        return [
            [Ciphertext(group.decode(c.alpha), group.decode(c.beta)) for c in col] for col in raw
        ]
    except (FormatError, GroupError) as e:
        raise Rejected("encrypted tally", str(e)) from None
