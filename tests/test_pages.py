"""The web pages: every page in every language, complete catalogs, nothing a strict CSP blocks."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import msgspec
import pytest
from test_seats_archive import REFERENDUM, RULES, council_election

from hramada.booth.i18n import LANGUAGES, NATIVE_NAMES, messages, negotiate, placeholders
from hramada.booth.pages import PAGES, STATIC_DIR, TEMPLATES_DIR, render
from hramada.server.council import seats_info

BOOTH = Path(__file__).resolve().parents[1] / "src" / "hramada" / "booth"
UUID = "6RkBQe8ZQrjEGm"


def election(**changes: Any) -> dict[str, Any]:
    """An election info dict shaped like GET /api/elections/{uuid}."""
    info: dict[str, Any] = {
        "uuid": UUID,
        "name": "Council <script>alert(1)</script> 2026",
        "description": "First line\n\nSecond line",
        "state": "open",
        "voting": True,
        "opens_at": "2026-11-23T10:00:00Z",
        "closes_at": "2026-11-30T18:00:00Z",
        "closed_at": None,
        "group": "Ed25519",
        "questions": [
            {
                "question": "Who?",
                "answers": ["Ala", "Boris", "Cyryl"],
                "min": 1,
                "max": 2,
                "blank": True,
            },
            {
                "question": "Yes or no?",
                "answers": ["Yes", "No"],
                "min": 1,
                "max": 1,
                "blank": False,
            },
        ],
        "eligible": 100,
        "ballots": 12,
        "voters": 10,
        "chain_head": "3b1f" * 16,
        "fingerprint": "q1w2e3r4t5y6u7i8o9p0",
        "decisions": [
            {"time": "2026-11-24T09:30:00Z", "action": "window", "detail": "outage: +1 day"},
            {"time": "2026-11-25T09:30:00Z", "action": "something-new", "detail": ""},
        ],
        "trustees": [{"name": "Trustee One", "key_submitted": True, "decrypted": False}],
        "result": [[1, 5, 4, 2], [6, 4]],
        "total_weight": None,
        "weighted": False,
        "translations": {},
    }
    info.update(changes)
    return info


def council(**changes: Any) -> dict[str, Any]:
    """A council election's info: a list question bound to seat rules, with its seats."""
    ballot = council_election()
    result = changes.get("result", [[1, 4, 2, 1], [3, 2]])
    rules = RULES | {"referendums": [REFERENDUM]}
    seats = seats_info(json.dumps(rules).encode(), ballot, result, "ab" * 32, (8, 10))
    questions = [msgspec.to_builtins(q) | {"blank": bool(q.blank)} for q in ballot.questions]
    return election(questions=questions, seats=seats, result=result) | changes


def summary(info: dict[str, Any]) -> dict[str, Any]:
    keys = ("uuid", "name", "translations", "state", "voting", "opens_at", "closes_at", "closed_at")
    return {k: info[k] for k in keys}


def trustee(**changes: Any) -> dict[str, Any]:
    """A trustee info dict shaped like GET /api/trustee/{token}."""
    info: dict[str, Any] = {
        "election": UUID,
        "election_name": "Council 2026",
        "name": "Trustee One",
        "group": "Ed25519",
        "state": "tallied",
        "key_submitted": False,
        "decryption_submitted": False,
        "archive": f"/elections/{UUID}/archive.bel",
    }
    info.update(changes)
    return info


BALLOTS: list[dict[str, Any]] = [
    {"tracking_code": "Ab+/cd0123456789Ab+/cd0123456789Ab+/cd01234", "superseded": True},
    {"tracking_code": "Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9", "superseded": False},
]

