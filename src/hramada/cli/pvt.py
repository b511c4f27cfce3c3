"""`hramada pvt`: the parallel vote tabulation: its server, the organisers' imports, codes and
registry, moderators' accounts, the flagged stations, and a member's token."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from hramada.cli.options import TlsCertOption, TlsKeyOption
from hramada.cli.output import console, err, new_password

if TYPE_CHECKING:
    from hramada.server.pvt_store import PvtStore

EXIT_BAD_INPUT = 2

pvt_app = typer.Typer(
    help="Parallel vote tabulation: voters' ballot photos checked against the official "
    "protocols of polling stations.",
    no_args_is_help=True,
)

Data = Annotated[
    Path, typer.Option("--data", help="Folder of this tabulation (its SQLite file and key).")
]
Database = Annotated[
    str | None,
    typer.Option(
        "--database",
        envvar="HRAMADA_PVT_DATABASE",
        help="Database URL, e.g. postgresql+psycopg://... (default: SQLite in --data).",
    ),
]
DEFAULT_DATA = Path("hramada-pvt")


@contextmanager
def _store(data: Path, database: str | None) -> Iterator[PvtStore]:
    """The store, with a refused import or request printed as one line (exit 2)."""
    from hramada.observe.pvt.tally import CsvError
    from hramada.server.problems import Problem
    from hramada.server.pvt_store import PvtStore

    store = PvtStore.open(data, database)
    try:
        yield store
    except (CsvError, Problem, ValueError, OSError) as e:
        message = e.message if isinstance(e, Problem) else str(e)
        err.print(Text("error: ", style="red") + Text(message))
        raise typer.Exit(EXIT_BAD_INPUT) from None
    finally:
        store.engine.dispose()


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        err.print(Text("error: ", style="red") + Text(f"cannot read {path}: {e}"))
        raise typer.Exit(EXIT_BAD_INPUT) from None


@pvt_app.command()
def candidates(
    names: Annotated[list[str], typer.Argument(help="The candidates, as on the ballot.")],
    data: Data = DEFAULT_DATA,
    database: Database = None,
) -> None:
    """Set the candidates (before any submission arrives)."""
    with _store(data, database) as store:
        store.set_candidates(names)
    console.print(f"{len(names)} candidates set")


@pvt_app.command("import-stations")
def import_stations(
    file: Annotated[Path, typer.Argument(help="CSV with the columns code,region,address.")],
    data: Data = DEFAULT_DATA,
    database: Database = None,
) -> None:
    """Import the polling stations; a file with any bad row imports nothing."""
    text = _read(file)
    with _store(data, database) as store:
        n = store.import_stations(text)
    console.print(f"{n} stations imported")


@pvt_app.command("import-protocols")
def import_protocols(
    file: Annotated[
        Path, typer.Argument(help="CSV station,<one column per candidate> of official counts.")
    ],
    data: Data = DEFAULT_DATA,
    database: Database = None,
) -> None:
    """Import the official protocols; a file with any bad row imports nothing."""
    text = _read(file)
    with _store(data, database) as store:
        n = store.import_protocols(text)
    console.print(f"{n} protocols imported")


@pvt_app.command()
def codes(
    count: Annotated[int, typer.Option(min=1, max=1_000_000, help="How many codes to make.")],
    data: Data = DEFAULT_DATA,
    database: Database = None,
) -> None:
    """Print new one-time codes, one a line, for coordinators to hand out (each allows one
    submission); the server keeps only their hashes, so keep this output safe."""
    with _store(data, database) as store:
        made = store.add_codes(count)
    print("\n".join(made))


@pvt_app.command()
def registry(
    uuid: Annotated[str, typer.Argument(help="This tabulation's UUID at the exile registry.")],
    key: Annotated[Path, typer.Argument(help="registry_key.json of `registry keygen`.")],
    data: Data = DEFAULT_DATA,
) -> None:
    """Accept one-time tokens from the exile registry besides codes: each member gets one, and
    the token names nobody. Prints the key's binding, for the organisers to publish."""
    from hramada.server.pvt_store import set_registry

    try:
        binding = set_registry(data, uuid, key.read_bytes())
    except (ValueError, OSError) as e:
        err.print(Text("error: ", style="red") + Text(str(e)))
        raise typer.Exit(EXIT_BAD_INPUT) from None
    print(binding)


