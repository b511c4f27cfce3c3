"""The registrar's page against the command line's client: enrolments one after the other, each
from the document number typed to the registry's answer, through 2 of 3 real custodian
processes and a real `hramada registry serve`, in Chromium (voprf-ts, noble) and in Python
(libsodium), in the same run.

    .venv/bin/python bench/bench_registrar_page.py [--members 30]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from bench_oprf import _free_port, serve_three
from nacl.signing import SigningKey
from playwright.sync_api import expect, sync_playwright

from hramada.registry import enrol
from hramada.registry import registry_store as store

NAME, PASSWORD = "bench", "a long bench password"


def start_registry(
    root: Path, port: int, origins: list[str], key: SigningKey
) -> subprocess.Popen[bytes]:
    engine = store.open_database(root / "registry", None)
    store.add_registrar(engine, NAME, "registrar", PASSWORD, key.verify_key.encode().hex())
    engine.dispose()
    options = [x for o in origins for x in ("--custodian-origin", o)]
    process = subprocess.Popen(
        [sys.executable, "-m", "hramada", "registry", "serve", "--data", str(root / "registry"),
         "--port", str(port), *options],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(300):
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/registry", timeout=1).raise_for_status()
            return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.terminate()
    raise TimeoutError("the registry did not start")


def in_the_browser(url: str, key_file: Path, custodians_file: Path, n: int) -> list[float]:
    seconds = []
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=shutil.which("chromium"), args=["--no-sandbox"]
        )
        page = chromium.new_page()
        page.goto(f"{url}/registrar")
        page.fill("#login-name", NAME)
        page.fill("#login-password", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.set_input_files("#key-file", str(key_file))
        page.set_input_files("#custodians-file", str(custodians_file))
        outcome = page.locator("#enrol-outcome")
        for i in range(n):
            page.fill("#member-key", SigningKey.generate().verify_key.encode().hex())
            page.fill("#document-number", f"MP {i:07d}")
            t0 = time.perf_counter()
            page.click("#enrol-button")
            expect(page.locator("#document-number")).to_have_value("", timeout=60_000)
            seconds.append(time.perf_counter() - t0)
            assert "Enrolled" in outcome.inner_text()
        chromium.close()
    return seconds


def in_python(url: str, key: SigningKey, custodians_file: Path, n: int) -> list[float]:
    from hramada.registry.custodian_client import load_custodians

    pinned = load_custodians(custodians_file)
    seconds = []
    with httpx.Client(base_url=url, timeout=60) as http:
        session = enrol.login(http, NAME, PASSWORD)
        for i in range(n):
            member = SigningKey.generate().verify_key.encode().hex()
            t0 = time.perf_counter()
            r = enrol.enrol(http, session, pinned, key, f"AB {i:07d}", member)
            seconds.append(time.perf_counter() - t0)
            assert r.status_code == 201, r.text
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        processes, custodians = serve_three(root, "--allow-origin", url)
        try:
            key = SigningKey.generate()
            origins = [e.url for e in custodians.endpoints]
            processes.append(start_registry(root, port, origins, key))
            key_file = root / "registrar.key"
            key_file.write_text(key.encode().hex() + "\n")
            custodians_file = root / "custodians.json"
            custodians_file.write_text(json.dumps({
                "commitments": [c.hex() for c in custodians.commitments],
                "custodians": [{"index": e.index, "url": e.url, "token": e.token}
                               for e in custodians.endpoints],
            }))  # fmt: skip
            page = in_the_browser(url, key_file, custodians_file, args.members)
            cli = in_python(url, key, custodians_file, args.members)
        finally:
            for p in processes:
                p.terminate()
                p.wait(10)
    for name, times in (("page (Chromium, voprf-ts)", page), ("Python client", cli)):
        print(f"{name}: median {statistics.median(times) * 1000:.0f} ms, "
              f"mean {statistics.mean(times) * 1000:.0f} ms per enrolment")  # fmt: skip
    print(f"page / Python, medians: {statistics.median(page) / statistics.median(cli):.2f}x")


if __name__ == "__main__":
    main()
