"""`hramada serve`, administrator accounts, and trustees' uploads to a server."""

from __future__ import annotations

import getpass
import signal
import urllib.error
import urllib.request
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from hramada.cli.output import console, err

accounts_app = typer.Typer(help="Server administrators: create accounts.")

DataOption = Annotated[
    Path, typer.Option("--data", help="Folder for the archives (and the SQLite database).")
]
DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database", envvar="HRAMADA_DATABASE", help="Database URL (default: SQLite in --data)."
    ),
]


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    data: DataOption = Path("hramada-data"),
    database: DatabaseOption = None,
    workers: Annotated[int, typer.Option(help="Ballot-checking processes (default: cores).")] = 0,
    demo: Annotated[
        bool, typer.Option(help="Set up a demo election, open for a week, and print how to vote.")
    ] = False,
) -> None:
    """Run the election server: the voting booth, bulletin board, results and admin console."""
    import os

    import uvicorn

    from hramada.booth.pages import STATIC_DIR
    from hramada.server.app import create_app
    from hramada.server.config import Settings

    if not (STATIC_DIR / "js" / "booth.js").exists():
        err.print("warning: the booth's scripts are not built: run `npm ci && npm run build`")
    settings = Settings(
        data_dir=data, database_url=database, workers=workers or os.cpu_count() or 1
    )
    url = f"http://{host}:{port}"
    if demo:
        from hramada.server.demo import prepare_demo

        info = prepare_demo(settings)
        console.print(
            Text("Demo election open: ", style="bold") + Text(f"{url}/elections/{info['uuid']}")
        )
        console.print(
            f"Admin console: {url}/admin  (user admin, password {info['admin_password']})"
        )
        console.print("Voter credentials (each votes once; voting again replaces the ballot):")
        for credential in info["credentials"][:5]:
            console.print(f"  {credential}")
        console.print(
            f"Trustees' private keys, to decrypt after closing: {info['trustee_keys']}",
            soft_wrap=True,
        )
    console.print(f"Serving on {url}  (Ctrl-C to stop)")
    # A file-size limit reached makes that write fail (the election stops storing) instead
    # of killing the whole server.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        access_log=False,  # no client addresses in any log
        server_header=False,
        proxy_headers=False,
        log_level="warning",
    )


@accounts_app.command("create")
def create_account(
    username: Annotated[str, typer.Argument(help="The administrator's login name.")],
    data: DataOption = Path("hramada-data"),
    database: DatabaseOption = None,
) -> None:
    """Create an administrator account; the password is asked twice, never echoed."""
    from hramada.server.accounts import create_admin
    from hramada.server.config import Settings
    from hramada.server.database import connect

    password = getpass.getpass("Password (12 characters or more): ")
    if getpass.getpass("Again: ") != password:
        err.print("error: the passwords differ")
        raise typer.Exit(1)
    from hramada.booth.pages import STATIC_DIR

    if not (STATIC_DIR / "js" / "booth.js").exists():
        err.print("warning: the booth's scripts are not built: run `npm ci && npm run build`")
    settings = Settings(data_dir=data, database_url=database)
    data.mkdir(parents=True, exist_ok=True)
    try:
        create_admin(connect(settings.db_url), username, password)
    except ValueError as e:
        err.print(Text("error: ", style="red") + Text(str(e)))
        raise typer.Exit(1) from None
    console.print(f"administrator {username} created")


def submit(
    url: Annotated[str, typer.Argument(help="The upload address from the trustee's page.")],
    file: Annotated[Path, typer.Argument(help="The .pubkey or partial decryption file.")],
) -> None:
    """Upload a public key or a partial decryption to the server (never the private key)."""
    if file.suffix == ".privkey":
        err.print("error: this is a private key: it never leaves your machine")
        raise typer.Exit(1)
    request = urllib.request.Request(
        url, data=file.read_bytes(), method="PUT", headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            console.out(response.read().decode())
    except urllib.error.HTTPError as e:
        err.print(Text("refused: ", style="red") + Text(e.read().decode(errors="replace")))
        raise typer.Exit(1) from None
    except urllib.error.URLError as e:
        err.print(Text("error: ", style="red") + Text(str(e.reason)))
        raise typer.Exit(1) from None
