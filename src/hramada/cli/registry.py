"""The registry operator's commands: per-election keys, blind signing, the issuance statement."""

from __future__ import annotations

import base64
import sys
from pathlib import Path
from typing import Annotated

import typer
from nacl.signing import SigningKey

from hramada.cli.output import err
from hramada.cli.roles import failing
from hramada.crypto import blind_rsa
from hramada.election import registrations as reg
from hramada.election.setup import check_uuid
from hramada.protocol.canonical import decode, encode
from hramada.protocol.secret_files import write_secret

registry_app = typer.Typer(help="Registry: keys for anonymous credentials, and what it issued.")

BLIND_KEY = "blind.key"  # the RSA signing key (PEM), secret
STATEMENT_KEY = "statement.key"  # the Ed25519 seed (hex), secret
PUBLIC = "registry_key.json"  # both public keys, for the election's administrator


def _write(path: Path, data: bytes | str, secret: bool = False) -> None:
    """Write a file (a secret one readable by its owner only, from its creation)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if secret:
        write_secret(path, data)
    else:
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
    err.print(f"wrote {path}", highlight=False)


KeysOption = Annotated[Path, typer.Option(help="The folder `hramada registry keygen` wrote.")]


@registry_app.command("keygen")
def keygen(
    out: Annotated[Path, typer.Option(help="Output folder (one per election).")] = Path("."),
    bits: Annotated[int, typer.Option(help="RSA modulus size: 2048, 3072 or 4096.")] = 3072,
) -> None:
    """Make one election's registry keys: blind.key and statement.key stay with the registry,
    registry_key.json goes to the election's administrator."""
    with failing():
        blind = blind_rsa.generate_key(bits)
        statement = SigningKey.generate()
        public = reg.RegistryKey(
            variant=reg.VARIANT.name,
            blind_key=base64.b64encode(blind.public.to_der()).decode(),
            statement_key=statement.verify_key.encode().hex(),
        )
        _write(out / BLIND_KEY, blind.to_pem(), secret=True)
        _write(out / STATEMENT_KEY, statement.encode().hex(), secret=True)
        _write(out / PUBLIC, encode(public))
    print(reg.binding(public))


@registry_app.command("blind-sign")
def blind_sign(keys: KeysOption) -> None:
    """Blind-sign each blinded message (hex, one per line on stdin); print the answers (hex).

    The registry service checks the member's right to one signature per election first; this
    command is the bare signing step, for tests and for an offline registry."""
    with failing():
        key = blind_rsa.PrivateKey.from_pem((keys / BLIND_KEY).read_bytes())
        for line in sys.stdin:
            if line.strip():
                print(blind_rsa.blind_sign(key, bytes.fromhex(line.strip())).hex())


@registry_app.command("statement")
def statement(
    keys: KeysOption,
    election: Annotated[str, typer.Option(help="The election UUID.")],
    issued: Annotated[int, typer.Option(min=0, help="Blind signatures issued.")],
    members: Annotated[int, typer.Option(min=0, help="Members enrolled.")],
    registrar: Annotated[
        list[str] | None, typer.Option(help="NAME=COUNT: signatures per registrar (repeat).")
    ] = None,
    out: Annotated[Path, typer.Option(help="Output file.")] = Path(reg.ISSUANCE_FILE),
) -> None:
    """Sign the issuance statement that observers compare registrations.json with."""
    with failing():
        check_uuid(election)
        public = decode((keys / PUBLIC).read_bytes(), reg.RegistryKey, PUBLIC)
        counts: dict[str, int] = {}
        for item in registrar or []:
            name, _, count = item.rpartition("=")
            if not name or not count.isdigit():
                raise ValueError(f"--registrar {item!r} is not NAME=COUNT")
            counts[name] = int(count)
        seed = bytes.fromhex((keys / STATEMENT_KEY).read_text().strip())
        body = reg.IssuanceStatement(
            election=election,
            registry=reg.binding(public),
            issued=issued,
            members=members,
            registrars=counts,
        )
        _write(out, encode(reg.sign_statement(SigningKey(seed), body)))