# Every page with the contexts the server passes, including the edge cases of each.
PVT_REPORT = {
    "coverage": {
        "stations": 3,
        "with_protocol": 2,
        "with_verified_votes": 2,
        "verified_votes": 5,
        "official_votes": 900,
    },
    "flagged": [
        {
            "station": "S1",
            "region": "Minsk",
            "address": "School 1",
            "candidates": [
                {"candidate": "<script>alert(1)</script>", "verified": 3, "official": 2}
            ],
        }
    ],
}
PVT_CASES: list[tuple[str, dict[str, Any]]] = [
    (
        "pvt_report.html",
        {"report": PVT_REPORT, "chart": "<svg></svg>", "head": "ab" * 32, "public_key": "cd"},
    ),
    (
        "pvt_report.html",
        {
            "report": {"coverage": PVT_REPORT["coverage"], "flagged": []},
            "chart": "",
            "head": None,
            "public_key": "cd",
        },
    ),
    ("pvt_submit.html", {"candidates": ["A", "B"], "done": False, "error": None}),
    (
        "pvt_submit.html",
        {"candidates": ["A"], "done": False, "error": {"check": "code", "message": "refused"}},
    ),
    ("pvt_submit.html", {"candidates": ["A"], "done": True, "error": None}),
    ("pvt_moderate.html", {"user": None, "pending": []}),
    (
        "pvt_moderate.html",
        {
            "user": "mod",
            "pending": [{"id": 1, "station": "S1", "candidate": "A", "confirmations": 1}],
        },
    ),
]

CASES: list[tuple[str, dict[str, Any]]] = [
    (
        "index.html",
        {"elections": [summary(election()), summary(election(state="draft", voting=False))]},
    ),
    ("index.html", {"elections": []}),
    ("election.html", {"election": election(), "base_url": "http://127.0.0.1:8000"}),
    (
        "election.html",
        {
            "election": election(
                state="draft",
                voting=False,
                opens_at=None,
                closes_at=None,
                fingerprint=None,
                chain_head=None,
                decisions=[],
                trustees=[],
                result=None,
            ),
            "base_url": "https://vote.example",
        },
    ),
    ("vote.html", {"election": election()}),
    ("vote.html", {"election": election(state="closed", voting=False)}),
    ("board.html", {"election": election(), "ballots": BALLOTS, "chain_head": "ab" * 32}),
    ("board.html", {"election": election(), "ballots": [], "chain_head": None}),
    ("result.html", {"election": election(state="published", voting=False)}),
    ("result.html", {"election": election(result=[[0, 0, 0, 0], [0, 0]], voters=0)}),
    ("result.html", {"election": election(result=None)}),
    ("result.html", {"election": election(), "base_url": "http://127.0.0.1:8000"}),
    ("vote.html", {"election": council()}),
    ("election.html", {"election": council(), "base_url": "https://vote.example"}),
    ("result.html", {"election": council(state="published", voting=False)}),
    ("result.html", {"election": council(result=[[0, 0, 0, 0], [0, 0]], voters=0)}),
    ("admin.html", {}),
    ("trustee.html", {"trustee": trustee(), "token": "TOKEN123", "base_url": "https://v.example"}),
    (
        "trustee.html",
        {
            "trustee": trustee(
                key_submitted=True, decryption_submitted=True, election_name="Council"
            ),
            "token": "TOKEN123",
            "base_url": "https://v.example",
        },
    ),
    ("error.html", {"status": 404, "check": "request", "message": "No such election <here>"}),
    (
        "member.html",
        {"servers": ["https://v.example", "http://127.0.0.1:8000"], "delay": (30, 300)},
    ),
    ("error.html", {"status": 418, "check": "teapot", "message": "I am a teapot"}),
    *PVT_CASES,
]


