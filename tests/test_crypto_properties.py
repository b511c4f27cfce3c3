"""Property-based tests of the mathematics: the three groups, ElGamal and the proofs (NOTES §2, §4).

Every property runs on the three groups of Belenios v1. RFC-3526-2048 has 2047-bit exponents and
is about ten times slower than the others, so it gets few examples (see EXAMPLES).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
from conftest import VECTORS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hramada.crypto.elgamal import Ciphertext, discrete_log, encrypt, multiply, power, product
from hramada.crypto.group import Element, FixedBase, Group, GroupError
from hramada.crypto.groups import GROUP_NAMES, get_group
from hramada.crypto.proofs import (
    Proof,
    decryption_prove,
    decryption_verify,
    or_prove,
    or_verify,
    schnorr_prove,
    schnorr_verify,
)

EXAMPLES = {"Ed25519": 40, "BELENIOS-2048": 25, "RFC-3526-2048": 4}
FF_GROUPS = ("BELENIOS-2048", "RFC-3526-2048")

# edwards25519: field prime, curve constant d, and the encodings of some special points, written
# as Belenios writes them (the RFC 8032 bytes reversed, i.e. the integer y | sign << 255 in hex).
ED_P = 2**255 - 19
ED_D = -121665 * pow(121666, -1, ED_P) % ED_P
ED_IDENTITY = f"{1:064x}"  # (0, 1)
ED_ORDER_2 = f"{ED_P - 1:064x}"  # (0, -1)
ED_ORDER_4 = f"{0:064x}"  # (sqrt(-1), 0)
ED_ORDER_4_NEG = f"{1 << 255:064x}"  # (-sqrt(-1), 0)
ED_IDENTITY_NONCANONICAL_Y = f"{ED_P + 1:064x}"  # y = p + 1 = 1 mod p
ED_IDENTITY_NEGATIVE_ZERO = f"{(1 << 255) | 1:064x}"  # x = 0 with the sign bit set
ED_G_BELENIOS = "6666666666666666666666666666666666666666666666666666666666666658"
ED_G_RFC8032 = "5866666666666666666666666666666666666666666666666666666666666666"


def run_property(name: str, check: Callable[..., None], *strategies: Any, scale: float = 1) -> None:
    """Run `check` under hypothesis with the example budget of group `name`."""
    budget = max(2, round(EXAMPLES[name] * scale))
    runner = settings(
        max_examples=budget,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )(given(*strategies)(check))
    runner()


def scalars(group: Group, low: int = 0) -> st.SearchStrategy[int]:
    """Scalars in [low, q) with the edges 0, 1, 2, q-2, q-1 drawn often."""
    q = group.q
    edges = [k for k in (0, 1, 2, q - 2, q - 1) if k >= low]
    return st.one_of(st.sampled_from(edges), st.integers(low, q - 1))


def elements(group: Group) -> st.SearchStrategy[Element]:
    """Random subgroup elements g^k, k != 0."""
    return scalars(group, low=1).map(group.g_pow)


@cache
def key_table(name: str) -> tuple[int, Element, FixedBase]:
    """A fixed key pair per group and its fixed-base table (slow to build in RFC-3526)."""
    group = get_group(name)
    x = int.from_bytes(hashlib.sha256(f"test key {name}".encode()).digest(), "big") % group.q
    y = group.g_pow(x)
    return x, y, group.fixed_base(y)


groups = pytest.mark.parametrize("name", GROUP_NAMES)
ff_groups = pytest.mark.parametrize("name", FF_GROUPS)


# --- Group laws -------------------------------------------------------------------------------


@groups
def test_associativity_commutativity_identity_inverse(name: str) -> None:
    group = get_group(name)

    def check(a: Element, b: Element, c: Element) -> None:
        assert group.mul(group.mul(a, b), c) == group.mul(a, group.mul(b, c))
        assert group.mul(a, b) == group.mul(b, a)
        assert group.mul(a, group.one) == a == group.mul(group.one, a)
        assert group.mul(a, group.inv(a)) == group.one
        assert group.inv(group.inv(a)) == a
        assert group.div(group.mul(a, b), b) == a
        assert group.prod([a, b, c]) == group.mul(group.mul(a, b), c)

    run_property(name, check, elements(group), elements(group), elements(group))


@groups
def test_pow_homomorphism(name: str) -> None:
    group = get_group(name)
    q = group.q

    def check(a: int, b: int, s: int) -> None:
        assert group.g_pow((a + b) % q) == group.mul(group.g_pow(a), group.g_pow(b))
        h = group.g_pow(s)
        assert group.pow(h, a + b) == group.mul(group.pow(h, a), group.pow(h, b))
        assert group.pow(group.pow(h, a), b) == group.pow(h, a * b % q) == group.g_pow(s * a * b)
        assert group.pow(h, -a) == group.inv(group.pow(h, a))

    run_property(name, check, scalars(group), scalars(group), scalars(group, low=1))


@groups
def test_pow_by_q_is_identity(name: str) -> None:
    group = get_group(name)
    q = group.q

    def check(s: int) -> None:
        h = group.g_pow(s)
        assert group.pow(h, q) == group.one
        assert group.pow(h, 0) == group.one
        # Without relying on the exponent being reduced mod q: h^(q-1) * h is the identity.
        assert group.mul(group.pow(h, q - 1), h) == group.one
        assert group.mul(group.g_pow(q - 1), group.g) == group.one
        if name in FF_GROUPS:
            assert pow(int(h), q, int(group.p)) == 1  # type: ignore[attr-defined]

    run_property(name, check, scalars(group, low=1))


@groups
def test_generator_is_not_identity_and_g_pow_one(name: str) -> None:
    group = get_group(name)
    assert group.g != group.one
    assert group.g_pow(1) == group.g
    assert group.g_pow(0) == group.one
    assert group.g_pow(group.q) == group.one


# --- Fixed-base tables ------------------------------------------------------------------------

EDGE_EXPONENTS = [0, 1, 2, 255, 256, 257, 2**64 - 1, 2**64]


@groups
def test_g_table_agrees_with_generic_pow(name: str) -> None:
    group = get_group(name)
    q = group.q
    for k in [*EDGE_EXPONENTS, q - 2, q - 1, q, q + 1, -1, -(q - 1), 2 * q + 5]:
        assert group.g_pow(k) == group.pow(group.g, k), k
    for m in range(-3, 6):
        assert group.g_pow_small(m) == group.g_pow(m) == group.pow(group.g, m)

    def check(k: int) -> None:
        assert group.g_pow(k) == group.pow(group.g, k)

    run_property(name, check, scalars(group))


@groups
def test_fixed_base_table_agrees_with_generic_pow(name: str) -> None:
    group = get_group(name)
    q = group.q
    _, y, table = key_table(name)
    for k in [*EDGE_EXPONENTS, q - 2, q - 1, q, q + 1, -1]:
        assert table.pow(k) == group.pow(y, k), k

    def check(k: int) -> None:
        assert table.pow(k) == group.pow(y, k)

    run_property(name, check, scalars(group))


@pytest.mark.parametrize("name", ["Ed25519", "BELENIOS-2048"])
def test_fresh_fixed_base_tables(name: str) -> None:
    """A table built for an arbitrary base (not g, not the cached key)."""
    group = get_group(name)

    def check(s: int, k: int) -> None:
        h = group.g_pow(s)
        assert group.fixed_base(h).pow(k) == group.pow(h, k)

    run_property(name, check, scalars(group, low=1), scalars(group), scale=0.3)


# --- Encoding ---------------------------------------------------------------------------------


@groups
def test_encode_decode_round_trip(name: str) -> None:
    group = get_group(name)

    def check(x: Element) -> None:
        s = group.encode(x)
        assert isinstance(s, str)
        assert group.decode(s) == x
        assert group.encode(group.decode(s)) == s
        if name == "Ed25519":
            assert len(s) == 64 and s == s.lower()
            int(s, 16)
        else:
            assert s == str(int(s)) and 0 < int(s) < int(group.p)  # type: ignore[attr-defined]

    run_property(name, check, elements(group))


@groups
def test_decode_rejects_non_canonical_spellings(name: str) -> None:
    group = get_group(name)

    def check(x: Element) -> None:
        s = group.encode(x)
        spellings = ["0" + s, " " + s, s + " ", s + "\n", "+" + s, "-" + s, s + ".0"]
        if name == "Ed25519":  # a decimal with a digit more or less may well be a member
            spellings += [s[:-1], s + "0", "0x" + s[2:]]
        for bad in spellings:
            with pytest.raises(GroupError):
                group.decode(bad)
        if name == "Ed25519" and s != s.upper():
            with pytest.raises(GroupError):
                group.decode(s.upper())

    run_property(name, check, elements(group), scale=0.5)


@groups
def test_decode_rejects_garbage(name: str) -> None:
    group = get_group(name)
    for bad in ["", "0", "00", "-1", "1e3", "0x10", "one", "١٢٣"]:
        with pytest.raises(GroupError):
            group.decode(bad)
    for not_a_string in [5, None, b"5", group.g]:
        with pytest.raises(GroupError):
            group.decode(not_a_string)  # type: ignore[arg-type]


@ff_groups
def test_ff_decode_rejects_out_of_range_and_non_members(name: str) -> None:
    group = get_group(name)
    p = int(group.p)  # type: ignore[attr-defined]
    assert group.decode("1") == group.one  # the identity is a member in the finite-field groups
    for bad in [0, p, p + 1, 2 * p + 1, p - 1]:
        with pytest.raises(GroupError):
            group.decode(str(bad))
    # p - 1 has order 2: not in the odd-order subgroup.
    assert pow(p - 1, 2, p) == 1 and pow(p - 1, group.q, p) == p - 1

    def check(x: Element) -> None:
        # -x is outside the subgroup for every member x (-1 is not a member).
        with pytest.raises(GroupError):
            group.decode(str((p - int(x)) % p))

    run_property(name, check, elements(group), scale=0.5)


@ff_groups
def test_ff_decode_agrees_with_membership_oracle(name: str) -> None:
    group = get_group(name)
    p, q = int(group.p), group.q  # type: ignore[attr-defined]

    def check(n: int) -> None:
        member = pow(n, q, p) == 1
        if member:
            assert group.decode(str(n)) == n
        else:
            with pytest.raises(GroupError):
                group.decode(str(n))

    run_property(name, check, st.integers(1, p - 1) | st.integers(1, 1000), scale=2)


def _ed_non_point() -> str:
    """The smallest y >= 2 for which no x makes (x, y) a point of edwards25519."""
    y = 2
    while True:
        u, v = (y * y - 1) % ED_P, (ED_D * y * y + 1) % ED_P
        x2 = u * pow(v, -1, ED_P) % ED_P
        if pow(x2, (ED_P - 1) // 2, ED_P) == ED_P - 1:  # Euler: x2 is not a square
            return f"{y:064x}"
        y += 1


def test_ed25519_decode_rejects_small_order_and_non_points() -> None:
    group = get_group("Ed25519")
    # The identity is accepted, as Belenios accepts it: an empty tally is made of it.
    assert group.decode(ED_IDENTITY) == group.one
    for bad in [
        ED_ORDER_2,
        ED_ORDER_4,
        ED_ORDER_4_NEG,
        ED_IDENTITY_NONCANONICAL_Y,
        ED_IDENTITY_NEGATIVE_ZERO,
        _ed_non_point(),
        "f" * 64,
        ED_G_RFC8032,  # g written in RFC 8032 byte order is another (invalid) string
    ]:
        with pytest.raises(GroupError):
            group.decode(bad)
    # Small-order points are still points: the group can compute with them, and g + (0, -1)
    # (a point of order 2q, outside the prime-order subgroup) is rejected too.
    order2 = group.decode_unchecked(ED_ORDER_2)
    assert group.mul(order2, order2) == group.one
    assert group.encode(group.one) == ED_IDENTITY

    def check(x: Element) -> None:
        mixed = group.mul(x, order2)
        assert group.mul(mixed, order2) == x
        with pytest.raises(GroupError):
            group.decode(group.encode(mixed))

    run_property("Ed25519", check, elements(group), scale=0.5)


def test_ed25519_generator_encoding() -> None:
    group = get_group("Ed25519")
    assert group.encode(group.g) == ED_G_BELENIOS
    assert group.element_key(group.g) == int(ED_G_RFC8032, 16)  # ordered by RFC 8032 bytes
    assert group.decode(ED_G_BELENIOS) == group.g
    assert group.q == 2**252 + 27742317777372353535851937790883648493


@groups
def test_decode_scalar(name: str) -> None:
    group = get_group(name)
    q = group.q
    assert group.decode_scalar("0") == 0
    assert group.decode_scalar(str(q - 1)) == q - 1
    for bad in [str(q), str(q + 1), "-1", "-0", "00", "01", "", " 1", "1 ", "+1", "1.0", "0x1"]:
        with pytest.raises(GroupError):
            group.decode_scalar(bad)
    for not_a_string in [1, None]:
        with pytest.raises(GroupError):
            group.decode_scalar(not_a_string)  # type: ignore[arg-type]

    def check(k: int) -> None:
        assert group.decode_scalar(str(k)) == k
        for bad in ["0" + str(k), str(k + q), "-" + str(k), str(k) + "\n"]:
            with pytest.raises(GroupError):
                group.decode_scalar(bad)

    run_property(name, check, scalars(group), scale=2)


# --- The Fiat-Shamir hash (NOTES §2.4, §4) ----------------------------------------------------


def test_notes_worked_example_ed25519_pok() -> None:
    """NOTES §4: the pok hash of e2-ed25519 gives the published challenge."""
    group = get_group("Ed25519")
    public = "fc370edb79c5cab531a0af124bbbbe30b82d3833f73dd832aae9a61e79572eda"
    commitment = "51dd7a982e09f330ebae67cfa7bcbd872c1263eabd2dda1682413b3fce6c13ee"
    challenge = 6282009440538366681356005094945887827426885093261726086633310451439196263506
    text = f"pok|Ed25519|{public}|{commitment}"
    assert int(hashlib.sha256(text.encode()).hexdigest(), 16) % group.q == challenge
    prefix = f"pok|Ed25519|{public}|"
    assert group.hash_to_scalar(prefix, [group.decode(commitment)]) == challenge

    # It is the first trustee's proof in the vector, and it verifies with that commitment.
    trustees = json.loads((VECTORS / "e2-ed25519" / "trustees.json").read_text())
    kind, first = trustees[0]
    assert kind == "Single" and first["public_key"] == public
    assert int(first["pok"]["challenge"]) == challenge
    proof = Proof(challenge, group.decode_scalar(first["pok"]["response"]))
    key = group.decode(public)
    recomputed = group.mul(group.g_pow(proof.response), group.pow(key, proof.challenge))
    assert group.encode(recomputed) == commitment
    assert schnorr_verify(group, key, proof, prefix)


@pytest.mark.parametrize("folder", ["e1", "e2-ed25519"])
def test_vector_trustee_poks_verify(folder: str) -> None:
    election = json.loads((VECTORS / folder / "election.json").read_text())
    group = get_group(election["group"])
    trustees = json.loads((VECTORS / folder / "trustees.json").read_text())
    keys = []
    for kind, t in trustees:
        assert kind == "Single"
        key = group.decode(t["public_key"])
        proof = Proof(
            group.decode_scalar(t["pok"]["challenge"]), group.decode_scalar(t["pok"]["response"])
        )
        prefix = f"pok|{group.name}|{t['public_key']}|"
        assert schnorr_verify(group, key, proof, prefix)
        assert not schnorr_verify(group, key, proof, f"pok|other|{t['public_key']}|")
        keys.append(key)
    assert group.encode(group.prod(keys)) == election["public_key"]


@groups
def test_hash_to_scalar_matches_notes_formula(name: str) -> None:
    group = get_group(name)

    def check(prefix: str, ks: list[int]) -> None:
        xs = [group.g_pow(k) for k in ks]
        text = prefix + ",".join(group.encode(x) for x in xs)
        expected = int.from_bytes(hashlib.sha256(text.encode()).digest(), "big") % group.q
        assert group.hash_to_scalar(prefix, xs) == expected
        assert 0 <= expected < group.q

    run_property(
        name,
        check,
        st.text(max_size=20),
        st.lists(scalars(group, low=1), max_size=3),
        scale=0.5,
    )


# --- ElGamal ----------------------------------------------------------------------------------


def _decrypt(group: Group, x: int, c: Ciphertext, bound: int) -> int:
    return discrete_log(group, group.div(c.beta, group.pow(c.alpha, x)), bound)


@groups
def test_elgamal_encrypt_decrypt(name: str) -> None:
    group = get_group(name)
    x, _, table = key_table(name)

    def check(m: int, r: int) -> None:
        c = encrypt(group, table, m, r)
        assert c.alpha == group.g_pow(r)
        assert group.div(c.beta, group.pow(c.alpha, x)) == group.g_pow(m)
        assert _decrypt(group, x, c, 100) == m

    run_property(name, check, st.integers(0, 100), scalars(group, low=1))


@groups
def test_elgamal_homomorphism(name: str) -> None:
    group = get_group(name)
    x, _, table = key_table(name)

    def check(ms: list[int], k: int) -> None:
        cs = [encrypt(group, table, m, group.random_scalar()) for m in ms]
        total = product(group, cs)
        assert _decrypt(group, x, total, 200) == sum(ms)
        if len(cs) >= 2:
            assert _decrypt(group, x, multiply(group, cs[0], cs[1]), 200) == ms[0] + ms[1]
            assert _decrypt(group, x, power(group, cs[0], k), 200) == k * ms[0]

    run_property(
        name, check, st.lists(st.integers(0, 20), max_size=4), st.integers(0, 5), scale=0.5
    )
    assert product(group, []) == Ciphertext(group.one, group.one)


@groups
def test_discrete_log_bound(name: str) -> None:
    group = get_group(name)

    def check(bound: int, m: int) -> None:
        target = group.g_pow(m)
        if m <= bound:
            assert discrete_log(group, target, bound) == m
        else:
            with pytest.raises(ValueError):
                discrete_log(group, target, bound)

    run_property(name, check, st.integers(0, 400), st.integers(0, 500))
    for bound in (0, 1, 2, 99, 100):
        assert discrete_log(group, group.g_pow(bound), bound) == bound
        with pytest.raises(ValueError):
            discrete_log(group, group.g_pow(bound + 1), bound)
        with pytest.raises(ValueError):
            discrete_log(group, group.g_pow(-1), bound)  # g^(q-1): huge, not small


# --- Proofs -----------------------------------------------------------------------------------


def _bumped(p: Proof, field: str) -> Proof:
    return p._replace(**{field: (getattr(p, field) + 1)})


@groups
def test_schnorr_proofs(name: str) -> None:
    group = get_group(name)

    def check(x: int, prefix: str) -> None:
        public = group.g_pow(x)
        proof = schnorr_prove(group, x, prefix)
        assert 0 <= proof.challenge < group.q and 0 <= proof.response < group.q
        assert schnorr_verify(group, public, proof, prefix)
        assert not schnorr_verify(group, public, _bumped(proof, "challenge"), prefix)
        assert not schnorr_verify(group, public, _bumped(proof, "response"), prefix)
        assert not schnorr_verify(group, public, proof, prefix + "x")
        assert not schnorr_verify(group, group.mul(public, group.g), proof, prefix)
        # A proof made with another secret does not verify for this key.
        assert not schnorr_verify(group, public, schnorr_prove(group, x + 1, prefix), prefix)

    run_property(name, check, scalars(group, low=1), st.text(max_size=10).map(lambda s: s + "|"))


@groups
def test_decryption_proofs(name: str) -> None:
    group = get_group(name)

    def check(x: int, r: int) -> None:
        public, alpha = group.g_pow(x), group.g_pow(r)
        factor = group.pow(alpha, x)
        prefix = "decrypt|fingerprint|" + group.encode(public) + "|"
        proof = decryption_prove(group, x, alpha, prefix)
        assert decryption_verify(group, public, alpha, factor, proof, prefix)
        bad = group.mul(factor, group.g)
        assert not decryption_verify(group, public, alpha, bad, proof, prefix)
        assert not decryption_verify(
            group, public, group.mul(alpha, group.g), factor, proof, prefix
        )
        assert not decryption_verify(
            group, group.mul(public, group.g), alpha, factor, proof, prefix
        )
        for field in ("challenge", "response"):
            assert not decryption_verify(
                group, public, alpha, factor, _bumped(proof, field), prefix
            )
        assert not decryption_verify(group, public, alpha, factor, proof, prefix[:-1])
        # A wrong factor cannot be proved correct with the true key.
        wrong = decryption_prove(group, x + 1, alpha, prefix)
        assert not decryption_verify(group, public, alpha, group.pow(alpha, x + 1), wrong, prefix)

    run_property(name, check, scalars(group, low=1), scalars(group, low=1), scale=0.5)


@st.composite
def or_cases(draw: st.DrawFn, group: Group) -> tuple[list[int], int, int, int]:
    """(M_0..M_k, true index, plaintext offset, randomness): k+1 in 2..5 branches."""
    n = draw(st.integers(2, 5))
    low = draw(st.integers(0, 3))
    values = list(range(low, low + n))
    true_index = draw(st.integers(0, n - 1))
    r = draw(scalars(group, low=1))
    return values, true_index, values[true_index], r


def _unshifted(pairs: list[tuple[Element, Element]]) -> list[tuple[Element, Element, int]]:
    """or_verify's statements for pairs that must encrypt 0."""
    return [(alpha, beta, 0) for alpha, beta in pairs]


