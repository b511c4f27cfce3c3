"""A first election as its people run it: `serve --demo` started, restarted and finished by the
trustees with exactly the commands their page shows; secrets stay whole and private."""

from __future__ import annotations

import html
import json
import re
import shlex
import signal
import stat
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from conftest import hramada
from server_harness import HRAMADA, free_port

from hramada.election.demo import DEMO_TEMPLATE


@contextmanager
def demo_server(data: Path, log: Path) -> Iterator[str]:
    """`hramada serve --demo`, its output going to a file (not a terminal)."""
    port = free_port()
    args = ["serve", "--demo", "--port", str(port), "--data", str(data), "--workers", "1"]
    with log.open("w") as out:
        process = subprocess.Popen([*HRAMADA, *args], stdout=out)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, "the server exited at start"
            assert time.monotonic() < deadline, "the server did not start"
            try:
                httpx.get(f"{url}/api/elections", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def page_command(page: str, ident: str) -> str:
    found = re.search(rf'<pre id="{ident}"><code>(.*?)</code></pre>', page, re.S)
    assert found, ident
    return html.unescape(found.group(1))


def run_as_shown(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a command from a page in a shell, as the trustee pastes it."""
    line = command.replace("hramada ", " ".join(map(shlex.quote, HRAMADA)) + " ", 1)
    return subprocess.run(line, shell=True, cwd=cwd, capture_output=True, text=True)


def test_the_demo_from_start_to_result(tmp_path: Path) -> None:
    data = tmp_path / "hramada-data"
    with demo_server(data, tmp_path / "first.log") as url:
        demo = json.loads((data / "demo" / "demo.json").read_text())
        out = (tmp_path / "first.log").read_text().splitlines()
        uuid = demo["uuid"]
        assert f"Demo election open: {url}/elections/{uuid}" in out
        # Piped to a file, nothing is wrapped: each secret is whole on its line.
        assert any(line.endswith(f"password {demo['admin_password']})") for line in out)
        for credential in demo["credentials"][:5]:
            assert f"  {credential}" in out

        # Secrets and the data folder are the owner's only.
        assert mode(data) == 0o700
        assert mode(data / "hramada.sqlite") == 0o600
        assert mode(data / "demo" / "demo.json") == 0o600
        homes = [Path(t["folder"]) for t in demo["trustees"]]
        assert len(homes) == 3
        for home in homes:
            assert mode(home / "link.txt") == 0o600
            (key,) = home.glob("hramada-trustee-*/*.privkey")
            assert mode(key) == 0o600

        client = httpx.Client(base_url=url, headers={"origin": url}, timeout=120)
        r = client.post("/api/admin/login", json={"username": "admin",
                                                  "password": demo["admin_password"]})  # fmt: skip
        assert r.status_code == 200, r.text
        assert client.post(f"/api/admin/elections/{uuid}/close").status_code == 200
        client.close()

    with demo_server(data, tmp_path / "second.log") as url:
        out = (tmp_path / "second.log").read_text()
        assert "Demo election open" not in out and demo["credentials"][0] not in out
        assert f"Demo election, tallied: awaiting the trustees' partial decryptions: {url}" in out
        client = httpx.Client(base_url=url, headers={"origin": url}, timeout=120)
        for home in homes:
            link = (home / "link.txt").read_text().strip()
            page = client.get(link).text
            assert f"“{DEMO_TEMPLATE.name}”" in page  # named, not shown by its id
            assert "trustee keygen" not in page  # the key arrived: step 1 is done
            download = page_command(page, "cmd-download")
            assert download.startswith("curl -o election.bel ")
            (home / "election.bel").write_bytes(client.get(download.split()[-1]).content)
            done = run_as_shown(page_command(page, "cmd-decrypt"), home)
            assert done.returncode == 0, done.stderr
            # The README's form: the trustee link followed by /decryption.
            done = hramada("trustee", "submit", f"{url}{link}/decryption", str(home / "pd.json"))
            assert done.returncode == 0, done.stderr
            assert done.stdout.strip() == (
                "The server accepted your partial decryption: its proofs hold."
            )
        wrong = hramada("trustee", "submit", f"{url}/trustee/nope/decryption",
                        str(homes[0] / "pd.json"))  # fmt: skip
        assert wrong.returncode == 1
        assert len(wrong.stderr.strip().splitlines()) == 1 and "<" not in wrong.stderr
        assert "trustee link is not valid" in wrong.stderr
        nowhere = hramada("trustee", "submit", f"{url}/no/such/page", str(homes[0] / "pd.json"))
        assert nowhere.returncode == 1 and "HTTP 404" in nowhere.stderr
        assert len(nowhere.stderr.strip().splitlines()) == 1 and "<" not in nowhere.stderr
        r = client.post("/api/admin/login", json={"username": "admin",
                                                  "password": demo["admin_password"]})  # fmt: skip
        assert client.post(f"/api/admin/elections/{uuid}/publish").status_code == 200
        client.close()

    with demo_server(data, tmp_path / "third.log") as url:
        out = (tmp_path / "third.log").read_text()
        assert f"Demo election, result published: {url}/elections/{uuid}/result" in out


def test_trustee_submit_of_a_missing_file_is_one_line(tmp_path: Path) -> None:
    done = hramada("trustee", "submit", "http://127.0.0.1:9/trustee/x/key", str(tmp_path / "k"))
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1


def test_the_commands_create_private_files_owner_only(tmp_path: Path) -> None:
    (tmp_path / "voters.txt").write_text("a@x.invalid\nb@x.invalid\n")
    made = hramada("credentials", "generate", "--uuid", "BtvdQEJqXbUDGQ", "--voters",
                   str(tmp_path / "voters.txt"), "--out", str(tmp_path / "ca"))  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert mode(tmp_path / "ca" / "private_credentials.json") == 0o600
    made = hramada("trustee", "keygen", "--out", str(tmp_path / "t"))
    assert made.returncode == 0, made.stderr
    (key,) = (tmp_path / "t").glob("*.privkey")
    assert mode(key) == 0o600