@pvt_app.command()
def token(
    registry_url: Annotated[str, typer.Option("--registry", help="The registry's address.")],
    uuid: Annotated[str, typer.Option(help="The tabulation's UUID at the registry.")],
    code: Annotated[
        str,
        typer.Option(
            "--member-code",
            prompt="Member code",
            hide_input=True,
            envvar="HRAMADA_MEMBER_CODE",
            help="The code the member page gave (asked, never echoed, when not given).",
        ),
    ],
) -> None:
    """A member's one-time token for a tabulation, asked of the registry with the member
    code; paste the printed token where the form asks for a code."""
    import httpx

    from hramada.crypto.blind_rsa import BlindRSAError
    from hramada.registry import member
    from hramada.registry.member_code import CodeError, member_key

    try:
        device = member_key(code)
        with httpx.Client(base_url=registry_url, timeout=60) as http:
            made = member.pvt_token(http, device, uuid)
    except httpx.HTTPStatusError as e:
        try:
            refusal = e.response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            refusal = f"{e.response.status_code} {e.response.reason_phrase}"
        err.print(Text("error: ", style="red") + Text(f"the registry refused: {refusal}"))
        raise typer.Exit(1) from None
    except (CodeError, httpx.HTTPError, BlindRSAError, ValueError) as e:
        err.print(Text("error: ", style="red") + Text(str(e)))
        raise typer.Exit(1) from None
    print(made)


@pvt_app.command()
def moderator(
    username: Annotated[str, typer.Argument(help="The moderator's login name.")],
    data: Data = DEFAULT_DATA,
    database: Database = None,
) -> None:
    """Create a moderator account; the password is asked twice, never echoed."""
    from hramada.server.accounts import create_admin

    password = new_password()
    with _store(data, database) as store:
        create_admin(store.engine, username, password)
    console.print(f"moderator {username} created")


@pvt_app.command()
def flagged(
    as_json: Annotated[
        bool, typer.Option("--json", help="The whole report (coverage and flags) as JSON.")
    ] = False,
    data: Data = DEFAULT_DATA,
    database: Database = None,
) -> None:
    """The stations proven false: verified votes for a candidate above the official count."""
    with _store(data, database) as store:
        report = store.report()
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    coverage = report["coverage"]
    console.print(
        f"{coverage['with_verified_votes']} of {coverage['stations']} stations have verified "
        f"votes ({coverage['verified_votes']}); {coverage['with_protocol']} protocols imported"
    )
    table = Table("station", "region", "candidate", "verified", "official")
    for entry in report["flagged"]:
        for c in entry["candidates"]:
            table.add_row(
                entry["station"], entry["region"], c["candidate"], str(c["verified"]),
                str(c["official"]),
            )  # fmt: skip
    console.print(f"{len(report['flagged'])} stations flagged")
    if report["flagged"]:
        console.print(table)


@pvt_app.command()
def publish(data: Data = DEFAULT_DATA, database: Database = None) -> None:
    """Sign the current report onto the publication chain; print its hash."""
    with _store(data, database) as store:
        p = store.publish()
    console.print(p.hash)


@pvt_app.command("verify-chain")
def verify_chain(
    file: Annotated[Path, typer.Argument(help="publications.json as the server publishes it.")],
) -> None:
    """Check that every publication hashes, is signed by the published key, and follows the
    one before it: a report edited after publication fails here."""
    from hramada.observe.pvt.chain import Publication
    from hramada.observe.pvt.chain import verify_chain as check

    try:
        document = json.loads(_read(file))
        key = bytes.fromhex(document["public_key"])
        chain = [
            Publication(p["body"], p["hash"], p["signature"]) for p in document["publications"]
        ]
        problems = check(key, chain)
    except (ValueError, KeyError, TypeError) as e:
        err.print(Text("error: ", style="red") + Text(f"not a publication chain: {e}"))
        raise typer.Exit(EXIT_BAD_INPUT) from None
    for problem in problems:
        err.print(Text("FAILED ", style="red") + Text(problem))
    if problems:
        raise typer.Exit(1)
    head = chain[-1].hash if chain else "(empty)"
    console.print(f"{len(chain)} publications chained and signed; latest {head}")


@pvt_app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8100,
    data: Data = DEFAULT_DATA,
    database: Database = None,
    tls_cert: TlsCertOption = None,
    tls_key: TlsKeyOption = None,
) -> None:
    """Run the tabulation's server: the public report, the voters' form, the moderators'
    review. No access log: no address or user agent is written anywhere."""
    import uvicorn

    from hramada.server.config import Limits
    from hramada.server.connections import connection_cap, guarded_protocol
    from hramada.server.pvt_app import create_pvt_app

    if (tls_cert is None) != (tls_key is None):
        err.print("error: --tls-cert and --tls-key go together")
        raise typer.Exit(EXIT_BAD_INPUT)
    limits = Limits()
    scheme = "https" if tls_cert else "http"
    console.print(f"Serving the tabulation on {scheme}://{host}:{port}  (Ctrl-C to stop)")
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    uvicorn.run(
        create_pvt_app(data, database),
        host=host,
        port=port,
        http=guarded_protocol(limits, connection_cap(limits.max_connections)),
        timeout_keep_alive=int(limits.keep_alive_seconds),
        access_log=False,  # no client addresses in any log
        server_header=False,
        proxy_headers=False,  # the rate limits' client address is the peer's own
        ssl_certfile=tls_cert,
        ssl_keyfile=tls_key,
        log_level="warning",
    )
