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


# --- the registry service ----------------------------------------------------------------------

DataOption = Annotated[Path, typer.Option("--data", help="The registry's folder (its database).")]
DatabaseOption = Annotated[
    str | None,
    typer.Option(envvar="HRAMADA_REGISTRY_DATABASE", help="Database URL (default: SQLite)."),
]
DEFAULT_DATA = Path("hramada-registry")
registrar_app = typer.Typer(help="Registrars: the people who check documents and enrol members.")
registry_app.add_typer(registrar_app, name="registrar")


@registrar_app.command("key")
def registrar_key(
    out: Annotated[Path, typer.Option(help="Where the registrar keeps its signing key.")],
) -> None:
    """Make a registrar's record-signing key (on the registrar's machine); print its public key."""
    with failing():
        key = SigningKey.generate()
        _write(out, key.encode().hex() + "\n", secret=True)
    print(key.verify_key.encode().hex())


@registrar_app.command("add")
def registrar_add(
    name: Annotated[str, typer.Argument(help="The registrar's public name or pseudonym.")],
    key: Annotated[str, typer.Option(help="Its record key (from `registry registrar key`).")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True, hide_input=True, envvar="HRAMADA_REGISTRAR_PASSWORD", help="Password."
        ),
    ],
    role: Annotated[str, typer.Option(help="registrar (enrols) or admin (statements).")] = (
        "registrar"
    ),
    data: DataOption = DEFAULT_DATA,
    database: DatabaseOption = None,
) -> None:
    """Create a registrar's account (Argon2id password)."""
    from hramada.registry import registry_store as store

    with failing():
        store.add_registrar(store.open_database(data, database), name, role, password, key)
    err.print(f"registrar {name} ({role}) added", highlight=False)


@registry_app.command("election")
def election_add(
    keys: KeysOption,
    election: Annotated[str, typer.Option(help="The election UUID.")],
    data: DataOption = DEFAULT_DATA,
    database: DatabaseOption = None,
) -> None:
    """Let the service issue credentials for an election, with the keys `keygen` made for it."""
    from hramada.registry import registry_store as store

    with failing():
        check_uuid(election)
        binding = store.add_election(store.open_database(data, database), data, election, keys)
    print(binding)


@registry_app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8200,
    data: DataOption = DEFAULT_DATA,
    database: DatabaseOption = None,
    custodian_origin: Annotated[
        list[str] | None,
        typer.Option(
            help="A custodian the registrar page may ask from the browser, e.g. "
            "https://custodian-1.example (repeat for each; each custodian serves with "
            "--allow-origin set to this registry)."
        ),
    ] = None,
    election_server: Annotated[
        list[str] | None,
        typer.Option(
            help="An election server the member page may register at (its address; repeat "
            "for several). The page talks to no other."
        ),
    ] = None,
    registration_delay: Annotated[
        str,
        typer.Option(
            help="MIN:MAX seconds the member page waits, at random, before it posts a "
            "registration (so its arrival does not match the blind signature's time)."
        ),
    ] = "30:300",
    workers: Annotated[
        int | None,
        typer.Option(
            min=0, help="Blind-signing processes (default: cores; 0 signs in the service itself)."
        ),
    ] = None,
) -> None:
    """Serve enrolment (registrars, with their page at /registrar), blind signatures (members,
    with their page at /member) and issuance statements."""
    import os

    import uvicorn

    from hramada.registry import registry_store as store
    from hramada.registry.member_page import MemberPage, delay
    from hramada.registry.service import create_app
    from hramada.registry.web import origin

    try:
        member = MemberPage(
            tuple(origin(u) for u in election_server or []), delay(registration_delay)
        )
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None
    with failing():
        origins = [origin(o) for o in custodian_origin or []]
        engine = store.open_database(data, database)
    err.print(f"registry serving on http://{host}:{port}  (Ctrl-C to stop)", highlight=False)
    if not member.servers:
        err.print("note: the member page at /member needs --election-server to register anywhere")
    uvicorn.run(
        create_app(
            engine,
            data,
            workers=os.cpu_count() or 1 if workers is None else workers,
            custodian_origins=origins,
            member=member,
        ),
        host=host,
        port=port,
        access_log=False,  # no client addresses, no paths, no bodies in any log
        server_header=False,
        log_level="warning",
    )


@registry_app.command("enrol")
def enrol_member(
    registry: Annotated[str, typer.Option(help="The registry's address.")],
    custodians: Annotated[Path, typer.Option(help="The custodians file (addresses, tokens).")],
    name: Annotated[str, typer.Option(help="The registrar's name.")],
    key: Annotated[Path, typer.Option(help="The registrar's record key (registrar key).")],
    member_key: Annotated[str, typer.Option(help="The member's public key (hex).")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True, hide_input=True, envvar="HRAMADA_REGISTRAR_PASSWORD", help="Password."
        ),
    ],
    document: Annotated[
        str, typer.Option(prompt=True, hide_input=True, help="The document number (asked for).")
    ],
) -> None:
    """The registrar's client: enrol (or re-enrol) a member whose document you checked. The
    number goes, blinded, to k custodians only; the registry gets the tag and the member key."""
    import httpx

    from hramada.registry import enrol
    from hramada.registry.custodian_client import CustodiansFailed, load_custodians

    with failing():
        seed = bytes.fromhex(key.read_text().strip())
        try:
            with httpx.Client(base_url=registry, timeout=60) as http:
                session = enrol.login(http, name, password)
                r = enrol.enrol(
                    http, session, load_custodians(custodians), SigningKey(seed), document,
                    member_key.lower(),
                )  # fmt: skip
        except (httpx.HTTPError, CustodiansFailed) as e:
            raise ValueError(f"enrolment failed: {e}") from None
        if r.status_code not in (200, 201):
            raise ValueError(f"the registry refused ({r.status_code}): {r.text}")
    print("re-enrolled: the member's key was replaced" if r.json()["replaced"] else "enrolled")