@groups
def test_or_proofs(name: str) -> None:
    group = get_group(name)
    _, _, table = key_table(name)

    def check(case: tuple[list[int], int, int, int], data: st.DataObject) -> None:
        values, true_index, m, r = case
        c = encrypt(group, table, m, r)
        pairs = [(c.alpha, group.mul(c.beta, group.g_pow(-v))) for v in values]
        prefix = "prove|S|"
        proofs = or_prove(group, table, pairs, true_index, r, prefix)
        assert len(proofs) == len(pairs)
        assert or_verify(group, table, _unshifted(pairs), proofs, prefix)
        # The verifier's form: beta unshifted, each branch naming its plaintext.
        assert or_verify(group, table, [(c.alpha, c.beta, v) for v in values], proofs, prefix)
        wrong_m = [(c.alpha, c.beta, v + 1) for v in values]
        assert not or_verify(group, table, wrong_m, proofs, prefix)

        i = data.draw(st.integers(0, len(pairs) - 1), label="altered branch")
        field = data.draw(st.sampled_from(["challenge", "response"]), label="field")
        altered = [(_bumped(p, field) if j == i else p) for j, p in enumerate(proofs)]
        assert not or_verify(group, table, _unshifted(pairs), altered, prefix)
        assert not or_verify(group, table, _unshifted(pairs), proofs, prefix + "x")
        assert not or_verify(group, table, _unshifted(pairs), proofs[:-1], prefix)
        assert not or_verify(group, table, _unshifted(pairs), list(reversed(proofs)), prefix)
        which = data.draw(st.integers(0, 1), label="alpha or beta")
        pair = pairs[i]
        changed = (
            (group.mul(pair[0], group.g), pair[1])
            if which == 0
            else (
                pair[0],
                group.mul(pair[1], group.g),
            )
        )
        tampered = [changed if j == i else p for j, p in enumerate(pairs)]
        assert not or_verify(group, table, _unshifted(tampered), proofs, prefix)

        # Claiming a branch that is not an encryption of 0 gives a proof that fails.
        wrong = (true_index + 1) % len(pairs)
        assert not or_verify(
            group,
            table,
            _unshifted(pairs),
            or_prove(group, table, pairs, wrong, r, prefix),
            prefix,
        )

    run_property(name, check, or_cases(group), st.data(), scale=0.75)


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_or_prove_every_true_index(n: int) -> None:
    group = get_group("Ed25519")
    _, _, table = key_table("Ed25519")
    for true_index in range(n):
        r = group.random_scalar()
        c = encrypt(group, table, true_index, r)
        pairs = [(c.alpha, group.mul(c.beta, group.g_pow(-v))) for v in range(n)]
        proofs = or_prove(group, table, pairs, true_index, r, "p|")
        assert or_verify(group, table, _unshifted(pairs), proofs, "p|")
        assert sum(p.challenge for p in proofs) % group.q == group.hash_to_scalar(
            "p|",
            [
                e
                for (a, b), (ch, rs) in zip(pairs, proofs, strict=True)
                for e in (
                    group.mul(group.g_pow(rs), group.pow(a, ch)),
                    group.mul(table.pow(rs), group.pow(b, ch)),
                )
            ],
        )
