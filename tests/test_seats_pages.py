"""The council's seats on the pages: the hemicycle, the table, the elected, every step in every
language, and the booth's party lists with their candidates and validity."""

from __future__ import annotations

import json
import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_pages import council, parse
from test_seats_archive import REFERENDUM, RULES, council_election

from hramada.booth.i18n import LANGUAGES, messages
from hramada.booth.pages import explain, hemicycle, render
from hramada.counting.steps import ENGLISH, WORDS
from hramada.server.council import seats_info


@given(st.lists(st.integers(0, 40), min_size=1, max_size=12))
def test_the_hemicycle_has_one_dot_per_seat_in_list_order_without_overlaps(
    seats: list[int],
) -> None:
    dots = hemicycle(seats)
    assert [i for *_, i in dots] == sorted(i for i, n in enumerate(seats) for _ in range(n))
    for x, y, r, _ in dots:
        assert x - r >= 0 and x + r <= 200 and y - r >= 0 and y + r <= 110
    for n, (x1, y1, r, _) in enumerate(dots):
        for x2, y2, _, _ in dots[n + 1 :]:
            assert math.dist((x1, y1), (x2, y2)) >= 2 * r - 0.02


def test_the_english_steps_are_the_ones_the_command_line_prints() -> None:
    english = messages("en")
    assert {k: v for k, v in english.items() if k.startswith("seats.step.")} == {
        f"seats.step.{k}": v for k, v in ENGLISH.items()
    }
    for name, words in WORDS.items():
        assert {k: v for k, v in english.items() if k.startswith(f"seats.{name}.")} == {
            f"seats.{name}.{value}": word for value, word in words.items()
        }


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_result_page_shows_seats_elected_and_every_step_in_the_language(lang: str) -> None:
    info = council(state="published", voting=False)
    html = render("result.html", lang, election=info)
    parse(html)
    start = html.index('<section class="seats"')
    section = html[start : html.index("</section>", start)]
    rows = re.findall(r'<tr data-list="(\w+)">.*?seats-won">(\d+)<', section, re.S)
    assert rows == [("Alpha", "4"), ("Beta", "1"), ("Gamma", "0")]
    assert section.count('class="seat seat-0"') == 4 + 1  # four dots and the table's swatch
    assert section.count('class="seat seat-1"') == 1 + 1
    assert "<li>Ala</li><li>Boris</li><li>Cara</li><li>Dzianis</li>" in section
    assert "<li>Eva</li>" in section and "Filip" not in section
    listed = section[section.index('id="seat-steps"') :]
    steps = re.findall(r"<li>(.*?)</li>", listed[: listed.index("</ol>")])
    assert len(steps) == len(info["seats"]["result"]["steps"])
    # The threshold bar (15 % of 8 votes) and the shares, with the language's decimal separator.
    assert ("1.20" if lang == "en" else "1,20") in steps[1]
    assert (">50.00<" if lang == "en" else ">50,00<") in section
    if lang != "en":
        fragments = [max(re.split(r"\{\w+\}", english), key=len) for english in ENGLISH.values()]
        assert not [f for f in fragments if f in section]
        assert "most votes" not in section and "dhondt" not in section
    assert f"hramada seats --rules {info['uuid']}.rules.json {info['uuid']}.bel" in section
    # The charter: 3 yes of 5 valid votes, 8 of 10 registered voters voted, under the quorum.
    outcome = section[section.index('id="referendum-1"') :]
    assert explain(lang, {"key": "not_adopted", "values": {}}) in outcome.split("</p>")[0]
    assert (
        explain(
            lang,
            {
                "key": "majority",
                "values": {
                    "yes": "3",
                    "base": "5",
                    "basis": "valid",
                    "comparison": "more-than",
                    "majority": "50",
                    "outcome": "met",
                },
            },
        )
        in outcome
    )
    assert f'href="/elections/{info["uuid"]}/rules.json"' in section


def test_a_result_the_rules_cannot_apply_to_says_why() -> None:
    info = council(state="published", voting=False)
    info["seats"] = info["seats"] | {"result": None, "problem": "threshold: no list reaches it"}
    html = render("result.html", "pl", election=info)
    assert 'id="seats-problem"' in html and "threshold: no list reaches it" in html
    assert 'id="seat-steps"' not in html


