"""Voter credentials (NOTES §3): format, checksum, typos, derivation and the public list."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from conftest import VECTORS
from hypothesis import given, settings
from hypothesis import strategies as st

from hramada.crypto.credentials import (
    BASE58,
    CredentialError,
    derive_secret,
    generate_credential,
)
from hramada.crypto.group import Group
from hramada.crypto.groups import get_group
from hramada.election.ballot import check_ballot
from hramada.election.context import ElectionContext, context_from_archive
from hramada.election.credentials import (
    Voter,
    generate_credentials,
    parse_public_credentials,
    parse_voters,
)
from hramada.election.errors import Rejected
from hramada.protocol.archive import read_archive

CHECKSUMMED = re.compile(r"[1-9A-HJ-NP-Za-km-z]{3}(-[1-9A-HJ-NP-Za-km-z]{3}){4}")
NOT_BASE58 = "0OIl-_ +/é"
ED = get_group("Ed25519")
FF = get_group("BELENIOS-2048")
SETTINGS = settings(max_examples=25, deadline=None)


def b58(s: str) -> int:
    n = 0
    for ch in s:
        n = n * 58 + BASE58.index(ch)
    return n


def with_checksum(token: str) -> str:
    """NOTES §3.1: the 15th character has index 53 - (n mod 53); dashes every 3 characters."""
    assert len(token) == 14
    raw = token + BASE58[53 - b58(token) % 53]
    return "-".join(raw[i : i + 3] for i in range(0, 15, 3))


def public_key(group: Group, credential: str, uuid: str) -> str:
    return group.encode(group.g_pow(derive_secret(credential, uuid, group.q)))


def vector_context(folder: str) -> ElectionContext:
    (path,) = (VECTORS / folder).glob("*.bel")
    return context_from_archive(read_archive(path))


def private_credentials(path: Path) -> dict[str, str]:
    """`id credential` lines (the 2.0 form, whose id may hold commas) of a vector folder."""
    out = {}
    for line in path.read_text().splitlines():
        if line.strip():
            vid, cred = line.rsplit(" ", 1)
            out[vid] = cred
    return out


tokens = st.text(alphabet=BASE58, min_size=14, max_size=14)
uuids = st.text(alphabet=BASE58, min_size=14, max_size=20)


# --- Format and checksum ----------------------------------------------------------------------


def test_generated_credentials_have_the_checksummed_form() -> None:
    seen = set()
    for _ in range(200):
        cred = generate_credential()
        assert CHECKSUMMED.fullmatch(cred), cred
        raw = cred.replace("-", "")
        assert (b58(raw[:14]) + BASE58.index(raw[14])) % 53 == 0
        assert raw[14] != "1"  # the checksum index is in [1, 53]
        assert with_checksum(raw[:14]) == cred
        seen.add(cred)
    assert len(seen) == 200
    derive_secret(cred, "uuid", FF.q)  # accepted


@SETTINGS
@given(tokens, uuids)
def test_any_token_with_its_checksum_is_accepted(token: str, uuid: str) -> None:
    cred = with_checksum(token)
    s = derive_secret(cred, uuid, ED.q)
    assert 0 <= s < ED.q
    assert derive_secret(cred, uuid, ED.q) == s  # deterministic
    assert derive_secret(cred, uuid + "x", ED.q) != s  # salted by the election


@SETTINGS
@given(tokens, st.integers(1, 52))
def test_wrong_checksum_is_rejected(token: str, shift: int) -> None:
    raw = with_checksum(token).replace("-", "")
    index = (BASE58.index(raw[14]) + shift) % 53
    if index == 0:
        index = 53
    bad = raw[:14] + BASE58[index]
    with pytest.raises(CredentialError):
        derive_secret("-".join(bad[i : i + 3] for i in range(0, 15, 3)), "u", ED.q)


def _typo_outcomes(cred: str, uuid: str, group: Group) -> None:
    """Every single-character substitution: rejected, or accepted with another key.

    The mod-53 checksum misses a substitution exactly when the two characters' Base58 indexes
    differ by 53 ('1'<->'v', '2'<->'w', '3'<->'x', '4'<->'y', '5'<->'z'), Belenios included.
    """
    key = derive_secret(cred, uuid, group.q)
    for i, original in enumerate(cred):
        for ch in BASE58 + NOT_BASE58:
            if ch == original:
                continue
            typo = cred[:i] + ch + cred[i + 1 :]
            undetected = (
                original != "-"
                and ch in BASE58
                and abs(BASE58.index(ch) - BASE58.index(original)) == 53
            )
            if undetected:
                assert derive_secret(typo, uuid, group.q) != key, typo
            else:
                with pytest.raises(CredentialError):
                    derive_secret(typo, uuid, group.q)


@settings(max_examples=5, deadline=None)
@given(tokens)
def test_single_character_typos_checksummed(token: str) -> None:
    _typo_outcomes(with_checksum(token), "Rdf4Kt66ECGScb", FF)


def test_single_character_typos_of_a_vector_credential() -> None:
    _typo_outcomes("cVs-GFb-7Lu-mWG-66n", "Rdf4Kt66ECGScb", FF)
    # A typo the checksum cannot see: '1' and 'v' are 53 apart.
    cred = with_checksum("v" * 13 + "2")
    typo = "1" + cred[1:]
    assert derive_secret(typo, "u", FF.q) != derive_secret(cred, "u", FF.q)


def test_other_typos_of_a_checksummed_credential() -> None:
    cred = "cVs-GFb-7Lu-mWG-66n"
    for typo in [
        cred[:-1],  # a character missing
        cred + "6",  # one too many
        cred[:3] + "7" + cred[3:],  # inserted inside the groups
        cred.replace("-", "", 1),  # a dash missing
        cred.replace("-", "--", 1),
        cred.lower(),
        cred.upper(),
        " " + cred,
        cred + "\n",
        "",
    ]:
        with pytest.raises(CredentialError):
            derive_secret(typo, "Rdf4Kt66ECGScb", FF.q)


def test_swapping_the_last_token_character_and_the_checksum_goes_unnoticed() -> None:
    """The checksum adds the last token character and the checksum with the same weight."""
    cred = "cVs-GFb-7Lu-mWG-66n"
    swapped = cred[:-2] + cred[-1] + cred[-2]
    assert swapped == "cVs-GFb-7Lu-mWG-6n6"
    assert derive_secret(swapped, "u", FF.q) != derive_secret(cred, "u", FF.q)
    # Other adjacent transpositions of distinct characters are caught.
    raw = cred.replace("-", "")
    for i in range(13):
        a, b = raw[i], raw[i + 1]
        if a == b or abs(BASE58.index(a) - BASE58.index(b)) == 53:
            continue
        t = raw[:i] + b + a + raw[i + 2 :]
        with pytest.raises(CredentialError):
            derive_secret("-".join(t[j : j + 3] for j in range(0, 15, 3)), "u", FF.q)


def test_single_character_typos_22_character_format() -> None:
    """The 22-character credentials carry no checksum: a Base58 typo silently changes the key."""
    cred, uuid = "39wSu-tJPaDz-8L9Vo-6ij6YV", "xNsfduCrFsWB7A"
    key = derive_secret(cred, uuid, ED.q)
    for i, original in enumerate(cred):
        for ch in BASE58[::7] + NOT_BASE58:
            if ch == original:
                continue
            typo = cred[:i] + ch + cred[i + 1 :]
            if original != "-" and ch in BASE58:
                assert derive_secret(typo, uuid, ED.q) != key
            else:
                with pytest.raises(CredentialError):
                    derive_secret(typo, uuid, ED.q)


# --- Derivation against the vectors -----------------------------------------------------------


def test_e1_credentials_derive_to_the_published_keys() -> None:
    uuid = json.loads((VECTORS / "e1" / "election.json").read_text())["uuid"]
    assert uuid == "Rdf4Kt66ECGScb"
    published: dict[str, tuple[str, int]] = {}
    for entry in json.loads((VECTORS / "e1" / "public_creds.json").read_text()):
        key, weight, login = entry.split(",")
        published[login] = (key, int(weight))
    private = private_credentials(VECTORS / "e1" / "private_creds.txt")
    assert len(private) == len(published) == 4
    for line, cred in private.items():
        _, login, weight = line.split(",")
        assert CHECKSUMMED.fullmatch(cred)
        assert published[login] == (public_key(FF, cred, uuid), int(weight))


@pytest.mark.parametrize(
    ("folder", "file", "length"),
    [
        ("e1", "private_creds.txt", 19),
        ("e3-threshold", "private_creds.txt", 19),
        ("e4-nh", "private_creds.txt", 19),
        ("e2-ed25519", "creds.txt", 25),
        ("e5-ed25519-nh-threshold-251", "private_creds.txt", 25),
        ("e6-ff2048-threshold-251", "private_creds.txt", 25),
    ],
)
def test_vector_credentials_derive_to_the_archived_list(
    folder: str, file: str, length: int
) -> None:
    ctx = vector_context(folder)
    private = private_credentials(VECTORS / folder / file)
    assert private and all(len(c) == length for c in private.values())
    derived = {public_key(ctx.group, cred, ctx.uuid) for cred in private.values()}
    assert derived == set(ctx.credentials)


def test_e6_uses_the_22_character_format() -> None:
    private = private_credentials(VECTORS / "e6-ff2048-threshold-251" / "private_creds.txt")
    for cred in private.values():
        assert [len(p) for p in cred.split("-")] == [5, 6, 5, 6]
    # The formula of NOTES §3.1, computed here independently.
    uuid, cred = "xNsfduCrFsWB7A", private["voter1"]
    hexes = "".join(
        hashlib.sha256(f"derive_credential|{uuid}|{i}|{cred}".encode()).hexdigest() for i in (0, 1)
    )
    assert derive_secret(cred, uuid, FF.q) == int(hexes, 16) % FF.q


def belenios_pbkdf2(typed: str, uuid: str, q: int) -> int:
    """NOTES §3.1: what Belenios derives, PBKDF2 over the string exactly as typed."""
    derived = hashlib.pbkdf2_hmac("sha256", typed.encode(), uuid.encode(), 1000, 32)
    return int.from_bytes(derived, "big") % q


def test_dashed_credential_derivation_formula() -> None:
    cred, uuid = "cVs-GFb-7Lu-mWG-66n", "Rdf4Kt66ECGScb"
    assert derive_secret(cred, uuid, FF.q) == belenios_pbkdf2(cred, uuid, FF.q)


def test_dashless_spelling_derives_the_dashed_key() -> None:
    """Typed without dashes, a checksummed credential still gives the key of its dashed form.

    Belenios instead runs PBKDF2 on the dash-less string (NOTES §3.1): its ballot in
    e1-dashless carries that other key, which is not in the list, and is refused.
    """
    cred, uuid = "cVs-GFb-7Lu-mWG-66n", "Rdf4Kt66ECGScb"
    dashless = cred.replace("-", "")
    assert derive_secret(dashless, uuid, FF.q) == derive_secret(cred, uuid, FF.q)

    ctx = vector_context("e1")
    assert public_key(FF, dashless, uuid) in ctx.credentials
    ballot = (VECTORS / "e1-dashless" / "b.json").read_bytes().rstrip(b"\n")
    belenios_key = FF.encode(FF.g_pow(belenios_pbkdf2(dashless, uuid, FF.q)))
    assert json.loads(ballot)["credential"] == belenios_key
    assert belenios_key not in ctx.credentials
    with pytest.raises(Rejected) as e:
        check_ballot(ctx, ballot)
    assert e.value.check == "credential"


@SETTINGS
@given(tokens, uuids)
def test_dashless_spelling_is_the_same_credential(token: str, uuid: str) -> None:
    cred = with_checksum(token)
    dashless = cred.replace("-", "")
    assert derive_secret(dashless, uuid, ED.q) == derive_secret(cred, uuid, ED.q)
    assert derive_secret(cred, uuid, ED.q) == belenios_pbkdf2(cred, uuid, ED.q)


# --- Voter lists ------------------------------------------------------------------------------


def test_parse_voters_forms() -> None:
    """belenios-tool's voter list: `email[,login[,weight]]`, known by login, else by email."""
    text = "\n".join(
        [
            "# a comment",
            "",
            "alice@example.org",
            " b@example.org , bob , 3 ",
            "c@example.org,carol,2",
            "d@example.org,dave",
            "e@example.org,,4",
            "f@example.org,7",  # a login that looks like a number is still a login
        ]
    )
    assert parse_voters(text) == [
        Voter("alice@example.org", 1),
        Voter("bob", 3),
        Voter("carol", 2),
        Voter("dave", 1),
        Voter("e@example.org", 4),
        Voter("7", 1),
    ]
    assert parse_voters("") == []


