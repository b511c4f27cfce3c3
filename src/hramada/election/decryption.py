"""Partial decryptions by trustees, their proofs, the k-of-n combination and the result."""

from __future__ import annotations

from dataclasses import dataclass

from hramada.crypto.elgamal import Ciphertext, discrete_log
from hramada.crypto.group import Element, Group, GroupError
from hramada.crypto.proofs import decryption_prove, decryption_verify
from hramada.election.context import ElectionContext
from hramada.election.errors import Rejected
from hramada.election.tally import Tally
from hramada.election.trustees import lagrange, read_proof, wire_proof
from hramada.protocol.model import PartialDecryption, TrusteePublicKey, weight_to_json

Factors = list[list[Element]]


@dataclass(frozen=True)
class Owner:
    """A trustee able to decrypt: its global number, trustee item, member index and key."""

    number: int
    item: int
    member: int
    public_key: Element


def owners(ctx: ElectionContext) -> dict[int, Owner]:
    """Owner numbers run from 1 over Single items and over each Pedersen set's members."""
    group = ctx.group
    out: dict[int, Owner] = {}
    for i, t in enumerate(ctx.trustees):
        keys = [t] if isinstance(t, TrusteePublicKey) else t.verification_keys
        for j, k in enumerate(keys):
            n = len(out) + 1
            out[n] = Owner(n, i, j, group.decode(k.public_key))
    return out


def _prefix(ctx: ElectionContext, public: Element) -> str:
    return f"decrypt|{ctx.fingerprint}|{ctx.group.encode(public)}|"


def make_partial_decryption(ctx: ElectionContext, tally: Tally, x: int) -> PartialDecryption:
    """A trustee's factors alpha^x for every tally ciphertext, each with its proof."""
    group = ctx.group
    prefix = _prefix(ctx, group.g_pow(x))
    factors, proofs = [], []
    for col in tally:
        factors.append([group.encode(group.pow(c.alpha, x)) for c in col])
        proofs.append([wire_proof(decryption_prove(group, x, c.alpha, prefix)) for c in col])
    return PartialDecryption(decryption_factors=factors, decryption_proofs=proofs)


def check_partial_decryption(
    ctx: ElectionContext, tally: Tally, owner: Owner, pd: PartialDecryption
) -> Factors:
    """Check the shape and every proof of a partial decryption; return the decoded factors."""
    group = ctx.group
    who = f"trustee {owner.number}"
    shape = [len(col) for col in tally]
    if [len(c) for c in pd.decryption_factors] != shape or [
        len(c) for c in pd.decryption_proofs
    ] != shape:
        raise Rejected("partial decryption", f"{who}: shape differs from the encrypted tally")
    prefix = _prefix(ctx, owner.public_key)
    out: Factors = []
    try:
        for i, (col, fs, ps) in enumerate(
            zip(tally, pd.decryption_factors, pd.decryption_proofs, strict=True), 1
        ):
            row = []
            for j, (c, f, p) in enumerate(zip(col, fs, ps, strict=True)):
                factor = group.decode(f)
                if not decryption_verify(
                    group, owner.public_key, c.alpha, factor, read_proof(group, p), prefix
                ):
                    raise Rejected("decryption proof", f"{who}, question {i}, slot {j}: invalid")
                row.append(factor)
            out.append(row)
    except GroupError as e:
        raise Rejected("partial decryption", f"{who}: {e}") from None
    return out


def combine_factors(ctx: ElectionContext, tally: Tally, by_owner: dict[int, Factors]) -> Factors:
    """Every Single trustee's factor times, per Pedersen set, any quorum's Lagrange combination."""
    group = ctx.group
    all_owners = owners(ctx)
    combined: Factors = [[group.one] * len(col) for col in tally]

    def fold(factors: Factors, exponent: int) -> None:
        for crow, frow in zip(combined, factors, strict=True):
            for k, f in enumerate(frow):
                crow[k] = group.mul(crow[k], group.pow(f, exponent) if exponent != 1 else f)

    for i, t in enumerate(ctx.trustees, 1):
        members = [o for o in all_owners.values() if o.item == i - 1]
        present = [o for o in members if o.number in by_owner]
        if isinstance(t, TrusteePublicKey):
            if not present:
                raise Rejected("decryption", f"trustee {members[0].number} has not decrypted")
            fold(by_owner[members[0].number], 1)
            continue
        if len(present) < t.threshold:
            raise Rejected(
                "decryption",
                f"threshold set {i}: {len(present)} of the {t.threshold} needed decryptions",
            )
        quorum = present[: t.threshold]
        indexes = [o.member + 1 for o in quorum]
        for o in quorum:
            fold(by_owner[o.number], lagrange(indexes, o.member + 1, group.q))
    return combined


def decrypt_counts(
    group: Group, column: list[Ciphertext], factors: list[Element], total_weight: int
) -> list[int]:
    """The counts of a homomorphic question: discrete logs of beta / F, at most total_weight."""
    try:
        return [
            discrete_log(group, group.div(c.beta, f), total_weight)
            for c, f in zip(column, factors, strict=True)
        ]
    except ValueError:
        raise Rejected("result", "a decrypted count is out of range") from None


def compute_result(
    ctx: ElectionContext, tally: Tally, combined: Factors, total_weight: int
) -> list[list[int]]:
    """Counts per answer slot (blank first) of every question, all homomorphic."""
    result = []
    for i, (q, col, frow) in enumerate(
        zip(ctx.election.questions, tally, combined, strict=True), 1
    ):
        if not q.homomorphic:
            raise Rejected("result", f"question {i}: ranked questions are not supported yet")
        result.append(decrypt_counts(ctx.group, col, frow, total_weight))
    return result


def encode_counts(result: list[list[int]]) -> list[list[int | str]]:
    return [[weight_to_json(n) for n in row] for row in result]
