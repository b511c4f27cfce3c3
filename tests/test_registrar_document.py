"""The registrar page's document normalization (JavaScript, run by node) against the command
line's (`enrol.normalize`, Python): the same bytes for the same typing, the same refusals. The
OPRF input must agree exactly, or the page and the command line would give one document two
tags and the registry could not see a member enrolled twice."""
# ruff: noqa: RUF001  (Cyrillic look-alikes are the point)

from __future__ import annotations

import os
import shutil
import sys
import unicodedata
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from node_driver import Node

from hramada.registry import enrol

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None and not os.environ.get("CI"), reason="no node")

# Typing a registrar may meet: look-alikes both cases, separators, full-width and compatibility
# forms (NFKC), special upper-casing (ß -> SS), invisible and combining characters, Greek.
TYPED = list(
    "MPKHABEOCTXIrmpkhabeoctxi0123456789 \t-./\u00a0\u3000_#,:+"
    "АВЕКМНОРСТХІавекмнорстхіЁёЎўЖжЯяÄäßẞ"
    "ＡＢＣ１２３ｍｐ①²ⅫﬁﬀİıΑΒΚ\u0301\u0308\u200b\u2010\u2013\u2212\ufe63"
)
# Python 3.11 knows Unicode 14; node 20 knows a later one, where these letters have new capitals.
GAP = "\u019b\u0264\ua7d3\ua7d5\U00010791"
CASES = [
    "MP1234567", "mp 123-45.67", "МР 1234567", "мр1234567", "KH 7654321", "КН7654321",
    "ab 765-4321", "AB/12.34-56", "ＭＰ１２３４５６７", "І1234", "straße7", "ﬁ99", "①②③", "",
    " - ./", "\u3000", "MP#1234567", "A" * 64, "A" * 65, "A-" * 64, "1\u200b2", "e\u0301",
]  # fmt: skip


@pytest.fixture(scope="module")
def page() -> Iterator[Node]:
    node = Node("normalize_driver.mjs")
    yield node
    node.close()


def python(text: str) -> str | None:
    try:
        return enrol.normalize(text).hex()
    except ValueError:
        return None


def javascript(node: Node, texts: list[str]) -> list[str | None]:
    answer = node("normalize", inputs=texts)
    assert "error" not in answer, answer
    return answer["outputs"]


def _unicode_gap(node: Node) -> set[str]:
    """The characters Python's Unicode database (an older version than node's) upper-cases
    differently: node's capital is a letter Python does not know yet."""
    assigned = [
        chr(i)
        for i in range(sys.maxunicode + 1)
        if unicodedata.category(chr(i)) not in ("Cn", "Cs", "Co")
    ]
    gap = set()
    for c, theirs in zip(assigned, javascript(node, assigned), strict=True):
        if python(c) != theirs:
            gap.add(c)  # Python keeps it, node gives a capital Python does not know
            assert theirs is not None and python(c) is not None, c
            text = bytes.fromhex(theirs).removeprefix(enrol.DOCUMENT_PREFIX).decode()
            assert any(unicodedata.category(x) == "Cn" for x in text), (c, text)
    return gap


def test_known_typings_agree(page: Node) -> None:
    assert javascript(page, CASES) == [python(c) for c in CASES]
    ok = [python(c) for c in CASES[:8]]
    assert len(set(ok[:4])) == 1 and ok[4] == ok[5]  # separators, case and look-alikes vanish
    assert [python(c) for c in ("", " - ./", "MP#1234567", "A" * 65, "1\u200b2")] == [None] * 5
    assert python("A-" * 64) is not None  # 64 letters once the separators are gone


def test_the_only_differences_are_letters_newer_than_pythons_unicode(page: Node) -> None:
    assert _unicode_gap(page) <= set(GAP)  # a handful of rare letters: none a document uses


@st.composite
def typings(draw: st.DrawFn) -> str:
    known = st.characters(exclude_categories=("Cn", "Cs"), exclude_characters=GAP)
    alphabet = st.one_of(st.sampled_from(TYPED), known)
    return draw(
        st.one_of(
            st.text(alphabet, max_size=80),
            st.text(st.sampled_from(TYPED[:40]), min_size=60, max_size=70),
        )
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(typings(), min_size=1, max_size=25))
def test_any_typing_gives_the_same_bytes_or_the_same_refusal(page: Node, texts: list[str]) -> None:
    assert javascript(page, texts) == [python(t) for t in texts]