def test_parse_voters_e1_file() -> None:
    voters = parse_voters((VECTORS / "e1" / "voters.txt").read_text())
    assert voters == [Voter("alice"), Voter("bob"), Voter("carol", 2), Voter("dave")]


@pytest.mark.parametrize(
    "text",
    [
        "alice\nalice",
        "x@y,alice,1\nz@y,alice,2",
        "a@x,b\nb",  # the login of one is the email of another
        "a@x,a,0",
        "a@x,a,-1",
        "a@x,a,two",
        "a@x,a,1,2",
        ",alice,1",
    ],
)
def test_parse_voters_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_voters(text)


@pytest.mark.parametrize("group", [ED, FF], ids=lambda g: g.name)
def test_generate_credentials_unweighted(group: Group) -> None:
    voters = [Voter(f"v{i}") for i in range(6)]
    batch = generate_credentials(group, "Uuid1234567890", voters)
    assert set(batch.private) == {v.id for v in voters}
    assert len(set(batch.private.values())) == 6
    public = json.loads(batch.public)
    assert all("," not in e for e in public)
    keys = [group.decode(e) for e in public]
    assert [group.element_key(k) for k in keys] == sorted(group.element_key(k) for k in keys)
    assert set(public) == {public_key(group, c, "Uuid1234567890") for c in batch.private.values()}
    assert parse_public_credentials(group, batch.public) == dict.fromkeys(public, 1)
    assert batch.public == json.dumps(public, separators=(",", ":")).encode()


