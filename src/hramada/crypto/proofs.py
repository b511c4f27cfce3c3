"""The zero-knowledge proofs of Belenios v1: Schnorr, Chaum-Pedersen and disjunctive proofs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from hramada.crypto.group import Element, FixedBase, Group


class Proof(NamedTuple):
    """A Fiat-Shamir proof in challenge/response form; response = w - secret * challenge."""

    challenge: int
    response: int


# Schnorr proofs of knowledge of x with X = g^x, under a context-bearing hash prefix.
# Used for the trustee key proof ("pok|G|X|"), the ballot signature ("sig|h|") and
# signed messages ("sigmsg|M|").


def schnorr_prove(group: Group, x: int, prefix: str) -> Proof:
    w = group.random_scalar()
    challenge = group.hash_to_scalar(prefix, [group.g_pow(w)])
    return Proof(challenge, (w - x * challenge) % group.q)


def schnorr_verify(group: Group, public: Element, proof: Proof, prefix: str) -> bool:
    commitment = group.g_pow_mul(proof.response, public, proof.challenge)
    return proof.challenge == group.hash_to_scalar(prefix, [commitment])


# Chaum-Pedersen proof that log_g X = log_alpha F (a correct decryption factor F = alpha^x).


def decryption_prove(group: Group, x: int, alpha: Element, prefix: str) -> Proof:
    w = group.random_scalar()
    challenge = group.hash_to_scalar(prefix, [group.g_pow(w), group.pow(alpha, w)])
    return Proof(challenge, (w - x * challenge) % group.q)


def decryption_verify(
    group: Group, public: Element, alpha: Element, factor: Element, proof: Proof, prefix: str
) -> bool:
    c, r = proof
    a = group.g_pow_mul(r, public, c)
    b = group.pow2(alpha, r, factor, c)
    return c == group.hash_to_scalar(prefix, [a, b])


# Disjunctive proofs: one of the pairs (alpha_j, beta_j) is an encryption of 0 under y, i.e.
# beta_j = y^r where alpha_j = g^r. Belenios expresses "m = M_j" as the pair (alpha, beta/g^M_j).


def or_prove(
    group: Group,
    y: FixedBase,
    pairs: Sequence[tuple[Element, Element]],
    true_index: int,
    r: int,
    prefix: str,
) -> list[Proof]:
    """Prove that pairs[true_index] encrypts 0 with randomness r, hiding which pair it is."""
    q = group.q
    simulated: dict[int, Proof] = {}
    commitments: list[Element] = []
    w = group.random_scalar()
    for j, (alpha, beta) in enumerate(pairs):
        if j == true_index:
            commitments += [group.g_pow(w), y.pow(w)]
            continue
        proof = simulated[j] = Proof(group.random_scalar(), group.random_scalar())
        commitments += [
            group.mul(group.g_pow(proof.response), group.pow(alpha, proof.challenge)),
            group.mul(y.pow(proof.response), group.pow(beta, proof.challenge)),
        ]
    total = group.hash_to_scalar(prefix, commitments)
    challenge = (total - sum(p.challenge for p in simulated.values())) % q
    real = Proof(challenge, (w - r * challenge) % q)
    return [real if j == true_index else simulated[j] for j in range(len(pairs))]


def or_verify(
    group: Group,
    y: FixedBase,
    statements: Sequence[tuple[Element, Element, int]],
    proofs: Sequence[Proof],
    prefix: str,
) -> bool:
    """Check a disjunctive proof that one (alpha, beta, m) is an encryption of m, i.e. that
    (alpha, beta / g^m) encrypts 0; the challenges must add up to the hash of all commitments."""
    if len(proofs) != len(statements):
        return False
    hashed = group.hash_text_to_scalar(prefix + y.or_commitments(statements, proofs))
    return sum(p.challenge for p in proofs) % group.q == hashed


def or_verify_decimal(
    group: Group,
    y: FixedBase,
    statements: Sequence[tuple[Element, Element, int]],
    proofs: Sequence[tuple[str, str]],
    prefix: str,
) -> bool:
    """`or_verify` on the proofs' (challenge, response) decimal strings as the wire has them;
    GroupError unless each is a canonical decimal scalar below q. A native core checks it all in
    one call; otherwise, and to name a bad string, the strings are parsed here."""
    checked = y.or_verify_decimal(statements, proofs, prefix)
    if checked is not None:
        return checked
    parsed = [Proof(group.decode_scalar(c), group.decode_scalar(r)) for c, r in proofs]
    return or_verify(group, y, statements, parsed, prefix)
