"""The parallel vote tabulation's pure logic: photos, codes, flags, the publication chain."""

from __future__ import annotations

import io
import json

import pytest
from nacl.signing import SigningKey
from PIL import Image
from pvt_images import has_gps, photo_with_gps, png_bomb

from hramada.observe.pvt import chain, photo, tally, tokens


def test_the_photo_loses_every_metadata_field() -> None:
    original = photo_with_gps()
    assert has_gps(original)
    clean = photo.clean_photo(original)
    assert not has_gps(clean)
    assert b"PhoneMaker" not in clean and b"Exif" not in clean
    with Image.open(io.BytesIO(clean)) as image:
        assert image.size == (640, 480) and image.format == "JPEG"


@pytest.mark.parametrize(("kind", "size"), [("JPEG", (4000, 3000)), ("PNG", (3000, 4400))])
def test_a_large_photo_is_stored_smaller_but_legible(kind: str, size: tuple[int, int]) -> None:
    out = io.BytesIO()
    Image.new("RGB", size, "white").save(out, format=kind)
    with Image.open(io.BytesIO(photo.clean_photo(out.getvalue()))) as image:
        assert photo.LONG_SIDE <= max(image.size) <= 2 * photo.LONG_SIDE
        assert abs(image.size[0] / image.size[1] - size[0] / size[1]) < 0.01


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not an image at all", "not an acceptable image"),
        (b"\xff\xd8" + b"\0" * (photo.MAX_BYTES + 1), "larger than"),
        (png_bomb(), "too large"),
        (png_bomb(7_000, 7_000), "too large"),
        (photo_with_gps()[:2000], "damaged"),
    ],
)
def test_bad_photos_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(photo.PhotoError, match=message):
        photo.clean_photo(data)


def test_codes_are_stored_as_hashes_and_read_forgivingly() -> None:
    code = tokens.new_code()
    assert len(code) == 23 and code.count("-") == 3
    h = tokens.code_hash("e1", code)
    assert h == tokens.code_hash("e1", code.lower().replace("-", " "))
    assert h != tokens.code_hash("e2", code)
    assert code not in h


STATIONS = "code,region,address\nS1,Minsk,School 1\nS2,Minsk,School 2\nS3,Brest,Club\n"


def test_flagged_exactly_where_verified_votes_exceed_the_official_count() -> None:
    stations = tally.read_stations(STATIONS)
    official = tally.read_protocols(
        "station,Tsikhanouskaya,Lukashenka\nS1,2,500\nS2,3,400\n", [s.code for s in stations]
    )
    verified = {"S1": {"Tsikhanouskaya": 3}, "S2": {"Tsikhanouskaya": 3}, "S3": {"X": 9}}
    data = tally.report(tally.compare(stations, verified, official))
    assert [f["station"] for f in data["flagged"]] == ["S1"]  # S2 equal, S3 has no protocol
    assert data["flagged"][0]["candidates"] == [
        {"candidate": "Tsikhanouskaya", "verified": 3, "official": 2}
    ]
    assert data["coverage"] == {
        "stations": 3,
        "with_protocol": 2,
        "with_verified_votes": 3,
        "verified_votes": 15,
        "official_votes": 905,
    }
    assert tally.flagged_csv(data).splitlines()[1] == "S1,Minsk,School 1,Tsikhanouskaya,3,2"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("code,region\nS1,Minsk\n", "columns"),
        ("code,region,address\nS1,a,b\nS1,c,d\n", "twice"),
        ("code,region,address\n,a,b\n", "empty"),
    ],
)
def test_bad_station_files_are_refused(text: str, message: str) -> None:
    with pytest.raises(tally.CsvError, match=message):
        tally.read_stations(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("station,A\nS9,1\n", "unknown station"),
        ("station,A\nS1,-1\n", "not a count"),
        ("station,A\nS1,1\nS1,2\n", "twice"),
        ("code,A\nS1,1\n", "columns"),
    ],
)
def test_bad_protocol_files_are_refused(text: str, message: str) -> None:
    with pytest.raises(tally.CsvError, match=message):
        tally.read_protocols(text, ["S1"])


def test_the_chain_shows_later_edits() -> None:
    key = SigningKey.generate()
    first = chain.publish(key, None, "t0", {"flagged": []})
    second = chain.publish(key, first, "t1", {"flagged": ["S1"]})
    public = bytes(key.verify_key)
    assert chain.verify_chain(public, [first, second]) == []
    body = json.loads(first.body)
    body["report"] = {"flagged": ["S9"]}
    edited = chain.Publication(chain.canonical(body), first.hash, first.signature)
    assert (
        "publication 0: its body does not hash" in chain.verify_chain(public, [edited, second])[0]
    )
    rehashed = chain.publish(SigningKey.generate(), None, "t0", body["report"])
    problems = chain.verify_chain(public, [rehashed, second])
    assert "publication 0: bad signature" in problems
    assert "publication 1: does not follow the previous publication" in problems
    assert chain.verify_chain(public, [second])  # a chain cut at its start
