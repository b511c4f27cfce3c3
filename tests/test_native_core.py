"""The native Ed25519 core against the pure (libsodium) reference, operation by operation.

`hramada_native` is imported unconditionally: where it is not built (it is in CI), this module
fails instead of skipping. The package itself still imports and verifies without it.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import hramada_native  # missing core: this module fails instead of skipping
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hramada.crypto.ed25519 import Ed25519Group
from hramada.crypto.ed25519_native import Ed25519NativeGroup
from hramada.crypto.group import Element, Group, GroupError
from hramada.crypto.groups import core_name, get_group
from hramada.crypto.proofs import or_prove, or_verify, or_verify_decimal

PURE, NATIVE = Ed25519Group(), Ed25519NativeGroup()
Q = PURE.q
ED_P = 2**255 - 19
ROOT = Path(__file__).resolve().parents[1]

# Belenios strings of the eight points of order dividing 8 (the multiples of one of order 8),
# and encodings that are not canonical: y >= p, or x = 0 with the sign bit set.
_ORDER_8 = bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
TORSION = [PURE.encode(PURE.one)]
for _ in range(7):
    TORSION.append(PURE.encode(PURE.mul(PURE.decode_unchecked(TORSION[-1]), _ORDER_8)))
NON_CANONICAL = [f"{ED_P + k:064x}" for k in range(19)] + [
    f"{(1 << 255) | y:064x}" for y in (1, ED_P - 1)
]

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
scalars = st.one_of(
    st.sampled_from([0, 1, 2, Q - 1, Q, Q + 1, 2 * Q, -1, -Q, 2**256, -(2**300)]),
    st.integers(0, Q - 1),
    st.integers(-(2**300), 2**300),
)
exponents = st.integers(1, Q - 1)


def pure_of(x: Element) -> bytes:
    """The pure path's element (RFC 8032 bytes) for a native one."""
    assert isinstance(x, hramada_native.Point)
    return bytes(x.to_bytes())


def same(native: Element, pure: bytes) -> bool:
    return pure_of(native) == pure and NATIVE.encode(native) == PURE.encode(pure)


def pair(k: int) -> tuple[Element, bytes]:
    """g^k on both paths."""
    return NATIVE.g_pow(k), PURE.g_pow(k)


def outcome(group: Group, s: str) -> str:
    """What decoding s gives: the canonical string, or the error message."""
    try:
        return "ok " + group.encode(group.decode(s))
    except GroupError as e:
        return f"error {e}"


def test_core_follows_environment() -> None:
    """HRAMADA_PURE selects the reference; otherwise the native core is used."""
    pure = bool(os.environ.get("HRAMADA_PURE"))
    assert isinstance(get_group("Ed25519"), Ed25519Group if pure else Ed25519NativeGroup)
    assert core_name() == ("pure (libsodium/gmpy2)" if pure else "native")


def test_constants_agree() -> None:
    assert same(NATIVE.g, PURE.g) and same(NATIVE.one, PURE.one)
    assert NATIVE.q == PURE.q


@pytest.mark.parametrize("s", TORSION + NON_CANONICAL + ["f" * 64, "g" * 64, "0" * 63, 5])
def test_decode_agrees_on_edge_encodings(s: str) -> None:
    assert outcome(NATIVE, s) == outcome(PURE, s)


@SETTINGS
@given(st.binary(min_size=32, max_size=32))
def test_decode_agrees_on_random_strings(b: bytes) -> None:
    """Random 32 bytes: about half are not on the curve, most others outside the subgroup."""
    assert outcome(NATIVE, b.hex()) == outcome(PURE, b.hex())


@SETTINGS
@given(exponents, st.sampled_from(TORSION[1:]))
def test_decode_rejects_points_with_a_torsion_component(k: int, t: str) -> None:
    """g^k + T for a non-zero point T of order dividing 8: a point, not in the subgroup."""
    n, p = pair(k)
    mixed = PURE.mul(p, PURE.decode_unchecked(t))
    assert same(NATIVE.mul(n, NATIVE.decode_unchecked(t)), mixed)
    assert outcome(NATIVE, PURE.encode(mixed)).startswith("error")
    assert outcome(NATIVE, PURE.encode(mixed)) == outcome(PURE, PURE.encode(mixed))


