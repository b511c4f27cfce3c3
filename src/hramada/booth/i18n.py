"""The six languages of the pages: choosing one for a request, and their message catalogs."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from markupsafe import Markup, escape

LANGUAGES = ("be", "ru", "uk", "en", "pl", "lt")
DEFAULT = "en"

# Each language named in itself, for the language switcher.
NATIVE_NAMES = {
    "be": "Беларуская",
    "ru": "Русский",
    "uk": "Українська",
    "en": "English",
    "pl": "Polski",
    "lt": "Lietuvių",
}

LOCALES_DIR = Path(__file__).parent / "locales"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _known(tag: str | None) -> str | None:
    """The language of a tag such as `be`, `be-tarask` or `PL_pl`, if it is one of ours."""
    if not tag:
        return None
    primary = re.split(r"[-_]", tag.strip().lower(), maxsplit=1)[0]
    return primary if primary in LANGUAGES else None


def _accepted(header: str) -> list[str]:
    """The tags of an Accept-Language header, most wanted first (q=0 means not wanted)."""
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")):
        tag, *params = (part.strip() for part in item.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if tag and q > 0:
            weighted.append((-q, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate(requested: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The page language: the `?lang=` query, else the cookie, else the browser's
    Accept-Language preferences, else English."""
    for choice in (requested, cookie):
        lang = _known(choice)
        if lang:
            return lang
    for tag in _accepted(accept_language or ""):
        lang = _known(tag)
        if lang:
            return lang
    return DEFAULT


@cache
def messages(lang: str) -> dict[str, str]:
    """The catalog of `lang` (key -> text with {placeholders}), read once."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    catalog = json.loads((LOCALES_DIR / f"{lang}.json").read_text(encoding="utf-8"))
    if not isinstance(catalog, dict) or not all(isinstance(v, str) for v in catalog.values()):
        raise ValueError(f"{lang}.json must map keys to strings")
    return catalog


def placeholders(text: str) -> set[str]:
    """The {names} a message expects."""
    return set(PLACEHOLDER.findall(text))


def translate(lang: str, key: str, **values: object) -> Markup:
    """The message `key` in `lang` (English when missing there), HTML-escaped, with each
    {placeholder} replaced by its escaped value (a Markup value is inserted as it is)."""
    text = messages(lang).get(key)
    if text is None:
        text = messages(DEFAULT)[key]

    def fill(match: re.Match[str]) -> str:
        return str(escape(values[match.group(1)]))

    return Markup(PLACEHOLDER.sub(fill, str(escape(text))))
