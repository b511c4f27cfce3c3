"""Hostile clients against the real server: slow, idle, numerous and oversize connections are
closed in bounded time and memory, and honest clients are served meanwhile."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from server_harness import ADMIN, Election, Server, add_admin, set_up, until_refused

from hramada.election.ballot import create_ballot
from hramada.election.context import ElectionContext
from hramada.protocol.canonical import FormatError, decode
from hramada.protocol.model import Ballot
from hramada.server.config import Limits

VOTE = [[0, 1, 0, 0], [1, 0]]
LIMITS = Limits()


def connect(server: Server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=5)


def until_closed(
    sock: socket.socket, dribble: bytes = b"", limit: float = 60.0
) -> tuple[float, bytes]:
    """Send `dribble` one byte a second until the server closes the connection; the seconds
    it took and what the server answered."""
    start, answer = time.monotonic(), b""
    sock.settimeout(1.0)
    while time.monotonic() - start < limit:
        try:
            data = sock.recv(65536)
        except TimeoutError:
            if dribble:
                try:
                    sock.send(dribble[:1])
                except OSError:
                    break
                dribble = dribble[1:] or b"x"
            continue
        except ConnectionResetError:
            break
        if not data:
            break
        answer += data
    sock.close()
    return time.monotonic() - start, answer


def status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


def one_answer(sock: socket.socket) -> bytes:
    """One whole answer (head and `content-length` bytes of body) read from the socket."""
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(65536) or b"EOF"
        assert not answer.endswith(b"EOF"), answer
    head, _, body = answer.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )  # fmt: skip
    while len(body) < length:
        more = sock.recv(65536)
        assert more, "closed within the answer"
        body += more
    return head + b"\r\n\r\n" + body


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    data = tmp_path / "server"
    add_admin(data, None)
    running = Server(data, workers=1, log=tmp_path / "server.log").start()
    yield running
    running.stop()


def test_slow_idle_and_slowloris_connections_are_closed_in_time(server: Server) -> None:
    head = b"GET /api/elections HTTP/1.1\r\nHost: x\r\n\r\n"
    login = b"POST /api/admin/login HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"

    def idle() -> tuple[float, bytes]:
        return until_closed(connect(server))

    def slowloris() -> tuple[float, bytes]:
        sock = connect(server)
        sock.sendall(b"GET / HTTP/1.1\r\n")
        return until_closed(sock, b"X-a: " + b"b" * 100)

    def kept_alive() -> tuple[float, bytes]:
        sock = connect(server)
        sock.sendall(head)
        return until_closed(sock)

    def slow_body() -> tuple[float, bytes]:
        sock = connect(server)
        sock.sendall(login)
        return until_closed(sock, b'"username": "' + b"a" * 90)

    attacks = {
        "idle": idle,
        "slowloris": slowloris,
        "kept alive": kept_alive,
        "slow body": slow_body,
    }
    with ThreadPoolExecutor(len(attacks)) as pool:
        futures = {name: pool.submit(attack) for name, attack in attacks.items()}
        served = 0
        while not all(f.done() for f in futures.values()):  # honest clients meanwhile
            assert httpx.get(f"{server.url}/api/elections", timeout=5).status_code == 200
            served += 1
            time.sleep(0.5)
        outcome = {name: f.result() for name, f in futures.items()}
    assert served > 10
    header, body = LIMITS.header_seconds, LIMITS.body_seconds
    seconds, answer = outcome["idle"]
    assert header - 1 < seconds < header + 3 and answer == b""
    seconds, answer = outcome["slowloris"]
    assert header - 1 < seconds < header + 3 and status(answer) == 408
    seconds, answer = outcome["kept alive"]
    keep = LIMITS.keep_alive_seconds
    assert keep - 1 < seconds < keep + 3 and status(answer) == 200
    seconds, answer = outcome["slow body"]
    assert body - 1 < seconds < body + 3 and status(answer) == 408
    assert b'"timeout"' in answer


def test_an_oversize_head_is_refused(server: Server) -> None:
    sock = connect(server)
    sock.sendall(b"GET / HTTP/1.1\r\n" + b"X-a: b\r\n" * (LIMITS.header_bytes // 8 + 10))
    seconds, answer = until_closed(sock, limit=10)
    assert status(answer) == 431 and seconds < 5


def test_unauthenticated_huge_uploads_cost_no_memory(server: Server) -> None:
    """Three 250 MiB uploads at once to a trustee link that does not exist, a ceremony
    step, and the credentials of an administrator who is not logged in: each is refused
    from its head, the connection is closed, and the server grows by less than 20 MiB."""
    size = 250 * 1024 * 1024
    targets = [
        ("PUT", "/api/trustee/not-a-token/decryption", 404),
        ("PUT", "/api/trustee/not-a-token/ceremony/polynomial", 404),
        ("PUT", "/api/admin/elections/NoSuchElection1/credentials", 401),
    ]
    assert server.process is not None
    pid = server.process.pid
    before, peak = rss_kib(pid), 0
    done = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_kib(pid))
            time.sleep(0.02)

    def upload(method: str, path: str) -> tuple[int, int]:
        sock = connect(server)
        sock.sendall(
            f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\n\r\n".encode()
        )
        chunk, sent = b"\0" * (1 << 20), 0
        try:
            while sent < size:
                sock.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass  # the server closed the connection: good
        _, answer = until_closed(sock, limit=10)
        return status(answer), sent

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with ThreadPoolExecutor(3) as pool:
            results = list(pool.map(lambda t: upload(t[0], t[1]), targets))
    finally:
        done.set()
        watcher.join()
    for (_, path, expected), (got, sent) in zip(targets, results, strict=True):
        assert got == expected, path
        assert sent < size, f"{path}: the server read the whole body"
    growth_mib = (peak - before) / 1024
    assert growth_mib < 20, f"the server grew by {growth_mib:.1f} MiB"
    assert httpx.get(f"{server.url}/api/elections").status_code == 200


def hold(server: Server, n: int, request: bytes = b"") -> list[socket.socket]:
    held = []
    for _ in range(n):
        sock = connect(server)
        if request:
            sock.sendall(request)
        held.append(sock)
    return held


def test_too_many_connections_and_too_few_files(tmp_path: Path) -> None:
    """The server runs with 256 open files: 400 idle connections make room for honest ones,
    connections all in a request get a clear 503 beyond the cap, no ballot is lost, and the
    server serves again once the crowd is gone."""
    data = tmp_path / "server"
    add_admin(data, None)
    server = Server(data, workers=1, open_files=256, log=tmp_path / "server.log").start()
    assert server.process is not None
    pid = server.process.pid
    try:
        with server.client() as client:
            election = set_up(client, tmp_path, voters=3, trustees=1)
            ctx = election.context(client, tmp_path / "voter")
        cast = f"/api/elections/{election.uuid}/ballots"
        idle = hold(server, 400)
        assert len(list(Path(f"/proc/{pid}/fd").iterdir())) < 256
        r = httpx.post(
            f"{server.url}{cast}", content=create_ballot(ctx, election.credentials[0], VOTE)
        )
        assert r.status_code == 200, r.text
        for sock in idle:
            sock.close()

        # Connections that are all inside a request (a body being sent) are not evicted.
        head = f"POST {cast} HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n{{".encode()
        busy = hold(server, 256 - 128 + 2, head)
        time.sleep(1)
        seconds, answer = until_closed(connect(server), limit=10)
        assert status(answer) == 503 and b'"busy"' in answer and seconds < 5
        for sock in busy:
            sock.close()  # each a refusal charged to 127.0.0.1: another voter casts
        time.sleep(1)
        voter = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"))
        with voter:
            r = voter.post(
                f"{server.url}{cast}", content=create_ballot(ctx, election.credentials[1], VOTE)
            )
        assert r.status_code == 200, r.text
    finally:
        server.stop()
    log = (tmp_path / "server.log").read_text()
    assert "Traceback" not in log, log[-2000:]


def test_refusals_nesting_csrf_and_rate_buckets(tmp_path: Path) -> None:
    data = tmp_path / "server"
    add_admin(data, None)
    log = tmp_path / "server.log"
    server = Server(data, workers=1, log=log).start()
    try:
        with server.client() as client:
            election = set_up(client, tmp_path, voters=3, trustees=1)
            ctx = election.context(client, tmp_path / "voter")
        check_nesting(server, election)
        check_large_uploads_are_bounded(server, election)
        check_login_csrf(server)
        check_links_ignore_the_host_header(server, election)
        check_failed_logins_do_not_stop_casting(server, election, ctx)
    finally:
        server.stop()
    assert "Traceback" not in log.read_text(), log.read_text()[-2000:]


def check_nesting(server: Server, election: Election) -> None:
    with httpx.Client(base_url=server.url) as anyone:
        r = anyone.post("/api/admin/login", content=b"[" * 60000)
        assert r.status_code == 400 and "nested" in r.json()["error"]["message"]
        r = anyone.post(f"/api/elections/{election.uuid}/ballots", content=b"[" * 400000)
        assert r.status_code == 400, r.text  # a ballot is an object: refused at once


def test_deeply_nested_json_is_a_format_error() -> None:
    with pytest.raises(FormatError, match="nested too deeply"):
        decode(b'{"election_uuid": "x", "a": ' + b"[" * 100000, Ballot, "ballot")


def check_large_uploads_are_bounded(server: Server, election: Election) -> None:
    """Two credential uploads being sent slowly: a third is told to come back later.

    The election exists and is the admin's own: uploads for anything else are refused before
    their body is read."""
    with httpx.Client(base_url=server.url) as admin:
        r = admin.post("/api/admin/login", json={"username": ADMIN[0], "password": ADMIN[1]})
        cookie = f"hramada_session={r.cookies['hramada_session']}"
    head = (
        f"PUT /api/admin/elections/{election.uuid}/credentials HTTP/1.1\r\nHost: x\r\n"
        f"Cookie: {cookie}\r\nContent-Length: 1000000\r\n\r\n{{"
    ).encode()
    slow = hold(server, LIMITS.large_uploads, head)
    time.sleep(0.5)
    third = connect(server)
    third.sendall(head)
    _, answer = until_closed(third, limit=10)
    assert status(answer) == 503 and b'"busy"' in answer
    for sock in slow:
        sock.close()


def check_login_csrf(server: Server) -> None:
    credentials = {"username": ADMIN[0], "password": ADMIN[1]}
    with httpx.Client(base_url=server.url) as browser:
        for headers in ({"origin": "http://evil.test"}, {"sec-fetch-site": "cross-site"}):
            r = browser.post("/api/admin/login", json=credentials, headers=headers)
            assert r.status_code == 403 and r.json()["error"]["check"] == "origin"
            assert "set-cookie" not in r.headers
        r = browser.post("/api/admin/login", json=credentials, headers={"origin": server.url})
        assert r.status_code == 200 and "Secure" not in r.headers["set-cookie"]
        r = browser.post("/api/admin/logout", headers={"origin": "http://evil.test"})
        assert r.status_code == 403
        assert browser.get("/api/admin/me").status_code == 200  # still logged in
        r = browser.post("/api/admin/logout", headers={"origin": server.url})
        assert r.status_code == 200
        assert browser.get("/api/admin/me").status_code == 401


def check_links_ignore_the_host_header(server: Server, election: Election) -> None:
    r = httpx.get(f"{server.url}/elections/{election.uuid}", headers={"host": "evil.test"})
    assert r.status_code == 200
    assert "evil.test" not in r.text and server.url in r.text


def check_failed_logins_do_not_stop_casting(
    server: Server, election: Election, ctx: ElectionContext
) -> None:
    wrong = {"username": ADMIN[0], "password": "wrong password!"}
    with httpx.Client(base_url=server.url) as client:
        statuses = until_refused(lambda: client.post("/api/admin/login", json=wrong).status_code)
        assert set(statuses[:-1]) == {401}
        r = client.post(
            f"/api/elections/{election.uuid}/ballots",
            content=create_ballot(ctx, election.credentials[2], VOTE),
        )
        assert r.status_code == 200, r.text


def test_a_refusal_before_a_small_body_keeps_the_connection(server: Server) -> None:
    """A request refused before its body was read (an unknown election) gets its answer, and
    when its small body follows, the connection goes on: closing a socket with unread bytes
    would reset it, and the client could lose the answer (a ballot refused with 429). A body
    too large to drain still closes the connection."""
    refused = b"POST /api/elections/nosuchelection1/ballots HTTP/1.1\r\nhost: x\r\n"
    with connect(server) as sock:
        sock.sendall(refused + b"content-length: 7\r\n\r\n")
        answer = one_answer(sock)
        assert status(answer) == 404 and b"connection: close" not in answer.lower()
        sock.sendall(b"garbage" + b"GET /api/elections HTTP/1.1\r\nhost: x\r\n\r\n")
        assert status(one_answer(sock)) == 200
    with connect(server) as sock:
        sock.sendall(refused + f"content-length: {LIMITS.json_bytes + 1}\r\n\r\n".encode())
        _, answer = until_closed(sock)
        assert status(answer) == 404
