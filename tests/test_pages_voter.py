"""What voters and observers read on the pages: weighted shares, the chart, an early close, the
booth's form, error pages, public decisions and the election's own texts in their language."""
# ruff: noqa: RUF001  (Belarusian text is meant to be Cyrillic)

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape
from test_pages import election, parse, summary

from hramada.booth.i18n import LANGUAGES, messages
from hramada.booth.pages import render

SRC = Path(__file__).resolve().parents[1] / "src" / "hramada"

WHERE = {"question": "Where?", "answers": ["Vilnius", "Kyiv"], "min": 1, "max": 1, "blank": False}


def bars(html: str) -> list[float]:
    return [float(w) for w in re.findall(r'<rect x="0" y="\d+" width="([\d.]+)"', html)]


def test_weighted_shares_are_of_the_total_weight() -> None:
    # Two voters of weights 2 and 1: Vilnius has weight 2 of 3, Kyiv 1 of 3.
    info = election(
        state="published", voting=False, questions=[WHERE], result=[[2, 1]], voters=2,
        total_weight=3, weighted=True,
    )  # fmt: skip
    html = render("result.html", "en", election=info)
    assert "66.7%" in html and "33.3%" in html
    assert "100.0%" not in html and "50.0%" not in html
    assert 'id="weighted"' in html and "total weight counted, 3" in html
    assert bars(html) == [166.7, 83.3]  # scaled to the share, not to the largest answer
    for lang in LANGUAGES:
        assert 'id="weighted"' in render("result.html", lang, election=info)
    plain = render("result.html", "en", election=election(total_weight=10))
    assert 'id="weighted"' not in plain


def test_bars_are_scaled_to_the_share() -> None:
    # 10 voters: Ala 5 of them is half the width, not the full width.
    html = render("result.html", "en", election=election(total_weight=10))
    assert bars(html)[:4] == [25.0, 125.0, 100.0, 50.0]
    empty = election(result=[[0, 0, 0, 0], [0, 0]], voters=0, total_weight=0)
    assert set(bars(render("result.html", "en", election=empty))) == {0.0}


def test_an_early_close_shows_the_actual_close() -> None:
    closed = election(state="closed", voting=False, closed_at="2026-11-25T12:00:00Z")
    pages = [
        render("index.html", "en", elections=[summary(closed)]),
        render("election.html", "en", election=closed, base_url="https://v.example"),
        render("vote.html", "en", election=closed),
    ]
    for html in pages:
        assert "closed early on" in html
        assert '<time datetime="2026-11-25T12:00:00Z">2026-11-25 12:00 UTC</time>' in html
    for lang in LANGUAGES:
        assert "2026-11-25 12:00 UTC" in render("vote.html", lang, election=closed)


def test_the_booth_form() -> None:
    questions = [
        {"question": "Two", "answers": ["A", "B", "C"], "min": 1, "max": 2, "blank": True},
        {"question": "One", "answers": ["Yes", "No"], "min": 1, "max": 1, "blank": False},
        {"question": "One, blank", "answers": ["X", "Y"], "min": 1, "max": 1, "blank": True},
        {"question": "One or none", "answers": ["P", "Q"], "min": 0, "max": 1, "blank": False},
    ]
    page = parse(render("vote.html", "en", election=election(questions=questions)))
    inputs = [a for t, a in page.tags if t == "input" and a.get("id", "")[:1] == "q"]
    kinds = {a["id"]: a["type"] for a in inputs}
    assert kinds == {
        "q0-a0": "checkbox", "q0-a1": "checkbox", "q0-a2": "checkbox", "q0-blank": "checkbox",
        "q1-a0": "radio", "q1-a1": "radio",
        "q2-a0": "radio", "q2-a1": "radio", "q2-blank": "radio",
        "q3-a0": "radio", "q3-a1": "radio", "q3-none": "radio",
    }  # fmt: skip
    names = {a["id"]: a.get("name") for a in inputs}
    assert names["q2-a0"] == names["q2-blank"] == "q2" and names["q3-none"] == "q3"
    credential = next(a for t, a in page.tags if a.get("id") == "credential")
    # Credentials are case-sensitive: no automatic capitals, corrections or spelling marks.
    assert credential["autocapitalize"] == "off" and credential["autocorrect"] == "off"
    assert credential["spellcheck"] == "false"
    booth = next(a for t, a in page.tags if a.get("id") == "booth")
    assert booth["data-credentials-url"] == "/elections/6RkBQe8ZQrjEGm/public_credentials.json"
    assert booth["data-lang"] == "en"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_error_pages_speak_the_visitors_language(lang: str) -> None:
    catalog = {k: str(escape(v)) for k, v in messages(lang).items()}
    missing = render("error.html", lang, status=404, check="election", message="ENGLISH-1")
    assert catalog["error.check.election"] in missing and "ENGLISH-1" not in missing
    unknown = render("error.html", lang, status=404, check="request", message="ENGLISH-2")
    assert catalog["error.status.404"] in unknown and "ENGLISH-2" not in unknown
    busy = render("error.html", lang, status=409, check="phase", message="ENGLISH-3")
    assert catalog["error.status.409"] in busy and "ENGLISH-3" not in busy