@pytest.mark.parametrize("group", [ED, FF], ids=lambda g: g.name)
def test_generate_credentials_weighted(group: Group) -> None:
    voters = [Voter("a"), Voter("b", 2), Voter("c"), Voter("d", 7)]
    uuid = "Uuid1234567890"
    batch = generate_credentials(group, uuid, voters)
    public = json.loads(batch.public)
    assert all(len(e.split(",")) == 2 for e in public)  # every entry, weight 1 included
    weights = {e.split(",")[0]: int(e.split(",")[1]) for e in public}
    for v in voters:
        assert weights[public_key(group, batch.private[v.id], uuid)] == v.weight
    keys = [group.decode(e.split(",")[0]) for e in public]
    assert [group.element_key(k) for k in keys] == sorted(group.element_key(k) for k in keys)
    assert parse_public_credentials(group, batch.public) == weights


def test_generate_credentials_all_weights_one_is_unweighted() -> None:
    batch = generate_credentials(ED, "u", [Voter("a", 1), Voter("b", 1)])
    assert all("," not in e for e in json.loads(batch.public))


@pytest.mark.parametrize("folder", ["e2-ed25519", "e5-ed25519-nh-threshold-251"])
def test_ed25519_public_list_sorted_as_belenios_sorts_it(folder: str) -> None:
    ctx = vector_context(folder)
    keys = list(ctx.credentials)
    by_bytes = sorted(keys, key=lambda k: bytes.fromhex(k)[::-1])  # RFC 8032 byte order
    assert keys == by_bytes  # what belenios-tool 2.5.1 wrote
    assert keys == sorted(keys, key=lambda k: ED.element_key(ED.decode(k)))


