"""Blind signatures and registration checks per second, against OpenSSL's RSA in the same run.

For each key size: the registry's blind signing (ours: gmpy2 CRT with GMP's constant-time powm,
input blinding and the check before release) against OpenSSL's RSASSA-PSS signing through
`cryptography` (the same private-key operation without blinding from outside); then the
election server's and the verifier's check of one registration (signature and credential).

    .venv/bin/python bench/bench_blind_rsa.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from hramada.crypto import blind_rsa as br
from hramada.crypto.credentials import derive_secret, generate_credential
from hramada.crypto.groups import get_group
from hramada.election import registrations as reg

MEMBERS = 1_300_000


def rate(seconds: float, step: Callable[[], object]) -> float:
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        step()
        done += 1
    return done / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    seconds = parser.parse_args().seconds
    uuid = "8eqXHoxM5aqc3r"
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48)
    for bits in (2048, 3072):
        sk = br.generate_key(bits)
        msg = br.prepare(reg.VARIANT, reg.registration_message(uuid, "1" * 64))
        blinded = br.blind(reg.VARIANT, sk.public, msg)
        ours = rate(seconds, lambda: br.blind_sign(sk, blinded.blinded_msg))  # noqa: B023
        peer = rate(seconds, lambda: sk.key.sign(msg, pss, hashes.SHA384()))  # noqa: B023
        hours = MEMBERS / ours / 3600
        print(
            f"RSA-{bits} blind signatures: {ours:7.0f}/s on one core "
            f"(OpenSSL PSS signing {peer:7.0f}/s, ours at {ours / peer:.2f}x); "
            f"{MEMBERS:,} members: {hours:.2f} h on one core"
        )
    sk = br.generate_key(3072)
    for group_name in ("Ed25519", "BELENIOS-2048"):
        group = get_group(group_name)
        credential = group.encode(group.g_pow(derive_secret(generate_credential(), uuid, group.q)))
        msg = br.prepare(reg.VARIANT, reg.registration_message(uuid, credential))
        blinded = br.blind(reg.VARIANT, sk.public, msg)
        sig = br.finalize(
            reg.VARIANT, sk.public, msg, br.blind_sign(sk, blinded.blinded_msg), blinded.inv
        )

        def check(g: object = group, c: str = credential, m: bytes = msg, s: bytes = sig) -> None:
            reg.check_credential(g, c)  # type: ignore[arg-type]
            reg.check_registration(uuid, sk.public, c, m[:32], s)

        checks = rate(seconds, check)
        print(
            f"registration check (RSA-3072 signature + {group_name} credential): {checks:7.0f}/s "
            f"on one core; {MEMBERS:,} in {MEMBERS / checks / 60:.1f} min"
        )


if __name__ == "__main__":
    main()
