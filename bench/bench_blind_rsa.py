"""Blind signatures, registrations and the opening of a registered election, timed.

For each key size: the registry's blind signing (ours: gmpy2 CRT with GMP's constant-time powm,
input blinding and the check before release) against OpenSSL's RSASSA-PSS signing through
`cryptography` (the same private-key operation without blinding from outside), same run; the
check of one registration (the server's: signature and credential; the verifier's: signature,
the credentials being checked with the Setup); registrations accepted per second by the
server's registration desk on SQLite (in process, without HTTP); and closing registration plus
opening the election (sorting the list, checking every credential, writing the Setup) for
--credentials Ed25519 credentials, extrapolated to 1.3 million.

    .venv/bin/python bench/bench_blind_rsa.py [--seconds 3] [--credentials 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from hramada.crypto import blind_rsa as br
from hramada.crypto.credentials import derive_secret, generate_credential
from hramada.crypto.groups import get_group
from hramada.election import registrations as reg
from hramada.election.box import BallotBox
from hramada.election.setup import make_election, make_trustees
from hramada.election.trustees import election_public_key, make_trustee_key
from hramada.protocol.canonical import encode
from hramada.protocol.model import Question, Template
from hramada.server.database import connect
from hramada.server.registrations import Registrations
from hramada.server.tables import admins, elections

MEMBERS = 1_300_000


def rate(seconds: float, step: Callable[[], object]) -> float:
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        step()
        done += 1
    return done / elapsed


def accepted_per_second(folder: Path, n: int) -> tuple[float, float]:
    """The server's registration desk on SQLite (Ed25519 credentials, RSA-3072 signatures):
    one at a time (a transaction each), then all the others posted at once (group commit)."""
    group, uuid = get_group("Ed25519"), "8eqXHoxM5aqc3r"
    sk = br.generate_key(3072)
    key = reg.RegistryKey(
        variant=reg.VARIANT.name,
        blind_key=base64.b64encode(sk.public.to_der()).decode(),
        statement_key="00" * 32,
    )
    engine = connect(f"sqlite:///{folder / 'db.sqlite'}")
    now = datetime.now(UTC)
    with engine.begin() as db:
        db.execute(admins.insert().values(username="a", password_hash="-", created_at=now))
        db.execute(
            elections.insert().values(
                uuid=uuid, template="{}", group_name="Ed25519", state="draft", created_by=1,
                created_at=now, registry=encode(key), registration="open",
            )
        )  # fmt: skip
    bodies = []
    for _ in range(n):
        credential = group.encode(group.g_pow(group.random_scalar()))
        msg = br.prepare(reg.VARIANT, reg.registration_message(uuid, credential))
        blinded = br.blind(reg.VARIANT, sk.public, msg)
        sig = br.finalize(
            reg.VARIANT, sk.public, msg, br.blind_sign(sk, blinded.blinded_msg), blinded.inv
        )
        b64 = base64.b64encode
        bodies.append(
            {
                "credential": credential,
                "prefix": b64(msg[:32]).decode(),
                "signature": b64(sig).decode(),
            }
        )
    desk = Registrations(engine)

    async def post_all() -> None:  # as the server takes them: checked in threads, stored together
        await asyncio.gather(*(desk.register_soon(uuid, body) for body in bodies[one_by_one:]))

    one_by_one = max(1, n // 10)
    start = time.perf_counter()
    for body in bodies[:one_by_one]:
        desk.register(uuid, body)
    alone = one_by_one / (time.perf_counter() - start)
    start = time.perf_counter()
    asyncio.run(post_all())
    together = (n - one_by_one) / (time.perf_counter() - start)
    engine.dispose()
    return alone, together


def opening_time(folder: Path, n: int) -> tuple[float, float]:
    """Seconds to sort n registered Ed25519 credentials, and to open the election on them."""
    group = get_group("Ed25519")
    credentials = [group.encode(group.g_pow(group.random_scalar())) for _ in range(n)]
    start = time.perf_counter()
    public = reg.sorted_credentials(group, credentials)
    sorted_at = time.perf_counter()
    _, trustee = make_trustee_key(group)
    template = Template(
        description="",
        name="Bench",
        questions=[Question(answers=["A", "B"], min=1, max=1, question="Q")],
    )
    election = make_election(
        template, group, "8eqXHoxM5aqc3r", election_public_key(group, [trustee])
    )
    box = BallotBox.create(folder / "bench.bel", election, make_trustees([trustee]), public)
    box.close_file()
    return sorted_at - start, time.perf_counter() - sorted_at


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--credentials", type=int, default=100_000)
    parser.add_argument("--registrations", type=int, default=500)
    args = parser.parse_args()
    seconds = args.seconds
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
    verifier = rate(
        seconds, lambda: reg.check_registration(uuid, sk.public, credential, msg[:32], sig)
    )
    print(
        f"verifier's registration check (RSA-3072 signature): {verifier:7.0f}/s on one core; "
        f"{MEMBERS:,} in {MEMBERS / verifier / 60:.1f} min"
    )
    with tempfile.TemporaryDirectory() as tmp:
        alone, together = accepted_per_second(Path(tmp), args.registrations)
        print(
            f"registrations accepted (desk on SQLite, Ed25519, no HTTP): {alone:7.0f}/s one at "
            f"a time, {together:7.0f}/s arriving together; {MEMBERS:,} in "
            f"{MEMBERS / together / 60:.1f} min"
        )
        sorting, opening = opening_time(Path(tmp), args.credentials)
        scale = MEMBERS / args.credentials
        print(
            f"{args.credentials:,} registered Ed25519 credentials: close (sort) {sorting:.2f} s, "
            f"open (check all, write Setup) {opening:.2f} s; extrapolated to {MEMBERS:,}: "
            f"{(sorting + opening) * scale / 60:.1f} min"
        )


if __name__ == "__main__":
    main()
