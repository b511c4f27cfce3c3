"""The member's page as the registry serves it: strict headers that let it reach only the
configured election servers, its settings in the page, every message it shows in the catalogs,
and the options of `hramada registry serve` that configure it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from hramada.booth.i18n import LANGUAGES, messages
from hramada.booth.pages import BOOTH_DIR
from hramada.registry import registry_store as store
from hramada.registry.member_page import MemberPage, delay
from hramada.registry.service import create_app
from hramada.registry.web import origin

SERVERS = ("https://vote.example.org", "http://127.0.0.1:8000")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data = tmp_path_factory.mktemp("registry")
    app = create_app(store.open_database(data, None), data, member=MemberPage(SERVERS, (1, 2)))
    with TestClient(app) as c:
        yield c


def test_the_page_reaches_only_the_listed_servers(client: TestClient) -> None:
    r = client.get("/member", headers={"accept-language": "be"})
    assert r.status_code == 200 and '<html lang="be">' in r.text
    csp = dict(
        part.strip().split(" ", 1) for part in r.headers["content-security-policy"].split(";")
    )
    assert csp["connect-src"] == "'self' " + " ".join(SERVERS)
    assert csp["script-src"] == "'self'" and csp["default-src"] == "'none'"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["cache-control"] == "no-store"
    servers = re.search(r"data-servers='([^']*)'", r.text)
    assert servers and json.loads(servers.group(1)) == list(SERVERS)
    assert 'data-delay-min="1" data-delay-max="2"' in r.text
    assert 'data-vote-path="/elections/UUID/vote"' in r.text
    assert client.get("/member?lang=lt").text.count('<html lang="lt">') == 1
    assert 'class="brand" href="/member"' in r.text  # the registry's pages lead to its own
    assert client.get("/static/css/site.css").status_code == 200
    assert client.get("/static/js/member.js").status_code == 200  # npm run build
    assert client.get("/api/registry").status_code == 200  # the API is still there


def test_every_message_of_the_page_script_is_in_every_catalog() -> None:
    sources = [BOOTH_DIR / "js" / "member.js", *(BOOTH_DIR / "js" / "member").glob("*.js")]
    used = set()
    for source in sources:
        used |= set(re.findall(r"""['"`](member\.js\.\w+)['"`]""", source.read_text()))
        for where in re.findall(r"member\.js\.\$\{where\}_(\w+)", source.read_text()):
            used |= {f"member.js.{w}_{where}" for w in ("server", "registry")}
    assert {"member.js.not_enrolled", "member.js.already", "member.js.binding"} <= used
    assert {"member.js.already_token"} <= used
    assert {"member.js.closed", "member.js.server_unreachable"} <= used
    for lang in LANGUAGES:
        assert used <= set(messages(lang)), (lang, used - set(messages(lang)))


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://Vote.Example.org/", "https://vote.example.org"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("https://vote.example.org:443", "https://vote.example.org"),  # as browsers spell it
        ("http://[::1]:80/", "http://[::1]"),
        ("https://vote.example.org:99999", None),
        ("ftp://vote.example.org", None),
        ("https://vote.example.org/elections", None),
        ("https://vote.example.org/?x=1", None),
        ("vote.example.org", None),
        ("https://user:pw@vote.example.org", None),
    ],
)
def test_election_servers_are_origins(given: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(ValueError):
            origin(given)
    else:
        assert origin(given) == expected


def test_the_delay_is_min_max_seconds() -> None:
    assert delay("30:300") == (30, 300) and delay("0:0") == (0, 0)
    for bad in ("300:30", "30", "-1:5", "a:b", ""):
        with pytest.raises(ValueError):
            delay(bad)


def test_serve_refuses_a_bad_option(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from hramada.cli.main import app

    runner = CliRunner()
    for args in (["--election-server", "vote.example.org"], ["--registration-delay", "5"]):
        done = runner.invoke(app, ["registry", "serve", "--data", str(tmp_path), *args])
        assert done.exit_code == 2, done.output
    assert not list(tmp_path.iterdir())  # refused before anything was made
