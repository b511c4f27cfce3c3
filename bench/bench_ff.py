"""Benchmark: each verification operation of BELENIOS-2048, pure gmpy2 against the native core.

Run: .venv/bin/python bench/bench_ff.py [--n 200]
Both paths run in the same process on the same inputs; figures are CPU microseconds per call.
"""

from __future__ import annotations

import argparse
import secrets
import time
from collections.abc import Callable

from hramada.crypto.finite_field import FiniteFieldGroup
from hramada.crypto.groups import get_group


def cpu_us(f: Callable[[int], object], n: int) -> float:
    start = time.process_time()
    for i in range(n):
        f(i)
    return (time.process_time() - start) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200, help="calls per operation (<= 256)")
    n = parser.parse_args().n
    native = get_group("BELENIOS-2048")
    assert isinstance(native, FiniteFieldGroup)
    if native.core is None:
        raise SystemExit("the native core is not built (or HRAMADA_PURE is set)")
    pure = native.pure()
    assert n <= native.core.keep, "the inputs' chains must all stay cached"
    q = native.q
    xs = [pure.g_pow(secrets.randbelow(q)) for _ in range(n)]
    ks = [secrets.randbelow(q) for _ in range(n)]
    y = pure.g_pow(secrets.randbelow(q))
    for group in (native, pure):  # build the tables outside the timings
        group.g_pow_mul(1, y, 1)
        group.fixed_base(y).pow_mul(1, y, 1)
    table = {id(g): g.fixed_base(y) for g in (native, pure)}
    rows = [
        ("membership x^q = 1 (new element)", lambda g: lambda i: g.is_member(xs[i])),
        ("g^r x^c (element seen before)", lambda g: lambda i: g.g_pow_mul(ks[i], xs[i], ks[-i])),
        (
            "y^r (x / g)^c (element seen before)",
            lambda g: lambda i: table[id(g)].pow_mul_shifted(ks[-i], xs[i], ks[i], 1),
        ),
        ("g^r x^c (new element)", lambda g: lambda i: g.g_pow_mul(ks[i], g.mul(xs[i], y), ks[-i])),
    ]
    print(f"BELENIOS-2048, CPU microseconds per call ({n} calls, same inputs):")
    print(f"  {'operation':36} {'pure':>8} {'native':>8} {'ratio':>7}")
    for label, make in rows:
        # Native first: its chains of xs are then cached for the "seen before" rows.
        theirs = cpu_us(make(native), n)
        ours = cpu_us(make(pure), n)
        print(f"  {label:36} {ours:8.1f} {theirs:8.1f} {ours / theirs:6.2f}x")


if __name__ == "__main__":
    main()
