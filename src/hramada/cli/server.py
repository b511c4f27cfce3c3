"""`hramada serve`, administrator accounts, and trustees' uploads to a server."""

from __future__ import annotations

import json
import signal
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from hramada.cli.options import TlsCertOption, TlsKeyOption
from hramada.cli.output import console, err, new_password

if TYPE_CHECKING:  # the server's modules (SQLAlchemy, Alembic) load only for its commands
    from hramada.server.config import Settings

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


DEMO_STATES = {
    "open": "Demo election open",
    "closed": "Demo election, voting closed (the admin console closes and tallies it)",
    "tallied": "Demo election, tallied: awaiting the trustees' partial decryptions",
    "published": "Demo election, result published",
    "unreadable": "Demo election, its archive cannot be read (served read-only)",
}


def _announce_demo(settings: Settings, url: str) -> None:
    """Say what state the demo election is in; voter credentials only while it is open."""
    from hramada.server.demo import demo_state, prepare_demo

    info = prepare_demo(settings)
    state = demo_state(settings, info)
    page = f"{url}/elections/{info['uuid']}" + ("/result" if state == "published" else "")
    console.print(Text(f"{DEMO_STATES[state]}: ", style="bold") + Text(page))
    console.print(f"Admin console: {url}/admin  (user admin, password {info['admin_password']})")
    if state == "open":
        console.print("Voter credentials (each votes once; voting again replaces the ballot):")
        for credential in info["credentials"][:5]:
            console.print(f"  {credential}")
    for n, trustee in enumerate(info.get("trustees", []), 1):
        console.print(
            f"Trustee {n}: page {url}{trustee['link']} ; run its commands in {trustee['folder']}"
        )


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    data: DataOption = Path("hramada-data"),
    database: DatabaseOption = None,
    workers: Annotated[int, typer.Option(help="Ballot-checking processes (default: cores).")] = 0,
    demo: Annotated[
        bool, typer.Option(help="Set up a demo election, open for a week, and print how to vote.")
    ] = False,
    public_url: Annotated[
        str | None,
        typer.Option(
            help="The address visitors use, e.g. https://vote.example.org (links, the console's "
            "Origin check, Secure cookies). Default: this server's own address."
        ),
    ] = None,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(
            help="Address of a reverse proxy whose X-Forwarded-For/-Proto headers are believed "
            "(repeatable)."
        ),
    ] = None,
    tls_cert: TlsCertOption = None,
    tls_key: TlsKeyOption = None,
) -> None:
    """Run the election server: the voting booth, bulletin board, results and admin console."""
    import os

    import uvicorn

    from hramada.booth.pages import STATIC_DIR
    from hramada.server.app import create_app
    from hramada.server.config import Settings
    from hramada.server.connections import connection_cap, guarded_protocol

    if not (STATIC_DIR / "js" / "booth.js").exists():
        err.print("warning: the booth's scripts are not built: run `npm ci && npm run build`")
    if (tls_cert is None) != (tls_key is None):
        err.print("error: --tls-cert and --tls-key go together")
        raise typer.Exit(2)
    url = f"{'https' if tls_cert else 'http'}://{host}:{port}"
    origin = (public_url or url).rstrip("/")
    if not origin.startswith(("http://", "https://")) or origin.count("/") != 2:
        err.print("error: --public-url is scheme://host[:port], e.g. https://vote.example.org")
        raise typer.Exit(2)
    if public_url is None and host in ("0.0.0.0", "::", ""):
        err.print(
            f"warning: visitors do not reach {origin}: pass --public-url with the address they "
            "use, or the admin console refuses their actions (Origin check)"
        )
    settings = Settings(
        data_dir=data,
        database_url=database,
        workers=workers or os.cpu_count() or 1,
        public_url=origin,
        trusted_proxies=tuple(trusted_proxy or ()),
    )
    url = origin
    if demo:
        _announce_demo(settings, url)
    console.print(f"Serving on {url}  (Ctrl-C to stop)")
    # A file-size limit reached makes that write fail (the election stops storing) instead
    # of killing the whole server.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    limits = settings.limits
    # uvicorn's own limit_concurrency answers 503 only once a request arrives, while idle
    # sockets keep their descriptors: the protocol class caps connections when they open.
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        http=guarded_protocol(limits, connection_cap(limits.max_connections)),
        timeout_keep_alive=int(limits.keep_alive_seconds),
        access_log=False,  # no client addresses in any log
        server_header=False,
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies) or None,
        ssl_certfile=tls_cert,
        ssl_keyfile=tls_key,
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

    password = new_password()
    from hramada.booth.pages import STATIC_DIR

    if not (STATIC_DIR / "js" / "booth.js").exists():
        err.print("warning: the booth's scripts are not built: run `npm ci && npm run build`")
    settings = Settings(data_dir=data, database_url=database)
    settings.prepare_data_dir()
    try:
        create_admin(connect(settings.db_url), username, password)
    except ValueError as e:
        err.print(Text("error: ", style="red") + Text(str(e)))
        raise typer.Exit(1) from None
    console.print(f"administrator {username} created")


def _api_url(url: str) -> str:
    """The upload address: the trustee page's link followed by /key or /decryption (as the
    README shows it) is the page's address, under /api/ for uploads."""
    parts = urllib.parse.urlsplit(url)
    path = parts.path
    if path.startswith("/trustee/"):
        path = "/api" + path
    return urllib.parse.urlunsplit(parts._replace(path=path))


ACCEPTED = {
    "key": "The server accepted your public key.",
    "partial decryption": "The server accepted your partial decryption: its proofs hold.",
}


def _refusal(e: urllib.error.HTTPError) -> str:
    """One line: the server's own message for a JSON answer, else the HTTP status."""
    body = e.read()
    try:
        message = json.loads(body)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = None
    if isinstance(message, str):
        return f"{message} (HTTP {e.code})"
    if e.code == 404:
        return "HTTP 404: no such address; use the link from your trustee page"
    return f"HTTP {e.code} {e.reason}"


def submit(
    url: Annotated[str, typer.Argument(help="The trustee link followed by /key or /decryption.")],
    file: Annotated[Path, typer.Argument(help="The .pubkey or partial decryption file.")],
) -> None:
    """Upload a public key or a partial decryption to the server (never the private key)."""
    if file.suffix == ".privkey":
        err.print("error: this is a private key: it never leaves your machine")
        raise typer.Exit(1)
    try:
        body = file.read_bytes()
    except OSError as e:
        err.print(Text("error: ", style="red") + Text(f"{file}: {e.strerror}"))
        raise typer.Exit(1) from None
    request = urllib.request.Request(
        _api_url(url), data=body, method="PUT", headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as e:
        err.print(Text("refused: ", style="red") + Text(_refusal(e)))
        raise typer.Exit(1) from None
    except urllib.error.URLError as e:
        err.print(Text("error: ", style="red") + Text(str(e.reason)))
        raise typer.Exit(1) from None
    except ValueError:
        err.print(Text("error: ", style="red") + Text("the server's answer is not JSON"))
        raise typer.Exit(1) from None
    accepted = str(answer.get("accepted")) if isinstance(answer, dict) else ""
    console.print(ACCEPTED.get(accepted, "The server accepted the file."))