class Page(HTMLParser):
    """What a strict CSP cares about in a page, plus ids and data blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.ids: list[str] = []
        self.data_blocks: dict[str, str] = {}
        self.inline_scripts: list[str] = []
        self._script: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if attributes.get("id"):
            self.ids.append(str(attributes["id"]))
        if tag == "script":
            self._script, self._text = attributes, []

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            text = "".join(self._text)
            if self._script.get("type") == "application/json":
                self.data_blocks[str(self._script.get("id"))] = text
            elif text.strip():
                self.inline_scripts.append(text)
            self._script = None


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(("page", "context"), CASES, ids=[c[0] for c in CASES])
def test_every_page_renders_in_every_language(
    page: str, context: dict[str, Any], lang: str
) -> None:
    html = render(page, lang, **context)
    parsed = parse(html)
    assert f'<html lang="{lang}">' in html
    assert parsed.tags[0][0] == "html"
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    assert title and title.group(1).strip()
    # the language switcher: each language by its own name
    for code in LANGUAGES:
        assert f'href="?lang={code}"' in html
        assert NATIVE_NAMES[code] in html
    assert 'href="/"' in html  # footer link to the election list
    assert "<script>alert(1)</script>" not in html
    assert "No such election <here>" not in html
    assert len(parsed.ids) == len(set(parsed.ids)), "duplicate ids"


@pytest.mark.parametrize(("page", "context"), CASES, ids=[c[0] for c in CASES])
def test_nothing_a_strict_csp_blocks(page: str, context: dict[str, Any]) -> None:
    parsed = parse(render(page, "be", **context))
    assert not parsed.inline_scripts
    for tag, attributes in parsed.tags:
        assert tag != "style", "inline <style>"
        assert "style" not in attributes, f"style attribute on <{tag}>"
        handlers = [name for name in attributes if name.startswith("on")]
        assert not handlers, f"event handler {handlers} on <{tag}>"
        if tag == "script":
            kind = attributes.get("type")
            assert kind in ("application/json", "module"), kind
            if kind == "module":
                assert str(attributes.get("src", "")).startswith("/static/js/")
        for name in ("href", "src", "action"):
            value = attributes.get(name) or ""
            assert not value.lower().startswith(("javascript:", "http:", "https:", "//")), value
    for block in parsed.data_blocks.values():
        assert isinstance(json.loads(block), dict)


def test_labels_point_at_fields() -> None:
    for page, context in CASES:
        parsed = parse(render(page, "en", **context))
        ids = set(parsed.ids)
        for tag, attributes in parsed.tags:
            if tag == "label" and attributes.get("for"):
                assert attributes["for"] in ids, (page, attributes["for"])


def test_pages_need_their_context() -> None:
    from jinja2 import UndefinedError

    with pytest.raises(UndefinedError):
        render("election.html", "en")
    with pytest.raises(ValueError):
        render("index.html", "fr", elections=[])


def test_page_details() -> None:
    html = render("election.html", "en", election=election(), base_url="http://127.0.0.1:8000")
    assert f"curl -o {UUID}.bel http://127.0.0.1:8000/elections/{UUID}/archive.bel" in html
    assert f"hramada verify {UUID}.bel" in html
    assert f"belenios-tool election verify --dir {UUID}" in html
    assert "outage: +1 day" in html and "Voting window changed" in html
    assert "something-new" in html
    assert '<time datetime="2026-11-23T10:00:00Z">2026-11-23 10:00 UTC</time>' in html

    vote = parse(render("vote.html", "en", election=election()))
    credential = next(a for t, a in vote.tags if a.get("id") == "credential")
    assert credential["autocomplete"] == "off" and credential["spellcheck"] == "false"
    assert "name" not in credential  # never part of a form submission
    booth = next(a for t, a in vote.tags if a.get("id") == "booth")
    assert booth["data-uuid"] == UUID
    assert booth["data-election-url"] == f"/elections/{UUID}/election.json"
    assert booth["data-worker-url"] == "/static/js/worker.js"
    scripts = [a.get("src") for t, a in vote.tags if t == "script" and a.get("type") == "module"]
    assert scripts == ["/static/js/booth.js"]
    catalog = json.loads(vote.data_blocks["messages"])
    assert "vote.js.credential_checksum" in catalog and "check.credential" in catalog
    closed = render("vote.html", "en", election=election(voting=False))
    assert 'id="booth"' not in closed and 'id="messages"' not in closed
    # the script still runs: it removes a credential the member page handed over in the address
    assert '<script type="module" src="/static/js/booth.js">' in closed

    board = render("board.html", "en", election=election(), ballots=BALLOTS, chain_head="HEAD")
    assert BALLOTS[0]["tracking_code"] in board and "HEAD" in board
    assert "replaced by a later ballot of the same voter" in board

    result = render("result.html", "pl", election=election())
    assert "50,0\u00a0%" in result and "<svg" in result
    assert render("result.html", "en", election=election()).count('class="bar') == 6
    assert "There is no result yet" in render("result.html", "en", election=election(result=None))

    trustee_page = render(
        "trustee.html", "en", trustee=trustee(), token="TOK", base_url="https://v.example"
    )
    for command in (
        "hramada trustee keygen --group Ed25519 --out",
        "hramada trustee submit https://v.example/api/trustee/TOK/key",
        f"curl -o election.bel https://v.example/elections/{UUID}/archive.bel",
        "hramada trustee decrypt election.bel --key",
        "hramada trustee submit https://v.example/api/trustee/TOK/decryption pd.json",
    ):
        assert command in trustee_page
    assert "“Council 2026”" in trustee_page  # the election by its name, not its id
    done = render(
        "trustee.html",
        "en",
        trustee=trustee(key_submitted=True),
        token="TOK",
        base_url="https://v.example",
    )
    assert "trustee keygen" not in done and "TOK/key" not in done  # step 1 is over
    assert "TOK/decryption pd.json" in done


def test_catalogs_are_complete() -> None:
    english = messages("en")
    for lang in LANGUAGES:
        catalog = messages(lang)
        assert set(catalog) == set(english), lang
        for key, text in english.items():
            assert placeholders(catalog[key]) == placeholders(text), (lang, key)
            assert catalog[key].strip(), (lang, key)
    assert messages("be") is messages("be")  # read once


def test_every_key_used_is_in_the_catalog() -> None:
    english = messages("en")
    sources = [
        *TEMPLATES_DIR.glob("*.html"),
        *(BOOTH / "js").glob("*.js"),
        *(BOOTH / "js" / "ui").glob("*.js"),
    ]
    used = set()
    for source in sources:
        used |= set(re.findall(r"""\bt\(\s*['"]([\w.]+)['"]""", source.read_text()))
    # keys the code builds from a prefix
    used -= {"state.", "decision.", "check.", "pvt.check.", "admin.js.confirm_", "admin.js.done_"}
    used -= {"error.check.", "error.status.", "detail."}
    used -= {"seats.method.", "seats.gender.", "seats.count.", "seats.threshold_base."}
    used -= {"seats.quota_base."}
    assert used, "no keys found"
    assert used <= set(english), used - set(english)
    for state in ("draft", "open", "closed", "tallied", "published"):
        assert f"state.{state}" in english
    for action in ("open", "close", "publish"):
        assert f"admin.js.confirm_{action}" in english and f"admin.js.done_{action}" in english
    checks = (
        "ballot format",
        "election uuid",
        "election fingerprint",
        "credential",
        "signature",
        "individual proof",
        "blank proof",
        "overall proof",
        "ballot element",
        "replay",
        "phase",
        "window",
        "too large",
        "rate",
    )
    for check in checks:
        assert f"check.{check}" in english