def test_public_decisions_are_translated() -> None:
    when = "2026-11-25T09:30:00Z"
    window = {
        "opens_at": "2026-11-23T10:00:00Z",
        "closes_at": "2026-12-01T18:00:00Z",
        "previous": ["2026-11-23T10:00:00Z", "2026-11-30T18:00:00Z"],
        "reason": "збой",
    }
    decisions = [
        {"time": when, "action": "window", "detail": window},
        {"time": when, "action": "publish", "detail": {"result": [[1, 5], [6, 4]]}},
        {"time": when, "action": "close", "detail": {"ballots": 12, "voters": 10}},
    ]
    html = render("election.html", "be", election=election(decisions=decisions), base_url="")
    start = html.index('id="decisions-title"')
    section = html[start : html.index("</ol>", start)]
    for word in ("opens_at", "closes_at", "previous", "reason", "result", "ballots", "voters"):
        assert word not in section, word
    assert "Прычына: збой" in section and "Вынік: 1, 5 · 6, 4" in section
    assert "[[" not in section


def test_every_logged_action_has_a_name() -> None:
    """Each action the server records (public decisions and the admin log) is translated."""
    sources = "\n".join(p.read_text() for p in (SRC / "server").glob("*.py"))
    actions = set(re.findall(r'record\(\s*db,\s*[^,]+,\s*"([a-z ]+)"', sources))
    steps = re.search(r"STEPS = \(([^)]*)\)", (SRC / "election" / "ceremony.py").read_text())
    assert steps is not None
    actions |= {f"ceremony {s}" for s in re.findall(r'"([a-z ]+)"', steps.group(1))}
    assert {"create", "open", "ceremony certificate", "ceremony done"} <= actions
    for lang in LANGUAGES:
        assert {a for a in actions if f"decision.{a}" not in messages(lang)} == set(), lang


TRANSLATED: dict[str, Any] = {
    "be": {
        "name": "Выбары рады",
        "description": "Апісанне",
        "questions": [
            {"question": "Каго?", "answers": ["Ала", "Барыс", "Кірыл"]},
            {"question": "Так ці не?", "answers": ["Так", "Не"]},
        ],
    }
}


def test_voters_read_the_election_in_their_language() -> None:
    info = election(translations=TRANSLATED)
    for page in ("election.html", "vote.html", "result.html"):
        be = render(page, "be", election=info, base_url="")
        assert "Выбары рады" in be and "Каго?" in be and "Барыс" in be, page
        assert "Who?" not in be and "Boris" not in be, page
        en = render(page, "en", election=info, base_url="")
        assert "Who?" in en and "Boris" in en and "Каго?" not in en, page
    index = render("index.html", "be", elections=[summary(info)])
    assert "Выбары рады" in index and "Council" not in index
