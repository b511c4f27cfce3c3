"""The prime-order group interface that every protocol computation is written against."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

# An element is an mpz in the finite-field groups; in Ed25519, 32 compressed bytes (libsodium)
# or a decoded `hramada_native.Point` handle (the native core).
Element = Any

_DECIMAL = re.compile(r"0|[1-9][0-9]*")


def use_native_core() -> bool:
    """Whether the groups compute on the native core: it is built and HRAMADA_PURE is not set."""
    if os.environ.get("HRAMADA_PURE"):
        return False
    try:
        import hramada_native  # noqa: F401
    except ImportError:
        return False
    return True


class GroupError(ValueError):
    """A string is not the canonical encoding of a group element or of a scalar."""


class FixedBase(ABC):
    """Exponentiation of one base known in advance, faster than the generic `Group.pow`."""

    group: Group

    @abstractmethod
    def pow(self, k: int) -> Element:
        """Return base^k."""

    def pow_mul(self, k: int, x: Element, c: int) -> Element:
        """base^k * x^c for public inputs (verification: variable time is allowed)."""
        return self.group.mul(self.pow(k), self.group.pow(x, c))

    def pow_mul_shifted(self, k: int, x: Element, c: int, m: int) -> Element:
        """base^k * (x / g^m)^c for public inputs: a disjunctive proof's commitment for the
        plaintext m, with x unshifted so that a group can share its work on x across m."""
        return self.pow_mul(k, x if m == 0 else self.group.mul(x, self.group.g_pow_small(-m)), c)

    def or_commitments(
        self, statements: Sequence[tuple[Element, Element, int]], proofs: Sequence[tuple[int, int]]
    ) -> str:
        """What a disjunctive proof's hash reads after its prefix: for each branch
        (alpha, beta, m) and its proof (c, r), g^r alpha^c and base^r (beta / g^m)^c, encoded
        and joined by commas (public inputs: variable time is allowed)."""
        group = self.group
        encoded: list[str] = []
        for (alpha, beta, m), (c, r) in zip(statements, proofs, strict=True):
            encoded.append(group.encode(group.g_pow_mul(r, alpha, c)))
            encoded.append(group.encode(self.pow_mul_shifted(r, beta, c, m)))
        return ",".join(encoded)

    def or_verify_decimal(
        self,
        statements: Sequence[tuple[Element, Element, int]],
        proofs: Sequence[tuple[str, str]],
        prefix: str,
    ) -> bool | None:
        """A native core's one-call check of a disjunctive proof given as its decimal strings
        (see `proofs.or_verify_decimal`); None where there is none, or when a string is not a
        canonical scalar, which the caller then parses to name the error."""
        return None


class PlainBase(FixedBase):
    """No table: each power is a full exponentiation (for bases used only a few times)."""

    def __init__(self, group: Group, base: Element) -> None:
        self.group = group
        self.base = base

    def pow(self, k: int) -> Element:
        return self.group.pow(self.base, k)


class Group(ABC):
    """A cyclic group of prime order q with generator g, and its Belenios string encoding."""

    name: str
    q: int
    g: Element
    one: Element

    @abstractmethod
    def encode(self, x: Element) -> str:
        """The canonical Belenios string of an element."""

    @abstractmethod
    def decode(self, s: str) -> Element:
        """Parse a canonical element string; raise GroupError unless it is in the subgroup."""

    @abstractmethod
    def decode_unchecked(self, s: str) -> Element:
        """Parse a string that `decode` already accepted once (no second membership test)."""

    @abstractmethod
    def mul(self, a: Element, b: Element) -> Element:
        """The group operation."""

    @abstractmethod
    def inv(self, a: Element) -> Element:
        """The inverse of a."""

    @abstractmethod
    def pow(self, a: Element, k: int) -> Element:
        """a^k for a subgroup element a and any integer k."""

    @abstractmethod
    def fixed_base(self, base: Element) -> FixedBase:
        """Precompute what makes many exponentiations of `base` fast."""

    @abstractmethod
    def element_key(self, x: Element) -> int:
        """The integer Belenios orders elements by (public credential lists are sorted by it)."""

    # Derived operations, shared by every group.

    def div(self, a: Element, b: Element) -> Element:
        return self.mul(a, self.inv(b))

    def prod(self, xs: Iterable[Element]) -> Element:
        acc = self.one
        for x in xs:
            acc = self.mul(acc, x)
        return acc

    def pow2(self, a: Element, k: int, b: Element, c: int) -> Element:
        """a^k * b^c for public inputs (verification: variable time is allowed)."""
        return self.mul(self.pow(a, k), self.pow(b, c))

    def g_pow(self, k: int) -> Element:
        return self._g_table.pow(k)

    def g_pow_mul(self, k: int, x: Element, c: int) -> Element:
        """g^k * x^c for public inputs: every commitment a verifier recomputes has this shape."""
        return self._g_table.pow_mul(k, x, c)

    @property
    def _g_table(self) -> FixedBase:
        table = self.__dict__.get("_g_fixed")
        if table is None:
            table = self.__dict__["_g_fixed"] = self.fixed_base(self.g)
        return table

    @lru_cache(maxsize=256)  # noqa: B019 - groups are a handful of long-lived singletons
    def g_pow_small(self, m: int) -> Element:
        """g^m for the small plaintexts of exponential ElGamal (cached)."""
        return self.g_pow(m)

    def random_scalar(self) -> int:
        """A uniformly random non-zero scalar from the operating system's CSPRNG."""
        return 1 + secrets.randbelow(self.q - 1)

    def decode_scalar(self, s: str) -> int:
        """Parse a canonical decimal scalar in [0, q)."""
        x = decode_decimal(s, "scalar")
        if x >= self.q:
            raise GroupError("scalar out of range [0, q)")
        return x

    def hash_to_scalar(self, prefix: str, elements: Sequence[Element]) -> int:
        """Belenios v1 Fiat-Shamir hash: SHA-256(prefix || e1,e2,...) as an integer, mod q."""
        return self.hash_text_to_scalar(prefix + ",".join(self.encode(e) for e in elements))

    def hash_text_to_scalar(self, text: str) -> int:
        """SHA-256 of a text already made of a prefix and encoded elements, mod q."""
        return int.from_bytes(hashlib.sha256(text.encode()).digest(), "big") % self.q


def decode_decimal(s: str, what: str) -> int:
    """Parse a canonical non-negative decimal integer string."""
    if not isinstance(s, str) or not _DECIMAL.fullmatch(s):
        raise GroupError(f"not a canonical decimal {what}: {str(s)[:40]!r}")
    return int(s)