@pytest.mark.parametrize("folder", ["e1", "e3-threshold", "e6-ff2048-threshold-251"])
def test_ff_public_list_sorted_as_belenios_sorts_it(folder: str) -> None:
    ctx = vector_context(folder)
    keys = list(ctx.credentials)
    assert keys == sorted(keys, key=lambda k: FF.element_key(FF.decode(k)))


# --- Public credential lists ------------------------------------------------------------------


def _keys(group: Group, n: int) -> list[str]:
    return [group.encode(group.g_pow(k + 2)) for k in range(n)]


@pytest.mark.parametrize("group", [ED, FF], ids=lambda g: g.name)
def test_parse_public_credentials_accepts(group: Group) -> None:
    k = _keys(group, 3)
    assert parse_public_credentials(group, json.dumps(k).encode()) == dict.fromkeys(k, 1)
    weighted = [f"{k[0]},1", f"{k[1]},5", f"{k[2]},1073741824"]
    assert parse_public_credentials(group, json.dumps(weighted).encode()) == {
        k[0]: 1,
        k[1]: 5,
        k[2]: 1073741824,
    }
    assert parse_public_credentials(group, b"[]") == {}


@pytest.mark.parametrize("group", [ED, FF], ids=lambda g: g.name)
def test_parse_public_credentials_rejects(group: Group) -> None:
    k = _keys(group, 2)
    assert group is FF or k[0] != k[0].upper()
    identity = "1" if group is FF else "0" * 63 + "1"  # Belenios's encodings of the identity
    non_member = "2" if group is FF else "ec" + "ff" * 30 + "7f"  # outside the subgroup
    cases = [
        [k[0], k[0]],  # duplicate
        [f"{k[0]},1", f"{k[0]},2"],  # duplicate key, other weight
        [k[0], f"{k[1]},2"],  # mixed forms
        [f"{k[0]},2", k[1]],
        [f"{k[0]},0"],  # weight 0
        [f"{k[0]},-1"],
        [f"{k[0]},01"],
        [f"{k[0]},"],
        [f"{k[0]},1,alice"],  # the login is stripped by `archive init`
        [non_member],
        [identity],
        ["0" + k[0]],
        [k[0].upper() if group is ED else k[0] + " "],
        ["not a key"],
        [""],
    ]
    for entries in cases:
        with pytest.raises(Rejected) as e:
            parse_public_credentials(group, json.dumps(entries).encode())
        assert e.value.check == "credentials", entries
    for key, why in [(identity, "the identity"), (non_member, "subgroup")]:
        with pytest.raises(Rejected, match=why):
            parse_public_credentials(group, json.dumps([key]).encode())
    for data in [b"", b"{}", b'["a"', b"[1]", b'"x"']:
        with pytest.raises(Rejected) as e:
            parse_public_credentials(group, data)
        assert e.value.check == "credentials"
