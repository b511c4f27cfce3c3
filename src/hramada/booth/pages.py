"""Rendering the pages: one Jinja2 environment over templates/, translated per request."""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from hramada.booth.i18n import DEFAULT, LANGUAGES, NATIVE_NAMES, messages, translate

DECIMAL = re.compile(r"-?\d+\.\d+")
BOOTH_DIR = Path(__file__).parent
STATIC_DIR = BOOTH_DIR / "static"
TEMPLATES_DIR = BOOTH_DIR / "templates"

PAGES = (
    "index.html",
    "election.html",
    "vote.html",
    "board.html",
    "result.html",
    "admin.html",
    "trustee.html",
    "error.html",
    "pvt_report.html",
    "pvt_submit.html",
    "pvt_moderate.html",
    "registrar.html",
)

# The page and file addresses the templates link to (the server routes them).
ROUTES = {
    "index": "/",
    "admin": "/admin",
    "election": "/elections/{uuid}",
    "vote": "/elections/{uuid}/vote",
    "board": "/elections/{uuid}/board",
    "result": "/elections/{uuid}/result",
    "election_json": "/elections/{uuid}/election.json",
    "trustees_json": "/elections/{uuid}/trustees.json",
    "credentials_json": "/elections/{uuid}/public_credentials.json",
    "archive": "/elections/{uuid}/archive.bel",
    "registrations_json": "/elections/{uuid}/registrations.json",
    "rules_json": "/elections/{uuid}/rules.json",
    "api_ballots": "/api/elections/{uuid}/ballots",
    "api_find": "/api/elections/{uuid}/ballots/find",
    "trustee": "/trustee/{token}",
    "trustee_api": "/api/trustee/{token}",
}


def url(name: str, **params: object) -> str:
    """The path of a route, e.g. url("vote", uuid=...)."""
    return ROUTES[name].format(**params)


def utc_time(iso: str | None) -> str:
    """An ISO 8601 UTC time from the server as `2026-11-23 10:00 UTC` ("" for none)."""
    if not iso:
        return ""
    moment = datetime.fromisoformat(iso).astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _detail_value(value: object) -> str:
    if isinstance(value, str):
        try:
            return utc_time(value) if "T" in value and value[:4].isdigit() else value
        except ValueError:
            return value
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, list) and all(v is None or isinstance(v, str) for v in value):
        return " → ".join(_detail_value(v) for v in value)  # such as the previous window
    if isinstance(value, list) and all(isinstance(v, list) for v in value):
        return " · ".join(", ".join(map(_detail_value, v)) for v in value)  # result rows
    if isinstance(value, list):
        return ", ".join(map(_detail_value, value))
    return str(value)


def detail_text(lang: str, detail: object) -> str:
    """A decision's details (a JSON object from the admin log) as one line in `lang`:
    `Reason: outage; Opens: 2026-11-23 10:00 UTC`; strings stay as they are."""
    if detail is None:
        return ""
    if isinstance(detail, Mapping):
        catalog = messages(lang)
        return "; ".join(
            f"{catalog.get('detail.' + k, k)}: {_detail_value(v)}"
            for k, v in detail.items()
            if v not in ("", None)
        )
    return _detail_value(detail)


def localized(election: Mapping[str, Any], lang: str) -> Mapping[str, Any]:
    """An election's info (or summary) with its name, description and questions in `lang`,
    where the election has that translation."""
    translation = (election.get("translations") or {}).get(lang)
    if not translation:
        return election
    out = dict(election, name=translation["name"])
    if "description" in election:
        out["description"] = translation.get("description", "")
    if "questions" in election and "questions" in translation:
        out["questions"] = [
            dict(q, question=text["question"], answers=text["answers"])
            for q, text in zip(election["questions"], translation["questions"], strict=True)
        ]
    return out


def result_rows(question: Mapping[str, object], counts: Sequence[int]) -> list[dict[str, object]]:
    """One row per count of a question's result, in the result's order (blank first where
    allowed): {"answer": text or None for blank, "count": n}."""
    answers = question["answers"]
    assert isinstance(answers, list)
    labels: list[str | None] = ([None] if question.get("blank") else []) + list(answers)
    return [{"answer": label, "count": count} for label, count in zip(labels, counts, strict=False)]


