"""Exponential ElGamal: encryption of small integers under the election key, homomorphically."""

from __future__ import annotations

from typing import NamedTuple

from hramada.crypto.group import Element, FixedBase, Group


class Ciphertext(NamedTuple):
    """(alpha, beta) = (g^r, y^r * g^m)."""

    alpha: Element
    beta: Element


def encrypt(group: Group, y: FixedBase, m: int, r: int) -> Ciphertext:
    """Encrypt the small integer m with randomness r under the key whose table is y."""
    return Ciphertext(group.g_pow(r), group.mul(y.pow(r), group.g_pow_small(m)))


def multiply(group: Group, a: Ciphertext, b: Ciphertext) -> Ciphertext:
    """The encryption of the sum of both plaintexts."""
    return Ciphertext(group.mul(a.alpha, b.alpha), group.mul(a.beta, b.beta))


def power(group: Group, c: Ciphertext, k: int) -> Ciphertext:
    """The encryption of k times the plaintext (weights)."""
    if k == 1:
        return c
    return Ciphertext(group.pow(c.alpha, k), group.pow(c.beta, k))


def product(group: Group, cs: list[Ciphertext]) -> Ciphertext:
    """The encryption of the sum of all plaintexts (the encryption of 0 for an empty list)."""
    acc = Ciphertext(group.one, group.one)
    for c in cs:
        acc = multiply(group, acc, c)
    return acc


def discrete_log(group: Group, target: Element, bound: int) -> int:
    """The m in [0, bound] with g^m = target, by baby-step giant-step; ValueError if none."""
    key = group.encode
    step = max(1, int(bound**0.5) + 1)
    baby: dict[str, int] = {}
    x = group.one
    for j in range(step):
        baby.setdefault(key(x), j)
        x = group.mul(x, group.g)
    giant = group.inv(x)  # g^-step
    y = target
    for i in range(step + 1):
        hit = baby.get(key(y))
        if hit is not None and i * step + hit <= bound:
            return i * step + hit
        y = group.mul(y, giant)
    raise ValueError(f"no discrete logarithm in [0, {bound}]")