@SETTINGS
@given(exponents, exponents, scalars)
def test_group_operations_agree(a: int, b: int, k: int) -> None:
    (na, pa), (nb, pb) = pair(a), pair(b)
    assert same(NATIVE.mul(na, nb), PURE.mul(pa, pb))
    assert same(NATIVE.inv(na), PURE.inv(pa))
    assert same(NATIVE.div(na, nb), PURE.div(pa, pb))
    assert same(NATIVE.pow(na, k), PURE.pow(pa, k))
    assert same(NATIVE.g_pow(k), PURE.g_pow(k))
    assert NATIVE.element_key(na) == PURE.element_key(pa)
    assert NATIVE.hash_to_scalar("p|", [na, nb]) == PURE.hash_to_scalar("p|", [pa, pb])


@SETTINGS
@given(exponents, scalars, exponents, scalars)
def test_fixed_bases_and_verification_shapes_agree(y: int, k: int, x: int, c: int) -> None:
    """Fixed-base tables (g and another key) and g^k x^c, y^k x^c, with any integer k, c."""
    (ny, py), (nx, px) = pair(y), pair(x)
    native_y, pure_y = NATIVE.fixed_base(ny), PURE.fixed_base(py)
    assert same(native_y.pow(k), pure_y.pow(k))
    assert same(native_y.pow_mul(k, nx, c), pure_y.pow_mul(k, px, c))
    assert same(NATIVE.g_pow_mul(k, nx, c), PURE.g_pow_mul(k, px, c))
    assert same(NATIVE.pow2(ny, k, nx, c), PURE.pow2(py, k, px, c))


@SETTINGS
@given(st.lists(st.tuples(exponents, scalars), max_size=6))
def test_multiscalar_agrees_with_products_of_powers(terms: list[tuple[int, int]]) -> None:
    points = [NATIVE.g_pow(x) for x, _ in terms]
    expected = PURE.prod(PURE.pow(PURE.g_pow(x), k) for x, k in terms)
    got = hramada_native.multiscalar_vartime(
        [(k % Q).to_bytes(32, "little") for _, k in terms], points
    )
    assert same(got, expected)


@pytest.mark.parametrize("t", TORSION)
def test_small_order_points_add_and_negate_alike(t: str) -> None:
    nt, pt = NATIVE.decode_unchecked(t), PURE.decode_unchecked(t)
    assert same(nt, pt)
    assert same(NATIVE.mul(nt, NATIVE.g), PURE.mul(pt, PURE.g))
    assert same(NATIVE.inv(nt), PURE.inv(pt))


def test_scalars_must_be_reduced_at_the_boundary() -> None:
    """The core refuses what Python did not reduce: a scalar >= q, or not 32 bytes."""
    for bad in [Q.to_bytes(32, "little"), (2**256 - 1).to_bytes(32, "little"), b"\x01"]:
        with pytest.raises(ValueError):
            NATIVE.g.mul(bad)


@SETTINGS
@given(exponents, exponents)
def test_points_compare_hash_and_pickle_by_value(a: int, b: int) -> None:
    x, y = NATIVE.g_pow(a), NATIVE.g_pow(b)
    rebuilt = NATIVE.mul(NATIVE.g_pow(a - 1), NATIVE.g)  # the same point, computed another way
    assert rebuilt == x and hash(rebuilt) == hash(x) and len({x, rebuilt}) == 1
    assert (x == y) == (a == b) and (x != y) == (a != b)
    assert x != PURE.g_pow(a) and x != NATIVE.encode(x)  # a handle is not bytes or a string
    assert pickle.loads(pickle.dumps(x)) == x
    # An unpickled point is decompressed on first use: arithmetic and comparisons still hold.
    assert NATIVE.mul(pickle.loads(pickle.dumps(x)), y) == NATIVE.mul(x, y)
    assert NATIVE.mul(x, y) == pickle.loads(pickle.dumps(NATIVE.mul(y, x)))
    assert NATIVE.decode(NATIVE.encode(x)) == x


def test_group_and_tables_pickle(tmp_path: Path) -> None:
    """Contexts travel to process pools and Ray workers pickled: the tables are rebuilt there."""
    y = NATIVE.g_pow(12345)
    table = pickle.loads(pickle.dumps(NATIVE.fixed_base(y)))
    assert table.pow(7) == NATIVE.pow(y, 7)
    assert table.pow_mul(3, NATIVE.g, 5) == NATIVE.g_pow(3 * 12345 + 5)
    NATIVE.g_pow(1)  # the generator's table is built and travels with the group
    group = pickle.loads(pickle.dumps(NATIVE))
    assert group.g_pow_mul(2, y, 3) == NATIVE.g_pow(2 + 3 * 12345)


