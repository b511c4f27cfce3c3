"""The native core of the finite-field groups: OpenSSL Montgomery arithmetic for public inputs."""

from __future__ import annotations

from gmpy2 import mpz
from hramada_native import FfChain, FfGroup, FfTable

from hramada.crypto.group import Element

_CHAIN_BYTES = 32 << 20  # memory for kept square chains (a BELENIOS-2048 chain is 80 kB)


class FfCore:
    """Variable-time products of fixed-base and public-element powers in Z_p^* (verification).

    Every element x that is exponentiated gets its chain x^(2^i) once (the squarings, about
    four fifths of an exponentiation); each exponent of x then costs only Yao's multiplications.
    A ballot uses each alpha and beta in two or more commitments and in its membership test
    x^q = 1, so the chain is shared by all of them.
    """

    def __init__(self, p: int, q: int) -> None:
        self.q = q
        self.nbytes = (p.bit_length() + 7) // 8
        self.ebytes = (q.bit_length() + 7) // 8
        self.bits = q.bit_length()
        self.keep = max(16, min(256, _CHAIN_BYTES // (self.bits * (self.nbytes + 56))))
        self.core = FfGroup(int(p).to_bytes(self.nbytes, "big"))
        self.chains: dict[Element, FfChain] = {}
        self.q_bytes = q.to_bytes(self.ebytes, "big")
        self.one = (1).to_bytes(self.nbytes, "big")

    def chain(self, x: Element) -> FfChain:
        chain = self.chains.get(x)
        if chain is None:
            if len(self.chains) >= self.keep:
                del self.chains[next(iter(self.chains))]  # the oldest
            chain = self.core.chain(int(x).to_bytes(self.nbytes, "big"), self.bits)
            self.chains[x] = chain
        return chain

    def table(self, base: Element) -> FfTable:
        """The fixed-base comb of `base`: one multiplication an exponent byte."""
        return self.core.table(int(base).to_bytes(self.nbytes, "big"), self.ebytes)

    def exponent(self, k: int) -> bytes:
        return (k % self.q).to_bytes(self.ebytes, "big")

    def product(
        self, fixed: list[tuple[FfTable, int]], variable: list[tuple[Element, int]]
    ) -> Element:
        """prod table_i^k_i * prod x_j^c_j for subgroup elements x_j (exponents taken mod q)."""
        out = self.core.product(
            [(t, self.exponent(k)) for t, k in fixed],
            [(self.chain(x), self.exponent(c)) for x, c in variable],
        )
        return mpz(int.from_bytes(out, "big"))

    def is_member(self, x: Element) -> bool:
        """x^q = 1 for 0 < x < p, from the chain that x's commitments will use anyway."""
        return self.core.product([], [(self.chain(x), self.q_bytes)]) == self.one