def hemicycle(seats: Sequence[int]) -> list[tuple[float, float, float, int]]:
    """Seats as dots of a half circle, (x, y, radius, list index), filled left to right list by
    list in the order given; rows from inside out, each holding seats in proportion to its
    length. Coordinates fit a 200 x 110 box (the centre of the circle at 100, 100)."""
    total = sum(seats)
    if total <= 0:
        return []
    rows = 1 if total <= 8 else math.ceil(math.sqrt(total / 4))
    radii = [0.4 + 0.6 * r / (rows - 1) if rows > 1 else 1.0 for r in range(rows)]
    counts = [max(1, round(total * r / sum(radii))) for r in radii]
    counts[-1] += total - sum(counts)
    gaps = [90 * math.pi * r / (n - 1) for r, n in zip(radii, counts, strict=True) if n > 1]
    dot = min(9.0, 0.45 * min([*gaps, 54 / (rows - 1) if rows > 1 else 20.0]))
    places = sorted(
        (
            (math.pi * (1 - k / (n - 1)) if n > 1 else math.pi / 2, r)
            for r, n in zip(radii, counts, strict=True)
            for k in range(n)
        ),
        key=lambda p: (-round(p[0], 9), p[1]),
    )
    owners = [i for i, n in enumerate(seats) for _ in range(n)]
    return [
        (
            round(100 + 90 * r * math.cos(a), 2),
            round(100 - 90 * r * math.sin(a), 2),
            round(dot, 2),
            i,
        )
        for (a, r), i in zip(places, owners, strict=True)
    ]


def _decimal(lang: str, text: str | None) -> str | None:
    """A decimal number such as `84.0375` with the language's decimal separator."""
    if lang == "en" or text is None or not DECIMAL.fullmatch(text):
        return text
    return text.replace(".", ",")


def explain(lang: str, step: Mapping[str, Any]) -> Markup:
    """One step of a seat allocation in `lang`; values that name something (a method, a
    tie-break rule, an outcome...) are translated by their `seats.<name>.<value>` keys."""
    values = {
        name: translate(lang, f"seats.{name}.{value}")
        if _known(f"seats.{name}.{value}")
        else _decimal(lang, value)
        for name, value in step["values"].items()
    }
    return translate(lang, "seats.step." + step["key"], **values)


def _percent(lang: str, count: int, total: int) -> str:
    """`count` as a share of `total` (the total weight of the ballots counted), one decimal,
    with the language's decimal separator."""
    if total <= 0:
        return "—"
    text = f"{100 * count / total:.1f}"
    return text + "%" if lang == "en" else text.replace(".", ",") + "\u00a0%"


def _known(key: str) -> bool:
    """Whether the catalogs have `key` (for values such as decision names, shown raw if not)."""
    return key in messages(DEFAULT)


def _pick(lang: str, *prefixes: str) -> dict[str, str]:
    """The messages whose keys start with one of `prefixes`, for a page's JS data block."""
    return {k: v for k, v in messages(lang).items() if k.startswith(prefixes)}


environment = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.globals.update(languages=LANGUAGES, language_names=NATIVE_NAMES, url=url)
environment.filters.update(utc=utc_time, shell=shlex.quote)
environment.globals.update(result_rows=result_rows, known=_known, hemicycle=hemicycle)


def render(page: str, lang: str, **context: object) -> str:
    """The HTML of `page` (one of PAGES) in `lang`, with the server's `context`."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    template = environment.get_template(page)
    election, summaries = context.get("election"), context.get("elections")
    if isinstance(election, Mapping):
        context = dict(context, election=localized(election, lang))
    if isinstance(summaries, list):
        context = dict(context, elections=[localized(e, lang) for e in summaries])
    return template.render(
        context,
        lang=lang,
        t=partial(translate, lang),
        messages=messages(lang),
        pick=partial(_pick, lang),
        percent=partial(_percent, lang),
        explain=partial(explain, lang),
        decimal=partial(_decimal, lang),
        detail=partial(detail_text, lang),
    )
