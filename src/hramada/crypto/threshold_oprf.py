"""Threshold VOPRF (TOPPSS): the key Shamir-shared among n custodians, k answers combined in the
exponent by Lagrange interpolation, each answer proven (DLEQ) against its custodian's share key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hramada.crypto import oprf
from hramada.crypto.oprf import ORDER, VOPRF, OprfError


class ThresholdError(OprfError):
    """Parameters or answers that cannot give the threshold OPRF's value."""


@dataclass(frozen=True)
class KeyShare:
    """Custodian `index`'s share f(index) of the key f(0); index counts from 1."""

    index: int
    secret: bytes


@dataclass(frozen=True)
class Dealing:
    """Shares for n custodians and the Feldman commitments a_j*G to the polynomial's coefficients:
    public, they fix every custodian's share key and the group key (commitments[0])."""

    threshold: int
    shares: list[KeyShare]
    commitments: list[bytes]

    @property
    def public_key(self) -> bytes:
        return self.commitments[0]


@dataclass(frozen=True)
class Combined:
    """The combined evaluations (key * blinded) and the custodians caught answering wrong."""

    evaluated: list[bytes]
    misbehaving: list[int]


def check_parameters(k: int, n: int) -> None:
    if not 1 <= k <= n < 256:
        raise ThresholdError(f"need 1 <= k <= n < 256 custodians, got k={k}, n={n}")


def deal(k: int, n: int, secret: bytes | None = None) -> Dealing:
    """A dealer's Shamir split of `secret` (a fresh random key by default), degree k-1."""
    check_parameters(k, n)
    a0 = oprf.random_scalar() if secret is None else oprf.deserialize_scalar(secret)
    coefficients = [a0] + [oprf.random_scalar() for _ in range(k - 1)]
    shares = [KeyShare(i, _poly_at(coefficients, i)) for i in range(1, n + 1)]
    return Dealing(k, shares, [oprf.public_key(a) for a in coefficients])


def _poly_at(coefficients: Sequence[bytes], x: int) -> bytes:
    """Horner's rule in libsodium's constant-time scalar arithmetic."""
    xs = oprf.scalar_from_int(x)
    acc = coefficients[-1]
    for a in reversed(coefficients[:-1]):
        acc = oprf.scalar_add(oprf.scalar_mul(acc, xs), a)
    return acc


def share_public_key(index: int, commitments: Sequence[bytes]) -> bytes:
    """sum_j C_j * index^j: the public key of custodian `index`'s share, from public data only."""
    acc = oprf.IDENTITY
    for j, c in enumerate(commitments):
        acc = oprf.add(acc, oprf.mul(oprf.scalar_from_int(pow(index, j, ORDER)), c))
    return acc


def verify_share(share: KeyShare, commitments: Sequence[bytes]) -> bool:
    """A custodian's check that the dealer gave it a share on the committed polynomial."""
    return oprf.public_key(share.secret) == share_public_key(share.index, commitments)


def lagrange_at_zero(index: int, indices: Sequence[int]) -> bytes:
    """The coefficient of f(index) in f(0) interpolated from the points `indices` (public)."""
    if len(set(indices)) != len(indices) or index not in indices:
        raise ThresholdError("interpolation points must be distinct and include the index")
    num = den = 1
    for j in indices:
        if j != index:
            num = num * j % ORDER
            den = den * (j - index) % ORDER
    return oprf.scalar_from_int(num * pow(den, -1, ORDER))


def evaluate_share(
    share: KeyShare, share_key: bytes, blinded: Sequence[bytes]
) -> tuple[list[bytes], bytes]:
    """A custodian's answer: its share times each blinded element, and one DLEQ proof for all."""
    return VOPRF.blind_evaluate_verifiable(share.secret, share_key, blinded)


