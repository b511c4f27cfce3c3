"""Running the real server in a subprocess, a real PostgreSQL, and the election roles' steps."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from conftest import hramada

from hramada.election.context import ElectionContext, context_from_archive
from hramada.protocol.archive import read_archive
from hramada.server.accounts import create_admin
from hramada.server.database import connect

HRAMADA = [sys.executable, "-m", "hramada"]
ADMIN = ("commission", "correct horse battery staple")
PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made by openssl."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            key,
            "-out",
            cert,
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    done = hramada(*map(str, args))
    assert done.returncode == 0, f"hramada {args[:2]} failed:\n{done.stdout}\n{done.stderr}"
    return done


@dataclass
class Server:
    """`hramada serve` on a free loopback port, over a data folder and a database."""

    data: Path
    database: str | None = None
    workers: int = 2
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    extra: list[str] = field(default_factory=list)  # more `hramada serve` options
    open_files: int | None = None  # RLIMIT_NOFILE for the server process (soft and hard)
    log: Path | None = None  # where the server's stderr goes (default: the test's)
    scheme: str = "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def _limit_files(self) -> None:
        if self.open_files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (self.open_files, self.open_files))

    def start(self) -> Server:
        args = ["serve", "--port", str(self.port), "--data", str(self.data)]
        args += ["--workers", str(self.workers), *self.extra]
        if self.database:
            args += ["--database", self.database]
        stderr = self.log.open("ab") if self.log else None
        self.process = subprocess.Popen(
            [*HRAMADA, *args],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            preexec_fn=self._limit_files if self.open_files else None,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "the server exited at start"
            try:
                httpx.get(f"{self.url}/api/elections", timeout=1, verify=False).raise_for_status()
                return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise TimeoutError("the server did not start")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(30)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=120)


@contextmanager
def running(data: Path, database: str | None = None) -> Iterator[Server]:
    server = Server(data, database).start()
    try:
        yield server
    finally:
        server.stop()


def add_admin(data: Path, database: str | None) -> None:
    data.mkdir(parents=True, exist_ok=True)
    url = database or f"sqlite:///{(data / 'hramada.sqlite').resolve()}"
    engine = connect(url)
    create_admin(engine, *ADMIN)
    engine.dispose()


def login(client: httpx.Client) -> None:
    r = client.post("/api/admin/login", json={"username": ADMIN[0], "password": ADMIN[1]})
    assert r.status_code == 200, r.text


def until_refused(send: Callable[[], int]) -> list[int]:
    """Statuses of refused requests sent until the first 429: however slow the machine (the
    allowance refills at 30 a minute), a client is refused after its burst of 60."""
    statuses = []
    while 429 not in statuses:
        statuses.append(send())
        assert len(statuses) <= 1000, "1,000 refused requests and never slowed down"
    return statuses


@dataclass
class Election:
    uuid: str
    credentials: list[str]
    keys: list[Path]  # trustees' private key files
    links: list[str]  # trustees' upload links

    def context(self, client: httpx.Client, into: Path) -> ElectionContext:
        path = download(client, self.uuid, into)
        return context_from_archive(read_archive(path))


def download(client: httpx.Client, uuid: str, into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    path = into / f"{uuid}.bel"
    r = client.get(f"/elections/{uuid}/archive.bel")
    assert r.status_code == 200, r.text
    path.write_bytes(r.content)
    return path


QUESTIONS = [
    {"question": "Council", "answers": ["A", "B", "C"], "min": 1, "max": 2, "blank": True},
    {"question": "Charter?", "answers": ["Yes", "No"], "min": 1, "max": 1, "blank": False},
]


def set_up(
    client: httpx.Client,
    work: Path,
    voters: int,
    group: str = "Ed25519",
    trustees: int = 2,
    weights: bool = False,
    questions: list[dict[str, object]] | None = None,
    translations: dict[str, object] | None = None,
    seat_rules: str | None = None,
) -> Election:
    """Every role's set-up step: the admin's draft, the credential authority's CLI, the
    trustees' CLI key generation and upload, and the opening."""
    login(client)
    r = client.post(
        "/api/admin/elections",
        json={
            "name": "Test election",
            "description": "",
            "group": group,
            "questions": questions or QUESTIONS,
            "translations": translations,
        }
        | ({"seat_rules": seat_rules} if seat_rules else {}),
    )
    assert r.status_code == 201, r.text
    return prepare(client, r.json()["uuid"], work, voters, group, trustees, weights)


