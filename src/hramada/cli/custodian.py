"""`hramada custodian ...`: the key ceremony (init, deal, join), client tokens, and serve."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from hramada.cli.options import TlsCertOption, TlsKeyOption
from hramada.cli.output import console, err

custodian_app = typer.Typer(
    help="Custodians of the threshold OPRF key behind the registry's de-duplication tags.",
    no_args_is_help=True,
)

DataOption = Annotated[
    Path, typer.Option("--data", help="This custodian's folder (its share, its SQLite database).")
]
DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        envvar="HRAMADA_CUSTODIAN_DATABASE",
        help="Database URL (default: SQLite in --data).",
    ),
]
DEFAULT_DATA = Path("hramada-custodian")


def _fail(message: str) -> typer.Exit:
    err.print(Text("error: ", style="red") + Text(message))
    return typer.Exit(1)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise _fail(f"{path}: {e}") from None


@custodian_app.command()
def init(
    index: Annotated[int, typer.Option("--index", help="This custodian's position, 1 to N.")],
    of: Annotated[int, typer.Option("--of", help="N, the number of custodians.")],
    threshold: Annotated[int, typer.Option(help="K, the custodians needed to compute a tag.")],
    data: DataOption = DEFAULT_DATA,
    out: Annotated[Path | None, typer.Option(help="Where to write the public card.")] = None,
) -> None:
    """Start the key ceremony: write this custodian's public card for the other custodians."""
    from hramada.registry.custodian_ceremony import CeremonyError
    from hramada.registry.custodian_ceremony import init as start

    try:
        card = start(data, index, of, threshold)
    except CeremonyError as e:
        raise _fail(str(e)) from None
    path = out or data / f"card-{index}.json"
    path.write_text(json.dumps(card, indent=1) + "\n")
    console.print(f"Custodian {index} of {of} (threshold {threshold}): card {path}")
    console.print("Send the card to every custodian; run `custodian deal` with all N cards.")


@custodian_app.command()
def deal(
    cards: Annotated[list[Path], typer.Argument(help="The N custodians' cards, this one's too.")],
    data: DataOption = DEFAULT_DATA,
    out: Annotated[Path | None, typer.Option(help="Where to write this dealing.")] = None,
) -> None:
    """Deal a random polynomial: a share sealed to each custodian, and public commitments."""
    from hramada.registry.custodian_ceremony import CeremonyError, deal_to

    try:
        dealing = deal_to(data, [_read_json(c) for c in cards])
    except CeremonyError as e:
        raise _fail(str(e)) from None
    path = out or data / f"dealing-{dealing['dealer']}.json"
    path.write_text(json.dumps(dealing, indent=1) + "\n")
    console.print(f"Dealing {path}: send it to every custodian (each opens only its own share).")


@custodian_app.command()
def join(
    dealings: Annotated[list[Path], typer.Argument(help="The N custodians' dealings.")],
    data: DataOption = DEFAULT_DATA,
    database: DatabaseOption = None,
) -> None:
    """Finish the ceremony: check and sum this custodian's shares; store the share (0600)."""
    from hramada.registry.custodian_ceremony import CeremonyError, fingerprint
    from hramada.registry.custodian_ceremony import join as finish
    from hramada.registry.custodian_store import StoreError, open_database

    try:
        custodian = finish(open_database(data, database), data, [_read_json(d) for d in dealings])
    except (CeremonyError, StoreError) as e:
        raise _fail(str(e)) from None
    console.print(f"Custodian {custodian.share.index}: share stored in {data}.")
    console.print(f"Joint key {custodian.commitments[0].hex()}")
    console.print(
        f"Fingerprint {fingerprint(custodian.commitments)}: read it aloud to the other "
        "custodians; all must see the same."
    )


@custodian_app.command()
def client(
    label: Annotated[str, typer.Argument(help="Who gets the token (e.g. the registry's name).")],
    data: DataOption = DEFAULT_DATA,
    database: DatabaseOption = None,
) -> None:
    """Create an access token for a client (the registry); only its hash is kept."""
    from hramada.registry.custodian_store import add_client, open_database

    token = add_client(open_database(data, database), label)
    console.print(token, highlight=False, soft_wrap=True)


@custodian_app.command()
def show(data: DataOption = DEFAULT_DATA, database: DatabaseOption = None) -> None:
    """Print this custodian's public parameters (JSON)."""
    from hramada.registry.custodian_store import StoreError, load_custodian, open_database

    try:
        custodian = load_custodian(open_database(data, database), data)
    except StoreError as e:
        raise _fail(str(e)) from None
    console.print_json(json.dumps(custodian.public_info()))


@custodian_app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8100,
    data: DataOption = DEFAULT_DATA,
    database: DatabaseOption = None,
    rate: Annotated[float, typer.Option(help="Evaluations per minute for each client.")] = 600.0,
    burst: Annotated[int, typer.Option(help="Evaluations a client may make at once.")] = 120,
    overall_rate: Annotated[
        float, typer.Option(help="Evaluations per minute for all clients together.")
    ] = 30000.0,
    overall_burst: Annotated[
        int, typer.Option(help="Evaluations all clients together may make at once.")
    ] = 3000,
    tls_cert: TlsCertOption = None,
    tls_key: TlsKeyOption = None,
    allow_origin: Annotated[
        list[str] | None,
        typer.Option(
            help="A registry whose registrar page may call this custodian from the browser, "
            "e.g. https://registry.example (repeat for several)."
        ),
    ] = None,
) -> None:
    """Answer known clients' blinded points with this share and a proof; keep nothing of them."""
    import uvicorn

    from hramada.registry.custodian_app import Limits, create_app
    from hramada.registry.custodian_store import StoreError, load_custodian, open_database
    from hramada.registry.web import origin

    if (tls_cert is None) != (tls_key is None):
        raise _fail("--tls-cert and --tls-key go together")
    try:
        engine = open_database(data, database)
        custodian = load_custodian(engine, data)
    except StoreError as e:
        raise _fail(str(e)) from None
    try:
        origins = [origin(o) for o in allow_origin or []]
    except ValueError as e:
        raise _fail(str(e)) from None
    limits = Limits(rate, float(burst), overall_rate, float(overall_burst))
    console.print(
        f"Custodian {custodian.share.index} of {custodian.custodians} serving on "
        f"{'https' if tls_cert else 'http'}://{host}:{port}  (Ctrl-C to stop)"
    )
    uvicorn.run(
        create_app(engine, custodian, limits, origins),
        host=host,
        port=port,
        access_log=False,  # no client addresses in any log
        server_header=False,
        ssl_certfile=tls_cert,
        ssl_keyfile=tls_key,
        log_level="warning",
    )