def verify_answer(
    index: int,
    blinded: Sequence[bytes],
    evaluated: Sequence[bytes],
    proof: bytes,
    commitments: Sequence[bytes],
) -> list[bytes] | None:
    """Custodian `index`'s evaluated elements if its proof holds against its share key (derived
    from the commitments) for these blinded elements; None for any wrong or malformed answer."""
    try:
        if not 1 <= index < 256:
            return None
        elements = [oprf.deserialize_element(e) for e in evaluated]
        key = share_public_key(index, commitments)
        if len(elements) == len(blinded) and VOPRF.verify_proof(
            oprf.GENERATOR, key, blinded, elements, proof
        ):
            return elements
    except OprfError:
        pass
    return None


def interpolate(k: int, answers: Mapping[int, Sequence[bytes]]) -> list[bytes]:
    """Lagrange interpolation in the exponent of k verified answers: key * each blinded element."""
    if len(answers) != k:
        raise ThresholdError(f"{len(answers)} valid answers, {k} needed")
    chosen = sorted(answers)
    lambdas = {i: lagrange_at_zero(i, chosen) for i in chosen}
    out = []
    for position in range(len(answers[chosen[0]])):
        acc = oprf.IDENTITY
        for i in chosen:
            acc = oprf.add(acc, oprf.mul(lambdas[i], answers[i][position]))
        out.append(acc)
    return out


def combine(
    k: int,
    blinded: Sequence[bytes],
    answers: Mapping[int, tuple[Sequence[bytes], bytes]],
    commitments: Sequence[bytes],
) -> Combined:
    """Verify each custodian's answer against its share key; interpolate k good ones in the
    exponent. Fewer than k good answers cannot give the value: ThresholdError names the bad ones."""
    if len(commitments) != k:
        raise ThresholdError("the commitments do not describe a threshold-k key")
    blinded = [oprf.deserialize_element(b) for b in blinded]
    good: dict[int, list[bytes]] = {}
    bad: list[int] = []
    for index, (evaluated, proof) in sorted(answers.items()):
        elements = verify_answer(index, blinded, evaluated, proof, commitments)
        if elements is None:
            bad.append(index)
        else:
            good[index] = elements
    if len(good) < k:
        named = f"; wrong answers from custodians {bad}" if bad else ""
        raise ThresholdError(f"{len(good)} valid answers, {k} needed{named}")
    chosen = sorted(good)[:k]
    return Combined(interpolate(k, {i: good[i] for i in chosen}), bad)


def joint_share(
    index: int, threshold: int, dealings: Mapping[int, tuple[KeyShare, Sequence[bytes]]]
) -> Dealing:
    """Joint-Feldman key generation without a dealer: every custodian deals a random polynomial,
    custodian `index` sums the shares it received (each checked against its dealer's
    commitments) and everyone sums the commitments. The key is the sum of the dealers' secrets:
    no one ever holds it. Returns this custodian's share and the joint commitments."""
    bad = [
        dealer
        for dealer, (share, commitments) in sorted(dealings.items())
        if share.index != index
        or len(commitments) != threshold
        or not _is_scalar(share.secret)
        or not all(_is_element(c) for c in commitments)
        or not verify_share(share, commitments)
    ]
    if bad:
        raise ThresholdError(f"shares from dealers {bad} do not match their commitments")
    secret = bytes(oprf.SCALAR_BYTES)
    joint = [oprf.IDENTITY] * threshold
    for share, commitments in dealings.values():
        secret = oprf.scalar_add(secret, share.secret)
        joint = [oprf.add(a, b) for a, b in zip(joint, commitments, strict=True)]
    if joint[0] == oprf.IDENTITY:
        raise ThresholdError("the joint key is the identity: the dealers cancelled each other")
    return Dealing(threshold, [KeyShare(index, secret)], joint)


def _is_element(c: bytes) -> bool:
    try:
        oprf.deserialize_element(c)
    except OprfError:
        return False
    return True


def _is_scalar(s: bytes) -> bool:
    try:
        oprf.deserialize_scalar(s)
    except OprfError:
        return False
    return True