def prepare(
    client: httpx.Client,
    uuid: str,
    work: Path,
    voters: int,
    group: str = "Ed25519",
    trustees: int = 2,
    weights: bool = False,
) -> Election:
    """A draft's credentials (made by the credential authority's CLI), trustees (keys made
    and uploaded by their CLI), then its opening."""
    authority = work / "authority"
    authority.mkdir(parents=True, exist_ok=True)
    lines = [f"v{i}@x.invalid" + (f",v{i},{1 + i % 3}" if weights else "") for i in range(voters)]
    (authority / "voters.txt").write_text("\n".join(lines) + "\n")
    cli("credentials", "generate", "--uuid", uuid, "--voters", authority / "voters.txt",
        "--group", group, "--out", authority)  # fmt: skip
    public = (authority / "public_credentials.json").read_bytes()
    r = client.put(f"/api/admin/elections/{uuid}/credentials", content=public)
    assert r.status_code == 200, r.text
    private = json.loads((authority / "private_credentials.json").read_text())
    keys, links = [], []
    for n in range(trustees):
        r = client.post(f"/api/admin/elections/{uuid}/trustees", json={"name": f"T{n}"})
        assert r.status_code == 201, r.text
        link = r.json()["link"]
        home = work / f"trustee{n}"
        cli("trustee", "keygen", "--group", group, "--out", home)
        (pub,) = home.glob("*.pubkey")
        token = link.rsplit("/", 1)[1]
        cli("trustee", "submit", f"{client.base_url}/api/trustee/{token}/key", pub)
        keys.append(next(home.glob("*.privkey")))
        links.append(token)
    r = client.post(f"/api/admin/elections/{uuid}/open")
    assert r.status_code == 200, r.text
    return Election(uuid, list(private.values()), keys, links)


def decrypt_and_publish(
    client: httpx.Client, election: Election, work: Path, close: bool = True
) -> list[list[int]]:
    """Close (unless closed already), let every trustee decrypt on their own machine, publish;
    return the result."""
    if close:
        r = client.post(f"/api/admin/elections/{election.uuid}/close")
        assert r.status_code == 200, r.text
    for n, (key, token) in enumerate(zip(election.keys, election.links, strict=True)):
        home = work / f"trustee{n}"
        archive = download(client, election.uuid, home)
        cli("trustee", "decrypt", archive, "--key", key, "--out", home / "pd.json")
        cli("trustee", "submit", f"{client.base_url}/api/trustee/{token}/decryption",
            home / "pd.json")  # fmt: skip
    r = client.post(f"/api/admin/elections/{election.uuid}/publish")
    assert r.status_code == 200, r.text
    result: list[list[int]] = r.json()["result"]
    return result


@dataclass
class Postgres:
    """A throwaway PostgreSQL cluster on a free port, run as the `postgres` user when root."""

    root: Path
    port: int = field(default_factory=free_port)

    def _run(self, *args: str) -> None:
        assert PG_BIN is not None
        command = [str(PG_BIN / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        data = str(self.root / "data")
        self._run("initdb", "-D", data, "-U", "hramada", "--auth=trust", "-E", "UTF8")
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=on"
        self._run("pg_ctl", "-D", data, "-o", options, "-w", "-l", f"{self.root}/log", "start")
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "hramada", "hramada")
        return f"postgresql://hramada@127.0.0.1:{self.port}/hramada"

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "stop")


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """The URL of a throwaway cluster, in a folder the `postgres` user can reach, removed after."""
    assert PG_BIN is not None, "PostgreSQL is not installed (/usr/lib/postgresql/*/bin)"
    root = Path(tempfile.mkdtemp(prefix="hramada-pg-"))
    pg = Postgres(root)
    try:
        yield pg.start()
    finally:
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)
