"""The real server under real faults: out of file descriptors, out of file size (a write cut
short by the kernel), a damaged archive and a close cut off after EndBallots. No ballot is
invented or lost, every election but the damaged one keeps running, and closing resumes."""

from __future__ import annotations

import os
import resource
import signal
import time
from pathlib import Path

import httpx
from conftest import hramada
from server_harness import (
    Election,
    Server,
    add_admin,
    decrypt_and_publish,
    download,
    login,
    running,
    set_up,
)

from hramada.election.ballot import create_ballot
from hramada.election.box import BallotBox
from hramada.protocol.archive import read_archive
from hramada.protocol.canonical import sha256_b64

VOTE = [[0, 1, 0, 0], [1, 0]]


def ballot_count(archive: Path) -> int:
    return sum(e.type == "Ballot" for _, e in read_archive(archive).events)


def consistent(client: httpx.Client, election: Election, into: Path) -> set[str]:
    """The board, the counts and the archive agree; returns the tracking codes."""
    board = client.get(f"/api/elections/{election.uuid}/ballots")
    assert board.status_code == 200, board.text
    codes = {b["tracking_code"] for b in board.json()["ballots"]}
    info = client.get(f"/api/elections/{election.uuid}").json()
    archive = download(client, election.uuid, into)
    stored = {sha256_b64(read_archive(archive).data[e.payload]) for _, e in
              read_archive(archive).events if e.type == "Ballot" and e.payload}  # fmt: skip
    assert codes == stored and info["ballots"] == len(codes) == ballot_count(archive)
    return codes


def lowest_free_descriptor(pid: int) -> int:
    used = {int(fd) for fd in os.listdir(f"/proc/{pid}/fd")}
    return next(n for n in range(len(used) + 1) if n not in used)


def test_out_of_descriptors_then_out_of_disk(tmp_path: Path) -> None:
    data = tmp_path / "server"
    add_admin(data, None)
    server = Server(data).start()
    assert server.process is not None
    pid = server.process.pid
    client = server.client()
    election = set_up(client, tmp_path, voters=5, trustees=1)
    ctx = election.context(client, tmp_path / "voter")
    url = f"/api/elections/{election.uuid}/ballots"
    ballots = [create_ballot(ctx, c, VOTE) for c in election.credentials]
    assert client.post(url, content=ballots[0]).status_code == 200  # a checker is running

    # No descriptor left: the kept-alive connection still casts, and the board still answers.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (lowest_free_descriptor(pid), hard))
    try:
        r = client.post(url, content=ballots[1])
        assert r.status_code == 200, r.text
        assert client.get(url).status_code == 200
    finally:
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
    assert len(consistent(client, election, tmp_path / "a")) == 2

    # No room to grow the archive: the kernel cuts the write short, then refuses it.
    size = (data / "elections" / f"{election.uuid}.bel").stat().st_size
    fsize = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (size + 800, fsize[1]))
    try:
        r = client.post(url, content=ballots[2])
    finally:
        resource.prlimit(pid, resource.RLIMIT_FSIZE, fsize)
    assert r.status_code == 503 and r.json()["error"]["check"] == "storage", r.text
    assert "nothing was recorded" in r.json()["error"]["message"]
    assert (data / "elections" / f"{election.uuid}.bel").stat().st_size == size
    # With room again it still refuses until a restart re-reads the file; reading goes on.
    r = client.post(url, content=ballots[3])
    assert r.status_code == 503 and r.json()["error"]["check"] == "storage"
    assert client.get(f"/api/elections/{election.uuid}").json()["problem"]
    assert len(consistent(client, election, tmp_path / "b")) == 2
    client.close()
    server.stop()

    with running(data) as restarted, restarted.client() as client:
        login(client)
        for ballot in ballots[2:]:  # the refused ballots are cast again, not replays
            assert client.post(url, content=ballot).status_code == 200
        assert len(consistent(client, election, tmp_path / "c")) == 5
        decrypt_and_publish(client, election, tmp_path)
        archive = download(client, election.uuid, tmp_path / "observer")
    done = hramada("verify", str(archive))
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_damaged_archive_leaves_the_others_running_and_closing_resumes(
    tmp_path: Path,
) -> None:
    data = tmp_path / "server"
    add_admin(data, None)
    with running(data) as server, server.client() as client:
        damaged = set_up(client, tmp_path / "a", voters=2, trustees=1)
        closing = set_up(client, tmp_path / "b", voters=2, trustees=1)
        for e in (damaged, closing):
            ctx = e.context(client, tmp_path / "voter" / e.uuid)
            r = client.post(
                f"/api/elections/{e.uuid}/ballots",
                content=create_ballot(ctx, e.credentials[0], VOTE),
            )
            assert r.status_code == 200, r.text
        server.stop(signal.SIGKILL)

    # One archive gets a flipped byte inside its last ballot; the other is left as a crash
    # between EndBallots and EncryptedTally leaves it.
    path = data / "elections" / f"{damaged.uuid}.bel"
    raw = bytearray(path.read_bytes())
    raw[len(raw) - 2048] ^= 1
    path.write_bytes(bytes(raw))
    box = BallotBox.open(data / "elections" / f"{closing.uuid}.bel")
    box.close()
    box.close_file()

    started = time.monotonic()
    with running(data) as server, server.client() as client:
        assert time.monotonic() - started < 60
        states = {e["uuid"]: e["state"] for e in client.get("/api/elections").json()}
        assert states == {damaged.uuid: "broken", closing.uuid: "tallied"}
        info = client.get(f"/api/elections/{damaged.uuid}").json()
        assert info["state"] == "broken" and "hash" in info["problem"]
        r = client.post(f"/api/elections/{damaged.uuid}/ballots", content=b"{}")
        assert r.status_code == 503 and r.json()["error"]["check"] == "archive"
        r = client.get(f"/elections/{damaged.uuid}/archive.bel")
        assert r.status_code == 200 and r.content == bytes(raw)  # read-only, as it is
        assert client.get(f"/elections/{damaged.uuid}").status_code == 200

        login(client)
        log = client.get("/api/admin/log").json()
        closes = [e for e in log["entries"] if e["action"] == "close"]
        assert closes[-1]["detail"]["resumed"] is True and closes[-1]["admin"] == "server"
        assert client.post(f"/api/admin/elections/{closing.uuid}/close").status_code == 409
        result = decrypt_and_publish(client, closing, tmp_path / "b", close=False)
        assert result == [[0, 1, 0, 0], [1, 0]]
        archive = download(client, closing.uuid, tmp_path / "observer")
    done = hramada("verify", str(archive))
    assert done.returncode == 0, done.stdout + done.stderr