def test_package_verifies_without_the_native_module(tmp_path: Path) -> None:
    """An observer without a compiler: the core cannot be imported, the pure path verifies."""
    from hramada.election.demo import run_demo

    outcome = run_demo(tmp_path, voters=3, group_name="Ed25519", trustees=2, threshold=2)
    script = (
        "import sys; sys.modules['hramada_native'] = None\n"
        "from hramada.crypto.groups import core_name, get_group\n"
        "from hramada.crypto.ed25519 import Ed25519Group\n"
        "assert core_name() == 'pure (libsodium/gmpy2)'\n"
        "assert type(get_group('Ed25519')) is Ed25519Group\n"
        "from hramada.cli.main import app\n"
        f"app(['verify', {str(outcome.path)!r}, '--workers', '1'])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK" in done.stdout


def test_ed25519_suite_passes_on_the_pure_path() -> None:
    """The vector (Belenios-made Ed25519 elections), tamper and property tests of Ed25519 run
    here on the native core; run them again on the libsodium reference, in a subprocess."""
    # This test matches "ed25519" and must not select itself (it would recurse).
    selection = (
        "(ed25519 or Ed25519 or ed-threshold or test_vectors or test_core_follows)"
        " and not test_ed25519_suite_passes_on_the_pure_path"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-k",
            selection,
            "tests/test_native_core.py",
            "tests/test_vectors.py",
            "tests/test_crypto_properties.py",
            "tests/test_tamper.py",
        ],
        cwd=ROOT,
        env={**os.environ, "HRAMADA_PURE": "1"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout


# The core's own encoding check (instead of a decompress/compress round trip), against an
# independent model: y < p, y gives a square x^2 = (y^2 - 1) / (d y^2 + 1), and x = 0 (y = 1
# or y = p - 1) does not carry the sign bit.
_D = -121665 * pow(121666, -1, ED_P) % ED_P


def on_curve_and_canonical(b: bytes) -> bool:
    n = int.from_bytes(b, "little")
    y, sign = n & ((1 << 255) - 1), n >> 255
    if y >= ED_P:
        return False
    x2 = (y * y - 1) * pow(_D * y * y + 1, -1, ED_P) % ED_P
    if x2 == 0:
        return sign == 0
    return pow(x2, (ED_P - 1) // 2, ED_P) == 1  # x^2 is a non-zero square


def encodings_near(y: int) -> st.SearchStrategy[bytes]:
    """Encodings of y + k for small k, with or without the sign bit."""
    return st.builds(
        lambda k, sign: (((y + k) % (1 << 255)) | (sign << 255)).to_bytes(32, "little"),
        st.integers(-40, 40),
        st.integers(0, 1),
    )


@SETTINGS
@given(
    st.one_of(
        st.binary(min_size=32, max_size=32),
        encodings_near(ED_P),
        encodings_near(0),
        encodings_near(ED_P - 1),
        st.sampled_from([bytes.fromhex(t)[::-1] for t in TORSION]),
        st.builds(lambda k: bytes(pure_of(NATIVE.g_pow(k))), exponents),
    ),
    st.integers(0, 1),
)
def test_encoding_check_agrees_with_the_curve_equation(b: bytes, flip: int) -> None:
    """Decoding without the subgroup test accepts exactly the canonical encodings of points."""
    b = bytes([*b[:31], b[31] ^ (flip << 7)])  # the same y with the other sign
    try:
        # with the subgroup test: never more than the model
        hramada_native.Point.from_hex(b[::-1].hex())
        checked = True
    except ValueError:
        checked = False
    try:
        point = hramada_native.Point.from_hex_unchecked(b[::-1].hex())
    except ValueError:
        assert not on_curve_and_canonical(b) and not checked
        return
    assert on_curve_and_canonical(b) and bytes(point.to_bytes()) == b
    assert checked == _pure_accepts(b)  # and the subgroup test as the reference's


def _pure_accepts(b: bytes) -> bool:
    try:
        PURE.decode(b[::-1].hex())
    except GroupError:
        return False
    return True


def _statements(group: Group, ks: list[tuple[int, int, int]]) -> list[tuple[Element, Element, int]]:
    """(g^a, g^b, m) on one path; a = 0 or b = 0 gives the identity."""
    return [(group.g_pow(a), group.g_pow(b), m) for a, b, m in ks]


branches = st.lists(
    st.tuples(st.integers(0, Q - 1), st.integers(0, Q - 1), st.integers(0, 4)),
    min_size=1,
    max_size=5,
)
proof_scalars = st.one_of(st.sampled_from([0, 1, Q - 1]), st.integers(0, Q - 1))


@SETTINGS
@given(exponents, branches, st.data())
def test_one_call_commitments_agree_with_the_reference(
    y: int, ks: list, data: st.DataObject
) -> None:
    """All branches' commitments g^r alpha^c, y^r (beta / g^m)^c in one call, encoded with one
    batch inversion: the same text as the pure path (identity and y = g included)."""
    proofs = [(data.draw(proof_scalars), data.draw(proof_scalars)) for _ in ks]
    for key in (y, 1):  # an election key, and the generator itself (no table of its own)
        native_y, pure_y = NATIVE.fixed_base(NATIVE.g_pow(key)), PURE.fixed_base(PURE.g_pow(key))
        text = native_y.or_commitments(_statements(NATIVE, ks), proofs)
        assert text == pure_y.or_commitments(_statements(PURE, ks), proofs)


@SETTINGS
@given(exponents, st.lists(st.integers(0, 3), min_size=1, max_size=4), st.data())
def test_one_call_or_verify_agrees_with_the_reference(
    y: int, values: list[int], data: st.DataObject
) -> None:
    """A valid disjunctive proof and altered ones, checked from the wire's decimal strings in one
    native call and on the pure path: the same verdicts."""
    true_index = data.draw(st.integers(0, len(values) - 1))
    r, prefix = data.draw(exponents), data.draw(st.text(max_size=20)) + "|"
    m = values[true_index]
    pure_y, native_y = PURE.fixed_base(PURE.g_pow(y)), NATIVE.fixed_base(NATIVE.g_pow(y))
    alpha, beta = PURE.g_pow(r), PURE.mul(pure_y.pow(r), PURE.g_pow_small(m))
    pairs = [(alpha, PURE.mul(beta, PURE.g_pow_small(-v))) for v in values]
    proofs = or_prove(PURE, pure_y, pairs, true_index, r, prefix)
    pure_st = [(alpha, beta, v) for v in values]
    native_st = [
        (NATIVE.decode(PURE.encode(alpha)), NATIVE.decode(PURE.encode(beta)), v) for v in values
    ]
    altered = data.draw(st.integers(0, len(proofs) - 1))
    candidates = {
        "valid": (proofs, prefix),
        "challenge": (
            [
                p._replace(challenge=(p.challenge + 1) % Q) if i == altered else p
                for i, p in enumerate(proofs)
            ],
            prefix,
        ),
        "response": (
            [
                p._replace(response=(p.response + 1) % Q) if i == altered else p
                for i, p in enumerate(proofs)
            ],
            prefix,
        ),
        "prefix": (proofs, prefix + "x"),
        "short": (proofs[:-1], prefix),
    }
    for name, (ps, pre) in candidates.items():
        wire = [(str(c), str(r_)) for c, r_ in ps]
        expected = or_verify(PURE, pure_y, pure_st, ps, pre)
        assert expected == (name == "valid")
        assert native_y.table.or_verify(pre, native_y._branches(native_st), wire) is expected
        assert or_verify_decimal(NATIVE, native_y, native_st, wire, pre) is expected
        assert or_verify_decimal(PURE, pure_y, pure_st, wire, pre) is expected


DECIMAL_EDGES = [
    *("0", "1", str(Q - 1), str(Q), str(Q + 1), str(2**256 - 1), str(2**256), "9" * 80),
    *("00", "01", "-1", "+1", " 1", "1 ", "", "1e5", "0x10", "\u0661", "1\u0660", "\u00bd"),
]


@SETTINGS
@given(
    st.one_of(
        st.sampled_from(DECIMAL_EDGES),
        st.text(max_size=80),
        st.from_regex(r"-?[0-9]{1,79}", fullmatch=True),
    )
)
def test_decimal_scalars_are_read_as_the_reference_reads_them(s: str) -> None:
    """The core parses a challenge or response itself; it declines (None) exactly the strings
    the reference refuses, and the reference then names the error as before."""
    try:
        expected: int | None = PURE.decode_scalar(s)
    except GroupError as e:
        expected, message = None, str(e)
    native_y = NATIVE.fixed_base(NATIVE.g_pow(5))
    for wire in ([(s, "0")], [("0", s)]):
        got = native_y.table.or_verify(
            "p|", native_y._branches(_statements(NATIVE, [(1, 2, 0)])), wire
        )
        assert (got is None) == (expected is None)
        if expected is None:
            with pytest.raises(GroupError) as raised:
                or_verify_decimal(NATIVE, native_y, _statements(NATIVE, [(1, 2, 0)]), wire, "p|")
            assert str(raised.value) == message
