"""The native finite-field core against the pure gmpy2 reference, operation by operation.

`hramada_native` is imported unconditionally: where it is not built (it is in CI), this module
fails instead of skipping.
"""

from __future__ import annotations

import pickle
from functools import cache

import gmpy2
import hramada_native  # noqa: F401 - missing core: fail here, do not skip
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hramada.crypto.finite_field import FiniteFieldGroup
from hramada.crypto.group import GroupError
from hramada.crypto.groups import get_group

NAMES = ["BELENIOS-2048", "RFC-3526-2048"]
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def paths(name: str) -> tuple[FiniteFieldGroup, FiniteFieldGroup]:
    native = get_group(name)
    assert isinstance(native, FiniteFieldGroup) and native.core is not None
    return native, native.pure()


def exponents(q: int) -> st.SearchStrategy[int]:
    """Any integer exponent, with 0, q - 1, multiples of q, >= q and negatives drawn often."""
    edges = [0, 1, 2, q - 1, q, q + 1, 2 * q, -1, -q, -q - 1, 2**256, 2**300 + 7, -(2**300)]
    return st.one_of(st.sampled_from(edges), st.integers(-(2**300), 2**300))


def members(q: int) -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from([0, 1, q - 1]), st.integers(0, q - 1))


def non_members(group: FiniteFieldGroup) -> list[int]:
    """Elements of Z_p^* outside the subgroup: -1, and for BELENIOS-2048 (cofactor 2 * 3 * n)
    an element of order 3 alone and times g (the small-order parts a batch could miss)."""
    p, q = int(group.p), group.q
    out = [p - 1, (int(group.g) * (p - 1)) % p]
    if (p - 1) % 3 == 0:
        z = 2
        while (w := int(gmpy2.powmod(z, (p - 1) // 3, p))) == 1:
            z += 1
        assert gmpy2.powmod(w, 3, p) == 1 and gmpy2.powmod(w, q, p) != 1
        out += [w, w * int(group.g) % p, int(gmpy2.powmod(w * int(group.g), 5, p))]
    return out


@pytest.mark.parametrize("name", NAMES)
def test_products_agree(name: str) -> None:
    native, pure = paths(name)
    q = native.q
    y = native.g_pow(12345)
    tables = native.fixed_base(y), pure.fixed_base(y)

    @SETTINGS
    @given(exponents(q), members(q), exponents(q), st.integers(-3, 6))
    def check(k: int, s: int, c: int, m: int) -> None:
        x = pure.g_pow(s)
        want = pure.mul(pure.g_pow(k), pure.pow(x, c))
        assert native.g_pow_mul(k, x, c) == pure.g_pow_mul(k, x, c) == want
        assert tables[0].pow_mul(k, x, c) == tables[1].pow_mul(k, x, c)
        assert (
            native.pow2(x, k, y, c)
            == pure.pow2(x, k, y, c)
            == pure.mul(pure.pow(x, k), pure.pow(y, c))
        )
        shifted = pure.mul(pure.pow(y, k), pure.pow(pure.div(x, pure.g_pow(m)), c))
        assert tables[0].pow_mul_shifted(k, x, c, m) == shifted
        assert tables[1].pow_mul_shifted(k, x, c, m) == shifted

    check()


@pytest.mark.parametrize("name", NAMES)
def test_membership_agrees(name: str) -> None:
    native, pure = paths(name)
    p = int(native.p)

    @SETTINGS
    @given(st.integers(1, p - 1))
    def check(x: int) -> None:
        assert native.is_member(gmpy2.mpz(x)) == pure.is_member(gmpy2.mpz(x))

    check()
    for x in non_members(native):
        for group in (native, pure):
            assert not group.is_member(gmpy2.mpz(x))
            with pytest.raises(GroupError, match="not an element of the order-q subgroup"):
                group.decode(str(x))
    for s in (1, 2, native.q - 1):
        x = pure.g_pow(s)
        assert native.is_member(x) and native.decode(str(x)) == x


@pytest.mark.parametrize("name", NAMES)
def test_groups_and_tables_pickle(name: str) -> None:
    """Process pools and cluster engines ship groups and key tables between processes."""
    for group in paths(name):
        y = group.g_pow(777)
        table = group.fixed_base(y)
        table.pow_mul(1, y, 1)  # the native table now exists
        copy, table_copy = pickle.loads(pickle.dumps((group, table)))
        assert (copy.core is None) == (group.core is None)
        assert copy.g_pow_mul(5, y, 7) == group.g_pow_mul(5, y, 7)
        assert table_copy.pow_mul_shifted(5, y, 7, 2) == table.pow_mul_shifted(5, y, 7, 2)


def test_belenios_cofactor_as_documented() -> None:
    """is_member's docstring: p - 1 = 2 * 3 * q * n, n odd, not divisible by 3, no small factor
    (checked here below 2^16; below 2^24 when the argument was written), and not prime."""
    group = paths("BELENIOS-2048")[0]
    p, q = int(group.p), group.q
    assert (p - 1) % q == 0 and (p - 1) % (q * q) != 0
    n, rest = divmod((p - 1) // q, 6)
    assert rest == 0 and n.bit_length() == 1790 and not gmpy2.is_prime(n)
    assert gmpy2.gcd(n, gmpy2.primorial(1 << 16)) == 1


def test_core_refuses_what_it_cannot_compute() -> None:
    native, _ = paths("BELENIOS-2048")
    assert native.core is not None
    core, n = native.core.core, native.core.nbytes
    with pytest.raises(ValueError, match="not in"):
        core.chain(int(native.p).to_bytes(n, "big"), 256)
    with pytest.raises(ValueError, match="not in"):
        core.chain(bytes(n), 256)
    chain = core.chain(int(native.g).to_bytes(n, "big"), 256)
    with pytest.raises(ValueError, match="too long"):
        core.product([], [(chain, (2**256).to_bytes(33, "big"))])
    table = native.g_table.native_table(native.core)
    with pytest.raises(ValueError, match="too long"):
        core.product([(table, (2**256).to_bytes(33, "big"))], [])
    other = FiniteFieldGroup("RFC-3526-2048", 2**127 - 1, 2**126 - 1, 3)
    assert other.core is not None
    with pytest.raises(ValueError, match="another group"):
        other.core.core.product([], [(chain, b"\x01")])