def test_the_booth_shows_each_list_with_its_candidates_genders_and_validity() -> None:
    html = render("vote.html", "en", election=council())
    assert re.findall(r'<span class="candidate-name">(\w+)</span>', html) == [
        "Ala", "Boris", "Cara", "Dzianis", "Eva", "Filip", "Hanna", "Kiryl", "Ihar", "Jana",
    ]  # fmt: skip
    assert html.count("(woman)") == 5 and html.count("(man)") == 5
    assert html.count("the list meets the seat rules") == 3
    assert "4 candidates, 2 women, 2 men:" in " ".join(html.split())
    info = council()
    info["seats"]["lists"][2]["valid"] = False
    assert "the list does NOT meet the seat rules" in render("vote.html", "en", election=info)


def test_a_rules_file_changed_on_disk_is_reported_on_the_result_page() -> None:
    info = council(state="published", voting=False)
    info["seats"] = seats_info(b"{broken", council_election(), info["result"], "ab" * 32)
    assert info["seats"]["problem"].startswith("rules file: not JSON")
    html = render("result.html", "uk", election=info)
    assert 'id="seats-problem"' in html and 'id="seat-steps"' not in html
    assert "q0-a0-candidates" in render("vote.html", "uk", election=info | {"voting": True})


def test_the_election_page_shows_the_bound_rules_and_the_candidates_before_the_vote() -> None:
    info = council(result=None, state="open")
    html = render("election.html", "lt", election=info)
    rules = html[html.index('id="seat-rules"') :]
    assert f'href="/elections/{info["uuid"]}/rules.json"' in rules
    assert f"sha256:{info['seats']['hash']}" in rules and "Hondto" in rules
    assert 'Alpha: <span class="candidates">Ala, Boris, Cara, Dzianis</span>' in html


def test_a_withdrawal_is_marked_in_the_booth_and_in_the_recompute_command() -> None:
    info = council(state="published", voting=False)
    ballot, result = council_election(), info["result"]
    rules = json.dumps(RULES | {"referendums": [REFERENDUM]}).encode()
    gone = [("Alpha", "Boris"), ("Beta", "Nobody")]
    refused = seats_info(rules, ballot, result, "ab" * 32, (8, 10), gone)
    assert refused["problem"] == "withdrawn: 'Nobody' is not a candidate of list 'Beta'"
    info["seats"] = seats_info(rules, ballot, result, "ab" * 32, (8, 10), gone[:1])
    booth = render("vote.html", "en", election=info | {"voting": True})
    assert 'Boris</span> <span class="gender">(man)</span> <strong class="withdrawn">' in booth
    page = render("result.html", "en", election=info)
    assert "<li>Ala</li><li>Cara</li><li>Dzianis</li>" in page
    assert f"{info['uuid']}.bel --withdrawn Alpha:Boris</code>" in page


def test_a_list_granted_the_gender_exception_shows_the_share_it_must_meet() -> None:
    lists = {"Alpha": [("Ala", "f"), ("Boris", "m"), ("Cara", "f"), ("Dzianis", "m")],
             "Beta": [("Eva", "f"), ("Filip", "m"), ("Hanna", "f"), ("Kiryl", "m")],
             "Gamma": [("Ihar", "m"), ("Jan", "m"), ("Jana", "f"), ("Kim", "m")]}  # fmt: skip
    validity = {"min_candidates": 2, "min_gender_share": "40", "exception_gender_share": "20"}
    names = [{"name": n, "gender_exception": n == "Gamma"} for n in lists]
    rules = json.dumps(RULES | {"list_validity": validity, "lists": names}).encode()
    info = council()
    info["seats"] = seats_info(rules, council_election(lists), None, None)
    info["questions"][0]["candidates"] = [
        [{"name": n, "gender": g} for n, g in p] for p in lists.values()
    ]
    shares = re.findall(r"at least (\d+) % of the less", render("vote.html", "en", election=info))
    assert shares == ["40", "40", "20"]
