"""The custodians as real processes: the key ceremony through the command line, three
`hramada custodian serve` on free ports, the registry's client computing tags with k of n,
a custodian down or lying (a real man-in-the-middle), every malformed request refused with a
clear 4xx, and nothing about requests left in any database or log."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import hramada
from server_harness import HRAMADA, certificate, free_port

from hramada.crypto import oprf
from hramada.crypto import threshold_oprf as t
from hramada.crypto.oprf import VOPRF
from hramada.registry import web
from hramada.registry.custodian_client import (
    Custodians,
    CustodiansFailed,
    Endpoint,
    load_custodians,
)

DOCUMENTS = [b"MP1234567", b"AB0000001", b"BY-EXILE-0042"]


def run(*args: str | Path) -> str:
    done = hramada("custodian", *map(str, args))
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def run_each(*commands: list[str | Path]) -> list[str]:
    """The custodians' commands of one ceremony step, run at once as the custodians would."""
    processes = [
        subprocess.Popen(
            [*HRAMADA, "custodian", *map(str, c)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for c in commands
    ]
    outputs = []
    for p in processes:
        out, errors = p.communicate(timeout=120)
        assert p.returncode == 0, (out + errors).decode()
        outputs.append(out.decode())
    return outputs


@dataclass
class Running:
    index: int
    data: Path
    port: int
    process: subprocess.Popen[bytes]
    token: str
    log: Path
    scheme: str = "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"


def start(
    index: int,
    data: Path,
    token: str,
    log: Path,
    *extra: str,
    scheme: str = "http",
    ca: Path | None = None,
) -> Running:
    port = free_port()
    args = ["custodian", "serve", "--data", str(data), "--port", str(port), *extra]
    process = subprocess.Popen([*HRAMADA, *args], stdout=subprocess.DEVNULL, stderr=log.open("ab"))
    running = Running(index, data, port, process, token, log, scheme)
    verify = ssl.create_default_context(cafile=ca) if ca else True
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            httpx.get(f"{running.url}/api/custodian", timeout=1, verify=verify).raise_for_status()
            return running
        except httpx.HTTPError:
            time.sleep(0.1)
    raise TimeoutError("the custodian did not start")


@pytest.fixture(scope="module")
def custodians(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Running]]:
    root = tmp_path_factory.mktemp("custodians")
    dirs = [root / f"c{i}" for i in (1, 2, 3)]
    run_each(
        *(
            ["init", "--index", i, "--of", 3, "--threshold", 2, "--data", d]
            for i, d in enumerate(dirs, 1)
        )
    )
    cards = [d / f"card-{i}.json" for i, d in enumerate(dirs, 1)]
    run_each(*(["deal", "--data", d, *cards] for d in dirs))
    dealings = [d / f"dealing-{i}.json" for i, d in enumerate(dirs, 1)]
    joined = run_each(*(["join", "--data", d, *dealings] for d in dirs))
    prints = {out.split("Fingerprint ")[1][:64] for out in joined}
    assert len(prints) == 1  # all three custodians hold shares of the same key
    tokens = [out.strip() for out in run_each(*(["client", "registry", "--data", d] for d in dirs))]
    servers = [
        start(i, d, tok, root / f"c{i}.log")
        for i, (d, tok) in enumerate(zip(dirs, tokens, strict=True), 1)
    ]
    yield servers
    for s in servers:
        s.process.terminate()
        s.process.wait(10)


def _commitments(server: Running) -> list[bytes]:
    info = httpx.get(f"{server.url}/api/custodian").json()
    return [bytes.fromhex(c) for c in info["commitments"]]


def _key(servers: list[Running]) -> bytes:
    """The joint key, interpolated from two share files: only a test may do this."""
    shares = [
        t.KeyShare(s.index, bytes.fromhex((s.data / "share.key").read_text())) for s in servers[:2]
    ]
    acc = bytes(32)
    for s in shares:
        acc = oprf.scalar_add(acc, oprf.scalar_mul(t.lagrange_at_zero(s.index, [1, 2]), s.secret))
    return acc


def _endpoints(servers: list[Running]) -> list[Endpoint]:
    return [Endpoint(s.index, s.url, s.token) for s in servers]


def test_tags_from_any_two_custodians_equal_the_joint_key_value(custodians: list[Running]) -> None:
    commitments = _commitments(custodians[0])
    key = _key(custodians)
    assert oprf.public_key(key) == commitments[0]
    want = [VOPRF.evaluate(key, d) for d in DOCUMENTS]
    for pair in ([0, 1], [1, 2], [2, 0]):
        result = Custodians([_endpoints(custodians)[i] for i in pair], commitments).tags(DOCUMENTS)
        assert result.tags == want and result.misbehaving == result.unreachable == []
    assert len(set(want)) == len(DOCUMENTS)


def test_the_registrys_custodians_file_and_pinned_parameters(
    custodians: list[Running], tmp_path: Path
) -> None:
    commitments = _commitments(custodians[0])
    doc = {
        "commitments": [c.hex() for c in commitments],
        "custodians": [{"index": s.index, "url": s.url, "token": s.token} for s in custodians],
    }
    (tmp_path / "custodians.json").write_text(json.dumps(doc))
    pinned = load_custodians(tmp_path / "custodians.json")
    assert pinned.check() == []
    assert pinned.tags(DOCUMENTS[:1]).tags == [VOPRF.evaluate(_key(custodians), DOCUMENTS[0])]
    swapped = [Endpoint(2, custodians[0].url, ""), Endpoint(1, custodians[1].url, "")]
    assert Custodians(swapped, commitments).check() == [2, 1]
    other = t.deal(2, 3).commitments
    assert Custodians(_endpoints(custodians), other).check() == [1, 2, 3]
    doc["custodians"] = doc["custodians"][:1]
    (tmp_path / "custodians.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="at least the threshold"):
        load_custodians(tmp_path / "custodians.json")


def test_async_calls_share_connections_and_agree(custodians: list[Running]) -> None:
    """As the registry calls it: several enrolments at once in one event loop."""
    pinned = Custodians(_endpoints(custodians), _commitments(custodians[0]))

    async def many() -> list[list[bytes]]:
        async with httpx.AsyncClient() as http:
            done = await asyncio.gather(*(pinned.tags_async([d], http) for d in DOCUMENTS))
        return [r.tags for r in done]

    key = _key(custodians)
    assert asyncio.run(many()) == [[VOPRF.evaluate(key, d)] for d in DOCUMENTS]
    assert pinned.tags([]).tags == []


def test_custodians_over_https(custodians: list[Running], tmp_path: Path) -> None:
    cert, key = certificate(tmp_path)
    c = custodians[0]
    secure = start(
        1,
        c.data,
        c.token,
        tmp_path / "tls.log",
        "--tls-cert",
        str(cert),
        "--tls-key",
        str(key),
        scheme="https",
        ca=cert,
    )
    try:
        commitments = _commitments(custodians[1])
        endpoints = [Endpoint(1, secure.url, c.token), _endpoints(custodians)[1]]
        result = Custodians(endpoints, commitments, ca_file=str(cert)).tags(DOCUMENTS[:1])
        assert result.tags == [VOPRF.evaluate(_key(custodians), DOCUMENTS[0])]
        unverified = Custodians(endpoints, commitments)  # the public CAs do not know this one
        assert unverified.check() == [1]
        with pytest.raises(CustodiansFailed, match=r"no answer from \[1\]"):
            unverified.tags(DOCUMENTS[:1])
    finally:
        secure.process.terminate()
        secure.process.wait(10)


def test_a_custodian_down_is_skipped_and_two_down_cannot_finish(custodians: list[Running]) -> None:
    commitments = _commitments(custodians[0])
    dead = Endpoint(1, f"http://127.0.0.1:{free_port()}", custodians[0].token)
    endpoints = [dead, *_endpoints(custodians)[1:]]
    result = Custodians(endpoints, commitments).tags(DOCUMENTS[:1])
    assert result.unreachable == [1] and result.tags == [
        VOPRF.evaluate(_key(custodians), DOCUMENTS[0])
    ]
    with pytest.raises(CustodiansFailed, match=r"1 valid answers, 2 needed.*no answer from \[1\]"):
        Custodians([dead, endpoints[1]], commitments).tags(DOCUMENTS[:1])


Answer = dict[str, Any]
LIES: dict[str, Callable[[Answer, list[str]], Answer | str]] = {
    "another point": lambda doc, sent: {
        **doc,
        "evaluated": [VOPRF.hash_to_group(b"a lie").hex() for _ in doc["evaluated"]],
    },
    "the blinded point back": lambda doc, sent: {**doc, "evaluated": sent},
    "no proof": lambda doc, sent: {k: v for k, v in doc.items() if k != "proof"},
    "a proof out of range": lambda doc, sent: {**doc, "proof": "ff" * 64},
    "the identity": lambda doc, sent: {**doc, "evaluated": ["00" * 32] * len(sent)},
    "one element short": lambda doc, sent: {**doc, "evaluated": doc["evaluated"][1:]},
    "not JSON": lambda doc, sent: "<html>",
}


class _Liar(BaseHTTPRequestHandler):
    """Forwards to a real custodian and alters its answer as `lie` says."""

    target = ""
    lie = "another point"

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        r = httpx.post(
            self.target + self.path,
            content=body,
            headers={
                "authorization": self.headers["authorization"],
                "content-type": "application/json",
            },
        )
        altered = LIES[self.lie](r.json(), json.loads(body)["blinded"])
        raw = (altered if isinstance(altered, str) else json.dumps(altered)).encode()
        self.send_response(200)
        self.send_header("content-length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


@pytest.mark.parametrize("lie", LIES)
def test_a_lying_custodian_is_detected_and_named(custodians: list[Running], lie: str) -> None:
    _Liar.target, _Liar.lie = custodians[1].url, lie
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), _Liar)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        commitments = _commitments(custodians[0])
        liar = Endpoint(2, f"http://127.0.0.1:{proxy.server_address[1]}", custodians[1].token)
        honest = _endpoints(custodians)
        result = Custodians([liar, honest[0], honest[2]], commitments).tags(DOCUMENTS)
        assert result.misbehaving == [2]
        assert result.tags == [VOPRF.evaluate(_key(custodians), d) for d in DOCUMENTS]
        with pytest.raises(CustodiansFailed, match=r"wrong answers from \[2\]"):
            Custodians([liar, honest[0]], commitments).tags(DOCUMENTS)
    finally:
        proxy.shutdown()


def _evaluations(server: Running) -> int:
    return int(httpx.get(f"{server.url}/api/custodian").json()["evaluations since start"])


BAD_REQUESTS = [
    ({}, b'{"blinded": []}', 401, "authentication"),
    ({"authorization": "Bearer wrong"}, b"{}", 401, "authentication"),
    (None, b"not json", 400, "json"),
    (None, b'{"blinded": []}', 400, "blinded"),
    (None, b'{"blinded": "00"}', 400, "blinded"),
    (None, json.dumps({"blinded": ["ff" * 32]}).encode(), 400, "element"),
    (None, json.dumps({"blinded": ["00" * 32]}).encode(), 400, "element"),
    (None, json.dumps({"blinded": ["01" + "00" * 31]}).encode(), 400, "element"),
    (None, json.dumps({"blinded": ["zz" * 32]}).encode(), 400, "element"),
    (None, json.dumps({"blinded": [oprf.GENERATOR.hex()] * 65}).encode(), 400, "blinded"),
    (None, b"x" * 20000, 413, "too large"),
]


@pytest.mark.parametrize(("headers", "body", "status", "check"), BAD_REQUESTS)
def test_malformed_requests_get_a_clear_4xx_and_change_nothing(
    custodians: list[Running], headers: dict | None, body: bytes, status: int, check: str
) -> None:
    server = custodians[2]
    before = _evaluations(server)
    sent = {"authorization": f"Bearer {server.token}"} if headers is None else headers
    r = httpx.post(f"{server.url}/api/custodian/evaluate", content=body, headers=sent)
    assert (r.status_code, r.json()["error"]["check"]) == (status, check)
    assert _evaluations(server) == before


def test_wrong_method_and_path(custodians: list[Running]) -> None:
    url = custodians[0].url
    assert httpx.get(f"{url}/api/custodian/evaluate").status_code == 405
    assert httpx.get(f"{url}/api/elections").json()["error"]["check"] == "path"


@pytest.mark.parametrize("which", ["", "overall-"])
def test_rate_limit(custodians: list[Running], tmp_path: Path, which: str) -> None:
    c = custodians[2]
    options = (f"--{which}rate", "1", f"--{which}burst", "3")
    limited = start(3, c.data, c.token, tmp_path / "limited.log", *options)
    try:
        body = {"blinded": [VOPRF.blind(b"x")[1].hex()] * 2}
        auth = {"authorization": f"Bearer {c.token}"}
        url = f"{limited.url}/api/custodian/evaluate"
        assert httpx.post(url, json=body, headers=auth).status_code == 200
        r = httpx.post(url, json=body, headers=auth)
        assert (r.status_code, r.json()["error"]["check"]) == (429, "rate")
    finally:
        limited.process.terminate()
        limited.process.wait(10)


def test_new_clients_are_accepted_and_guessing_tokens_is_limited(
    custodians: list[Running], tmp_path: Path
) -> None:
    c = custodians[1]
    server = start(2, c.data, c.token, tmp_path / "own.log")
    try:
        url = f"{server.url}/api/custodian/evaluate"
        body = {"blinded": [VOPRF.blind(b"x")[1].hex()]}
        token = run("client", "registrar page", "--data", c.data).strip()
        r = httpx.post(url, json=body, headers={"authorization": f"Bearer {token}"})
        assert r.status_code == 200  # a client added while the custodian runs
        with httpx.Client() as http:
            statuses = [
                http.post(url, json=body, headers={"authorization": f"Bearer guess{n}"}).status_code
                for n in range(70)
            ]
        assert statuses[:59] == [401] * 59 and 429 in statuses[59:]
        r = httpx.post(url, json=body, headers={"authorization": f"Bearer {token}"})
        assert r.status_code == 200  # known clients are not locked out by the guessing
    finally:
        server.process.terminate()
        server.process.wait(10)


def test_nothing_about_requests_is_kept(custodians: list[Running]) -> None:
    commitments = _commitments(custodians[0])
    blinded = [VOPRF.blind(d)[1] for d in DOCUMENTS]
    server = custodians[0]
    answer = httpx.post(
        f"{server.url}/api/custodian/evaluate",
        json={"blinded": [b.hex() for b in blinded]},
        headers={"authorization": f"Bearer {server.token}"},
    ).json()
    Custodians(_endpoints(custodians), commitments).tags(DOCUMENTS)
    secrets_seen = (
        [b.hex() for b in blinded] + answer["evaluated"] + [d.decode() for d in DOCUMENTS]
    )
    secrets_seen += ["127.0.0.1", server.token]
    for s in custodians:
        for path in [*s.data.iterdir(), s.log]:
            text = path.read_bytes().decode("latin-1")
            for needle in secrets_seen:
                assert needle not in text and needle.encode().hex() not in text, (path, needle)
        with sqlite3.connect(s.data / "custodian.sqlite") as db:
            tables = {r[0] for r in db.execute("select name from sqlite_master where type='table'")}
            assert tables == {"custodian", "clients", "custodian_version"}
            hashes = [r[0] for r in db.execute("select token_hash from clients")]
            assert hashes and all(len(h) == 64 and int(h, 16) >= 0 for h in hashes)
        assert (s.data / "share.key").stat().st_mode & 0o777 == 0o600
        assert (s.data / "custodian.sqlite").stat().st_mode & 0o777 == 0o600
        assert not (s.data / "transport.key").exists()


def test_a_tampered_share_is_refused_at_start(custodians: list[Running], tmp_path: Path) -> None:
    copy = tmp_path / "c1"
    copy.mkdir(mode=0o700)
    for name in ("custodian.sqlite", "share.key"):
        (copy / name).write_bytes((custodians[0].data / name).read_bytes())
        (copy / name).chmod(0o600)
    (copy / "share.key").write_text(oprf.random_scalar().hex())
    done = hramada("custodian", "show", "--data", str(copy))
    assert done.returncode == 1 and "does not match" in done.stderr
    (copy / "share.key").write_text((custodians[0].data / "share.key").read_text())
    (copy / "share.key").chmod(0o644)
    done = hramada("custodian", "show", "--data", str(copy))
    assert done.returncode == 1 and "readable by others" in done.stderr


def test_ceremony_refusals(tmp_path: Path) -> None:
    done = hramada(
        "custodian",
        "init",
        "--index",
        "4",
        "--of",
        "3",
        "--threshold",
        "2",
        "--data",
        str(tmp_path / "x"),
    )
    assert done.returncode == 1 and "index runs from 1 to 3" in done.stderr
    done = hramada(
        "custodian",
        "init",
        "--index",
        "1",
        "--of",
        "3",
        "--threshold",
        "4",
        "--data",
        str(tmp_path / "y"),
    )
    assert done.returncode == 1 and "k <= n" in done.stderr


def test_a_custodian_on_postgresql(postgres: str, tmp_path: Path) -> None:
    """The same service with its database on PostgreSQL (by URL) beside one on SQLite."""
    from hramada.registry.custodian_store import (
        Custodian,
        add_client,
        open_database,
        save_custodian,
    )

    dealings = {d: t.deal(2, 2) for d in (1, 2)}
    servers = []
    try:
        for i, url in ((1, postgres), (2, None)):
            share = {d: (dl.shares[i - 1], dl.commitments) for d, dl in dealings.items()}
            joint = t.joint_share(i, 2, share)
            data = tmp_path / f"c{i}"
            engine = open_database(data, url)
            save_custodian(engine, data, Custodian(joint.shares[0], 2, 2, joint.commitments))
            token = add_client(engine, "registry")
            engine.dispose()
            extra = ("--database", url) if url else ()
            servers.append(start(i, data, token, tmp_path / f"c{i}.log", *extra))
        assert not (tmp_path / "c1" / "custodian.sqlite").exists()
        result = Custodians(_endpoints(servers), joint.commitments).tags(DOCUMENTS[:1])
        key = _key(servers)
        assert result.tags == [VOPRF.evaluate(key, DOCUMENTS[0])]
    finally:
        for s in servers:
            s.process.terminate()
            s.process.wait(10)


def test_cors_for_the_allowed_registrar_pages_only(
    custodians: list[Running], tmp_path: Path
) -> None:
    """`--allow-origin`: preflights and answers carry CORS headers for exactly those origins, on
    the custodian's two addresses; other origins, other paths and a plain custodian get none."""
    c = custodians[0]
    allowed = ["https://registry.example", "http://127.0.0.1:8200"]
    options = [x for o in allowed for x in ("--allow-origin", o)]
    server = start(1, c.data, c.token, tmp_path / "cors.log", *options)
    plain = c
    evaluate = "/api/custodian/evaluate"
    body = {"blinded": [VOPRF.blind(b"x")[1].hex()]}
    try:
        for origin in allowed:
            pre = httpx.options(
                server.url + evaluate,
                headers={
                    "origin": origin,
                    "access-control-request-method": "POST",
                    "access-control-request-headers": "authorization, content-type",
                },
            )
            assert pre.status_code == 200
            assert pre.headers["access-control-allow-origin"] == origin
            assert "authorization" in pre.headers["access-control-allow-headers"].lower()
            assert "POST" in pre.headers["access-control-allow-methods"]
            auth = {"authorization": f"Bearer {c.token}", "origin": origin}
            r = httpx.post(server.url + evaluate, json=body, headers=auth)
            assert r.status_code == 200 and r.headers["access-control-allow-origin"] == origin
            info = httpx.get(server.url + "/api/custodian", headers={"origin": origin})
            assert info.headers["access-control-allow-origin"] == origin
            assert "origin" in info.headers["vary"].lower()
            other_path = httpx.get(server.url + "/api/elections", headers={"origin": origin})
            assert other_path.status_code == 404
            assert "access-control-allow-origin" not in other_path.headers
        for url, origin in [(server.url, "https://evil.example"), (plain.url, allowed[0])]:
            pre = httpx.options(
                url + evaluate,
                headers={"origin": origin, "access-control-request-method": "POST"},
            )
            assert "access-control-allow-origin" not in pre.headers
            auth = {"authorization": f"Bearer {c.token}", "origin": origin}
            r = httpx.post(url + evaluate, json=body, headers=auth)
            assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
    finally:
        server.process.terminate()
        server.process.wait(10)
    bad = hramada(
        "custodian", "serve", "--data", str(c.data), "--allow-origin", "https://x.example/page"
    )
    assert bad.returncode == 1 and "not an origin" in bad.stdout + bad.stderr


@pytest.mark.parametrize(
    ("given", "origin"),
    [
        ("https://Registry.Example", "https://registry.example"),
        ("https://registry.example:443/", "https://registry.example"),
        ("http://127.0.0.1:8200", "http://127.0.0.1:8200"),
        ("https://[::1]:8443", "https://[::1]:8443"),
        ("https://registry.example:80", "https://registry.example:80"),
        ("https://registry.example/registrar", None),
        ("https://registry.example?x=1", None),
        ("https://user@registry.example", None),
        ("ftp://registry.example", None),
        ("registry.example", None),
        ("https://registry.example:99999", None),
    ],
)
def test_origins_as_browsers_send_them(given: str, origin: str | None) -> None:
    """The browser's Origin header drops the default port and upper case: so do the options."""
    if origin is None:
        with pytest.raises(ValueError, match="not an origin"):
            web.origin(given)
    else:
        assert web.origin(given) == origin
