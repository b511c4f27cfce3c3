"""The member's code and key: Python (registry/member_code.py) and the member page's JS
(booth/js/member/code.js, run by node) derive the same key, and both catch a mistyped code."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.signing import VerifyKey
from node_driver import Node

from hramada.registry import member_code as mc


@pytest.fixture(scope="module")
def node() -> Iterator[Node]:
    driver = Node("member_code_driver.mjs")
    yield driver
    driver.close()


def test_both_sides_derive_the_same_key(node: Node) -> None:
    codes = [mc.new_code() for _ in range(5)] + [node("new")["code"] for _ in range(5)]
    for code in codes:
        assert len(code) == 34 and code.count("-") == 6
        key = mc.member_key(code)
        theirs = node("key", code=code)
        assert theirs["key"] == key.verify_key.encode().hex()
        assert theirs["shown"] == mc.shown_key(key)
        assert len(theirs["shown"]) == 64 + 15
        signed = node("sign", code=code, msg=b"request".hex())["sig"]
        VerifyKey(bytes.fromhex(theirs["key"])).verify(b"request", bytes.fromhex(signed))
    assert len({mc.member_key(c).verify_key.encode() for c in codes}) == len(codes)


def test_a_code_is_read_as_a_person_writes_it(node: Node) -> None:
    code = mc.new_code()
    written = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert mc.normalize(written) == code == node("normalize", text=written)["code"]
    assert mc.member_key(written).encode() == mc.member_key(code).encode()


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 27), st.integers(1, 31))
def test_a_changed_character_is_caught_on_both_sides(position: int, shift: int) -> None:
    code = mc.new_code()
    raw = code.replace("-", "")
    wrong = raw[:position] + mc.ALPHABET[(mc.ALPHABET.index(raw[position]) + shift) % 32]
    wrong += raw[position + 1 :]
    try:
        mc.normalize(wrong)
    except mc.CodeError as e:
        assert e.kind == "checksum"
    else:  # one typo in 1024 goes unnoticed: then it is another valid code, another key
        assert mc.member_key(wrong).encode() != mc.member_key(code).encode()


def test_mistyped_codes_are_refused_alike(node: Node) -> None:
    raw = mc.new_code().replace("-", "")
    payload = raw[: mc.RANDOM]
    wrong_check = payload + next(
        a + b for a in mc.ALPHABET for b in mc.ALPHABET if a + b != raw[mc.RANDOM :]
    )
    cases = {
        raw[:-1]: "format",
        raw + "0": "format",
        raw[:-1] + "U": "format",
        "": "format",
        wrong_check: "checksum",
    }
    for text, kind in cases.items():
        with pytest.raises(mc.CodeError) as caught:
            mc.normalize(text)
        assert caught.value.kind == kind
        assert node("normalize", text=text) == {"error": f"code-{kind}"}