def test_every_page_is_a_template() -> None:
    assert {
        p.name for p in TEMPLATES_DIR.glob("*.html") if not p.name.startswith(("_", "base"))
    } == set(PAGES)
    assert (STATIC_DIR / "logo.svg").is_file()
    assert (STATIC_DIR / "css" / "site.css").is_file()


@pytest.mark.parametrize(
    ("requested", "cookie", "accept", "expected"),
    [
        ("be", "ru", "pl", "be"),
        ("BE", None, None, "be"),
        ("xx", "uk", "pl", "uk"),
        (None, "lt", "ru", "lt"),
        (None, "fr", "ru-RU,ru;q=0.9,en;q=0.8", "ru"),
        (None, None, "de-DE,de;q=0.9,pl;q=0.8,en;q=0.7", "pl"),
        (None, None, "en;q=0.5, be;q=0.9", "be"),
        (None, None, "be-tarask", "be"),
        (None, None, "uk;q=0, lt", "lt"),
        (None, None, "fr, de", "en"),
        (None, None, "*", "en"),
        (None, None, "pl;q=abc, ru;q=0.1", "ru"),
        (None, None, "", "en"),
        (None, None, None, "en"),
        ("", "", "", "en"),
    ],
)
def test_negotiate(
    requested: str | None, cookie: str | None, accept: str | None, expected: str
) -> None:
    assert negotiate(requested, cookie, accept) == expected


def test_threshold_in_words_and_the_threshold_commands() -> None:
    three = [{"name": f"T{i}", "key_submitted": True, "decrypted": False} for i in range(3)]
    info = election(threshold=2, trustees=three)
    html = render("election.html", "be", election=info, base_url="http://h")
    assert "Любыя 2 з гэтых 3 давераных асоб" in html  # noqa: RUF001
    assert "threshold-words" not in render("election.html", "en", election=election(), base_url="")
    page = render(
        "trustee.html", "en", trustee=trustee(threshold=2), token="TOK", base_url="http://h"
    )
    assert "hramada trustee threshold --url http://h/trustee/TOK --state" in page
    assert "hramada trustee keygen" not in page and "/key " not in page
    assert "hramada trustee keygen" in render(
        "trustee.html", "en", trustee=trustee(threshold=None), token="TOK", base_url="http://h"
    )
