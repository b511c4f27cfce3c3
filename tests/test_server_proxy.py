"""HTTPS: the admin console works behind a real TLS reverse proxy (Debian's nginx) and with
the server's own TLS, cookies are Secure, and forwarded client addresses are believed only
from the configured proxies."""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import sync_playwright
from server_harness import ADMIN, Server, add_admin, certificate, free_port, until_refused
from test_browser import CHROMIUM, FLAGS, create_election, log_in

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

pytestmark = pytest.mark.skipif(
    not Path(NGINX).exists() and not os.environ.get("CI"),
    reason="nginx is not installed (apt-get install nginx)",
)


NGINX_CONF = """
{user}
worker_processes 1;
daemon off;
error_log {root}/error.log warn;
pid {root}/nginx.pid;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    client_max_body_size 300m;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        location / {{
            proxy_pass http://127.0.0.1:{backend};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


@contextmanager
def nginx(root: Path, backend: int, cert: Path, key: Path) -> Iterator[str]:
    """nginx terminating TLS on a free port in front of `backend`; its https:// address."""
    port = free_port()
    root.mkdir(parents=True, exist_ok=True)
    user = "user root;" if os.geteuid() == 0 else ""
    conf = root / "nginx.conf"
    conf.write_text(NGINX_CONF.format(user=user, root=root, port=port, backend=backend,
                                      cert=cert, key=key))  # fmt: skip
    process = subprocess.Popen([NGINX, "-p", str(root), "-c", str(conf)], stderr=subprocess.PIPE)
    url = f"https://127.0.0.1:{port}"
    context = ssl.create_default_context(cafile=cert)
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            try:
                httpx.get(url, verify=context, timeout=1)  # any answer: 502 until the server runs
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def test_the_console_works_behind_a_tls_reverse_proxy(tmp_path: Path) -> None:
    cert, key = certificate(tmp_path)
    data = tmp_path / "server"
    add_admin(data, None)
    backend = free_port()
    with nginx(tmp_path / "nginx", backend, cert, key) as public:
        server = Server(data, workers=1, port=backend)
        server.extra = ["--public-url", public, "--trusted-proxy", "127.0.0.1"]
        server.start()
        try:
            console_in_a_browser(public)
            with httpx.Client(
                base_url=public, verify=ssl.create_default_context(cafile=cert)
            ) as browser:
                r = browser.get("/")
                assert r.status_code == 200
                r = browser.post(
                    "/api/admin/login",
                    json={"username": ADMIN[0], "password": ADMIN[1]},
                    headers={"origin": public},
                )
                assert r.status_code == 200, r.text
                assert "Secure" in r.headers["set-cookie"]
        finally:
            server.stop()


def console_in_a_browser(public: str) -> None:
    """Chromium logs in through the proxy and creates an election; the cookie is Secure."""
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        context = chromium.new_context(ignore_https_errors=True, locale="en")
        admin = context.new_page()
        log_in(admin, public)
        admin.goto(f"{public}/admin#/new")
        admin.fill("#new-name", "Behind the proxy")
        create_election(admin, "Adopt the charter?", ["Yes", "No"])
        (session,) = [c for c in context.cookies() if c["name"] == "hramada_session"]
        assert session["secure"] and session["httpOnly"]
        chromium.close()


def test_built_in_tls_and_forwarded_addresses(tmp_path: Path) -> None:
    cert, key = certificate(tmp_path)
    data = tmp_path / "server"
    add_admin(data, None)
    server = Server(data, workers=1, scheme="https")
    server.extra = ["--tls-cert", str(cert), "--tls-key", str(key)]
    server.start()
    try:
        with httpx.Client(
            base_url=server.url, verify=ssl.create_default_context(cafile=cert)
        ) as browser:
            r = browser.post(
                "/api/admin/login",
                json={"username": ADMIN[0], "password": ADMIN[1]},
                headers={"origin": server.url},
            )
            assert r.status_code == 200 and "Secure" in r.headers["set-cookie"]
            assert browser.get("/api/admin/me").status_code == 200
    finally:
        server.stop()

    # Without --trusted-proxy, X-Forwarded-For is ignored: one client, already refused. (Its
    # allowance may have refilled just above one failure, so one of two tries is refused.)
    assert 429 in failed_logins_refused(tmp_path / "plain", [])
    # From a trusted proxy, each forwarded address has its own allowance.
    trusted = ["--trusted-proxy", "127.0.0.1"]
    assert failed_logins_refused(tmp_path / "proxied", trusted) == [401, 401]


def failed_logins_refused(data: Path, extra: list[str]) -> list[int]:
    """Failed logins forwarded for 10.0.0.1 until it is refused, then two for 10.0.0.2:
    their answers."""
    add_admin(data, None)
    server = Server(data, workers=1, extra=extra).start()
    wrong = {"username": ADMIN[0], "password": "wrong password!"}

    def log_in(client: httpx.Client, address: str) -> int:
        headers = {"x-forwarded-for": address}
        return client.post("/api/admin/login", json=wrong, headers=headers).status_code

    try:
        with httpx.Client(base_url=server.url) as client:
            until_refused(lambda: log_in(client, "10.0.0.1"))
            return [log_in(client, "10.0.0.2") for _ in range(2)]
    finally:
        server.stop()
