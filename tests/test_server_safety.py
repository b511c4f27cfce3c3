"""Bad input gets a clear 4xx and changes nothing; a SIGKILL loses no acknowledged ballot."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from conftest import hramada
from server_harness import (
    Election,
    Server,
    add_admin,
    download,
    running,
    set_up,
    until_refused,
)

from hramada.crypto.credentials import derive_secret, generate_credential
from hramada.crypto.proofs import schnorr_prove
from hramada.election.ballot import create_ballot
from hramada.election.context import ElectionContext
from hramada.election.trustees import wire_proof
from hramada.protocol.archive import read_archive
from hramada.protocol.canonical import decode, encode, sha256_b64
from hramada.protocol.model import Ballot, Signature

VOTE = [[0, 1, 0, 0], [1, 0]]


def resigned(ctx: ElectionContext, credential: str, ballot: Ballot) -> bytes:
    """A ballot altered by its own voter and signed again: only its proofs can be wrong."""
    ballot.signature = None
    secret = derive_secret(credential, ctx.uuid, ctx.group.q)
    h = sha256_b64(encode(ballot))
    ballot.signature = Signature(
        hash=h, proof=wire_proof(schnorr_prove(ctx.group, secret, f"sig|{h}|"))
    )
    return encode(ballot)


def bad_proof(ctx: ElectionContext, credential: str) -> bytes:
    ballot = decode(create_ballot(ctx, credential, VOTE), Ballot, "ballot")
    proofs = ballot.answers[0].individual_proofs
    assert proofs is not None
    proofs[0][0].response = str((int(proofs[0][0].response) + 1) % ctx.group.q)
    return resigned(ctx, credential, ballot)


Running = tuple[Server, httpx.Client, Election, Election, ElectionContext]


@pytest.fixture
def two_elections(tmp_path: Path) -> Iterator[Running]:
    data = tmp_path / "server"
    add_admin(data, None)
    server = Server(data).start()
    client = server.client()
    first = set_up(client, tmp_path / "a", voters=3, trustees=1)
    second = set_up(client, tmp_path / "b", voters=3, trustees=1)
    ctx = first.context(client, tmp_path / "voter")
    yield server, client, first, second, ctx
    client.close()
    server.stop()


def test_bad_input_is_refused_clearly_and_changes_nothing(
    two_elections: Running, tmp_path: Path
) -> None:
    _server, client, election, other, ctx = two_elections
    url = f"/api/elections/{election.uuid}/ballots"
    good = create_ballot(ctx, election.credentials[0], VOTE)
    assert client.post(url, content=good).status_code == 200
    before = download(client, election.uuid, tmp_path / "before").read_bytes()

    stranger = create_ballot(ctx, generate_credential(), VOTE)
    for_other = f"/api/elections/{other.uuid}/ballots"
    cases: list[tuple[str, str, bytes, int, str]] = [
        ("malformed JSON", url, b'{"election_uuid": ', 400, "ballot format"),
        ("not a ballot", url, b'{"hello": "world"}', 400, "ballot format"),
        ("bad proof", url, bad_proof(ctx, election.credentials[1]), 400, "individual proof"),
        ("unknown credential", url, stranger, 400, "credential"),
        ("another election's ballot", for_other, good, 400, "election uuid"),
        ("the same ballot again", url, good, 409, "replay"),
        ("oversize", url, b" " * (600 * 1024), 413, "too large"),
        ("unknown election", "/api/elections/NoSuchElection1/ballots", good, 404, "election"),
    ]
    for what, target, body, status, check in cases:
        r = client.post(target, content=body)
        assert r.status_code == status, (what, r.text)
        error = r.json()["error"]
        assert error["check"] == check, what
        assert error["message"], what
    after = download(client, election.uuid, tmp_path / "after").read_bytes()
    assert after == before
    assert client.get(f"/api/elections/{election.uuid}").json()["ballots"] == 1

    # Out of phase: after closing, even a valid ballot is refused and the archive stays put.
    assert client.post(f"/api/admin/elections/{election.uuid}/close").status_code == 200
    closed = download(client, election.uuid, tmp_path / "closed").read_bytes()
    late = create_ballot(ctx, election.credentials[2], VOTE)
    r = client.post(url, content=late)
    assert r.status_code == 409 and r.json()["error"]["check"] == "phase"
    assert download(client, election.uuid, tmp_path / "late").read_bytes() == closed
    r = client.post(f"/api/admin/elections/{election.uuid}/close")
    assert r.status_code == 409


def test_an_oversize_body_sent_slowly_still_gets_its_413(two_elections: Running) -> None:
    """The 413 must reach a client still sending: refusing before the body is read and
    closing resets the connection, and the client loses the answer (seen under load)."""
    server, _client, election, _other, _ctx = two_elections
    size = 600 * 1024
    head = (
        f"POST /api/elections/{election.uuid}/ballots HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Length: {size}\r\nContent-Type: application/json\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
        sock.sendall(head.encode())
        time.sleep(0.3)  # the server has seen the head and could answer now
        for _ in range(size // (64 * 1024) + 1):
            sock.sendall(b" " * min(64 * 1024, size))
            size -= 64 * 1024
            if size <= 0:
                break
            time.sleep(0.02)
        answer = b""
        while b"too large" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"too large" in answer


def test_a_closed_window_refuses_ballots(two_elections: Running) -> None:
    _server, client, election, _other, ctx = two_elections
    r = client.put(
        f"/api/admin/elections/{election.uuid}/window",
        json={
            "opens_at": "2020-01-01T00:00:00Z",
            "closes_at": "2020-01-02T00:00:00Z",
            "reason": "test: the window is over",
        },
    )
    assert r.status_code == 200, r.text
    ballot = create_ballot(ctx, election.credentials[0], VOTE)
    r = client.post(f"/api/elections/{election.uuid}/ballots", content=ballot)
    assert r.status_code == 403 and r.json()["error"]["check"] == "window"
    assert client.get(f"/api/elections/{election.uuid}").json()["voting"] is False


def test_a_client_sending_garbage_is_slowed_down(two_elections: Running) -> None:
    _server, client, election, _other, ctx = two_elections
    url = f"/api/elections/{election.uuid}/ballots"
    ballot = create_ballot(ctx, election.credentials[0], VOTE)
    statuses = until_refused(lambda: client.post(url, content=b"garbage").status_code)
    assert set(statuses[:-1]) == {400}, statuses
    # Refused, the allowance refills until one more garbage is charged (at most 2 s); right
    # after that, even a valid ballot waits.
    while (r := client.post(url, content=b"garbage")).status_code == 429:
        pass
    assert r.status_code == 400, r.text
    r = client.post(url, content=ballot)
    assert r.status_code == 429 and "wait" in r.json()["error"]["message"], r.text


def test_sigkill_while_casting_loses_no_acknowledged_ballot(tmp_path: Path) -> None:
    data = tmp_path / "server"
    add_admin(data, None)
    server = Server(data).start()
    voters = 48
    with server.client() as client:
        election = set_up(client, tmp_path, voters=voters, trustees=1)
        ctx = election.context(client, tmp_path / "voter")
    ballots = [create_ballot(ctx, c, VOTE) for c in election.credentials]
    acknowledged: list[str] = []
    enough = threading.Event()

    def cast(ballot: bytes) -> None:
        try:
            r = httpx.post(f"{server.url}/api/elections/{election.uuid}/ballots", content=ballot)
        except httpx.HTTPError:
            return  # the server died under this request: it never acknowledged it
        if r.status_code == 200:
            acknowledged.append(r.json()["tracking_code"])
            if len(acknowledged) >= voters // 3:
                enough.set()

    with ThreadPoolExecutor(8) as pool:
        for b in ballots:
            pool.submit(cast, b)
        assert enough.wait(120)
        server.stop(signal.SIGKILL)
    assert len(acknowledged) < voters, "the kill came too late to test anything"

    with running(data) as restarted, restarted.client() as client:
        archive = download(client, election.uuid, tmp_path / "observer")
        board = {
            b["tracking_code"]
            for b in client.get(f"/api/elections/{election.uuid}/ballots").json()["ballots"]
        }
        assert set(acknowledged) <= board
        # Voting goes on after the restart.
        r = client.post(
            f"/api/elections/{election.uuid}/ballots",
            content=create_ballot(ctx, election.credentials[0], [[1, 0, 0, 0], [0, 1]]),
        )
        assert r.status_code == 200, r.text
    stored = {sha256_b64(d) for d in read_archive(archive).data.values()}
    assert set(acknowledged) <= stored
    assert hramada("verify", str(archive)).returncode == 0


def test_a_dead_checker_process_is_replaced(two_elections: Running) -> None:
    server, client, election, _other, ctx = two_elections
    url = f"/api/elections/{election.uuid}/ballots"
    assert client.post(url, content=create_ballot(ctx, election.credentials[0], VOTE)).is_success
    assert server.process is not None
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    workers = [int(p) for p in children.read_text().split()]
    assert workers, "the server has no checker processes"
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    r = client.post(url, content=create_ballot(ctx, election.credentials[1], VOTE))
    assert r.status_code == 200, r.text
