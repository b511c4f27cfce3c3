"""The wire format (NOTES §2.1, §5, §6): canonical JSON, the hashes over it, the `.bel` archive."""

from __future__ import annotations

import hashlib
import json
import tarfile
import tempfile
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from conftest import VECTORS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hramada.protocol import model
from hramada.protocol.archive import Archive, ArchiveWriter, StoredMembers, read_archive
from hramada.protocol.canonical import (
    FormatError,
    b64_to_hex,
    decode,
    decode_canonical,
    encode,
    sha256_b64,
    sha256_hex,
)
from hramada.protocol.trustees import decode_trustees, encode_trustees

ARCHIVES = sorted(VECTORS.glob("*/*.bel"))
BALLOT_FILES = sorted(
    [
        *VECTORS.glob("*/ballot*.json"),
        *VECTORS.glob("e4-nh/b?.json"),
        *VECTORS.glob("e1-dashless/b.json"),
        *VECTORS.glob("*/ballots/*.json"),
    ]
)
E1_BALLOT = (VECTORS / "e1" / "ballot1.json").read_bytes().rstrip(b"\n")
E1_TRACKER = "9NNdYI/HpasjdwhSNNlKla5y0Wnw17F8K2xaXc1gd1Q"
E1_FINGERPRINT = "C7ypWA6hqcbJ3Imytf2REOyiFj1jgD1Q8CYZO425zF8"
BLOCK = 512


def compact(obj: Any) -> bytes:
    """NOTES §2.1: the Python spelling of Belenios's canonical form."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(VECTORS)) for p in paths]


def test_vectors_present() -> None:
    assert len(ARCHIVES) == 7
    assert len(BALLOT_FILES) >= 17


# --- Canonical JSON ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", BALLOT_FILES, ids=ids(BALLOT_FILES))
def test_vector_ballot_files_are_canonical(path: Path) -> None:
    raw = path.read_bytes()
    assert raw.endswith(b"\n") and raw.count(b"\n") == 1  # the tool prints one line
    data = raw[:-1]
    ballot = decode_canonical(data, model.Ballot, "ballot")
    assert encode(ballot) == data
    assert compact(json.loads(data)) == data
    with pytest.raises(FormatError):
        decode_canonical(raw, model.Ballot, "ballot")  # the newline is not part of it


PAYLOAD_KINDS: dict[str, Any] = {
    "Setup": model.SetupData,
    "Ballot": model.Ballot,
    "EncryptedTally": model.SizedEncryptedTally,
    "Shuffle": model.Owned,
    "PartialDecryption": model.Owned,
    "Result": model.Result,
}


@pytest.mark.parametrize("path", ARCHIVES, ids=ids(ARCHIVES))
def test_every_vector_member_re_encodes_to_its_bytes(path: Path) -> None:
    archive = read_archive(path)
    for digest, event in archive.events:
        assert encode(event) == archive_bytes(archive, digest, event)
        if event.payload is None:
            assert event.type in ("EndBallots", "EndShuffles")
            continue
        payload = archive.payload(event)
        obj = decode_canonical(payload, PAYLOAD_KINDS[event.type], event.type)
        if event.type == "Setup":
            election = archive.data[obj.election]
            assert encode(decode(election, model.Election, "election")) == election
            trustees = archive.data[obj.trustees]
            assert encode_trustees(decode_trustees(trustees)) == trustees
            credentials = archive.data[obj.credentials]
            assert compact(json.loads(credentials)) == credentials
        elif event.type == "EncryptedTally":
            tally = archive.data[obj.encrypted_tally]
            assert encode(decode(tally, model.EncryptedTally, "tally")) == tally
        elif event.type == "PartialDecryption":
            pd = archive.data[obj.payload]
            assert decode_canonical(pd, model.PartialDecryption, "pd") is not None
        elif event.type == "Shuffle":
            shuffle = archive.data[obj.payload]
            assert decode_canonical(shuffle, model.Shuffle, "shuffle") is not None


def archive_bytes(archive: Archive, digest: str, event: model.Event) -> bytes:
    """An event's bytes are not kept by the reader: rebuild and check them against the name."""
    data = encode(event)
    assert sha256_hex(data) == digest
    return data


def test_non_ascii_text_stays_raw_utf8() -> None:
    q = model.Question(
        answers=["Аляксандра", "Ўладзімір", "داریوش", "سلام", "日本"],
        min=1,
        max=1,
        question='Хто "лепшы"? \\ کدام',
    )
    data = encode(q)
    assert "Аляксандра".encode() in data and "داریوش".encode() in data
    assert b"\\u" not in data
    assert '\\"лепшы\\"'.encode() in data and b"\\\\ " in data
    assert data == compact({"answers": q.answers, "min": 1, "max": 1, "question": q.question})
    assert decode_canonical(data, model.Question, "question") == q


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(exclude_categories=("Cs",))))
def test_strings_encode_like_json_dumps_without_ascii_escapes(s: str) -> None:
    data = encode(s)
    assert data == compact(s)
    assert decode_canonical(data, str, "text") == s


@st.composite
def ballot_variants(draw: st.DrawFn) -> bytes:
    """Spellings of e1's first ballot that parse to the same ballot but are not canonical."""
    obj = json.loads(E1_BALLOT)
    kind = draw(
        st.sampled_from(["indent", "space", "newline", "reorder", "unknown", "escape", "dup"])
    )
    if kind == "indent":
        return json.dumps(obj, indent=draw(st.integers(0, 2))).encode()
    if kind == "space":
        seps = draw(st.sampled_from([(", ", ":"), (",", ": "), (" ,", ":")]))
        return json.dumps(obj, separators=seps).encode()
    if kind == "newline":
        return E1_BALLOT + draw(st.sampled_from([b"\n", b" ", b"\r\n", b"\t"]))
    if kind == "reorder":
        keys = list(obj)
        order = draw(st.permutations(keys).filter(lambda p: list(p) != keys))
        return compact({k: obj[k] for k in order})
    if kind == "unknown":
        where = draw(st.sampled_from(["top", "answer", "proof"]))
        target = {
            "top": obj,
            "answer": obj["answers"][0],
            "proof": obj["signature"]["proof"],
        }[where]
        target[draw(st.sampled_from(["extra", "zzz", "a"]))] = draw(
            st.sampled_from([1, None, "x", []])
        )
        return compact(obj)
    if kind == "escape":
        return E1_BALLOT.replace(b'"Rdf4Kt66ECGScb"', b'"\\u0052df4Kt66ECGScb"', 1)
    return E1_BALLOT[:-1] + b',"election_uuid":"Rdf4Kt66ECGScb"}'


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(ballot_variants())
def test_decode_canonical_rejects_other_spellings(data: bytes) -> None:
    assert data != E1_BALLOT
    with pytest.raises(FormatError):
        decode_canonical(data, model.Ballot, "ballot")


def test_decode_canonical_rejects_null_for_absent_field_and_wrong_types() -> None:
    obj = json.loads(E1_BALLOT)
    del obj["signature"]
    unsigned = compact(obj)
    assert decode_canonical(unsigned, model.Ballot, "ballot").signature is None
    with pytest.raises(FormatError):
        decode_canonical(compact({**obj, "signature": None}), model.Ballot, "ballot")
    obj["election_uuid"] = 5
    with pytest.raises(FormatError):
        decode_canonical(compact(obj), model.Ballot, "ballot")
    for bad in [b"", b"{", b"[]", b"null", b"\xff"]:
        with pytest.raises(FormatError):
            decode_canonical(bad, model.Ballot, "ballot")


def test_lenient_decode_accepts_whitespace() -> None:
    pretty = json.dumps(json.loads(E1_BALLOT), indent=2).encode()
    assert encode(decode(pretty, model.Ballot, "ballot")) == E1_BALLOT


# --- Hashes (NOTES §2.1, §6.1) ----------------------------------------------------------------


def test_e1_tracker_and_member_name() -> None:
    trackers = {}
    for path in sorted((VECTORS / "e1").glob("ballot*.json")):
        data = path.read_bytes().rstrip(b"\n")
        trackers[sha256_b64(data)] = data
    assert E1_TRACKER in trackers
    hexname = b64_to_hex(E1_TRACKER)
    assert hexname.startswith("f4d35d608fc7a5ab") and hexname.endswith("cd607754")
    assert hexname == sha256_hex(trackers[E1_TRACKER])
    archive = read_archive(VECTORS / "e1" / "Rdf4Kt66ECGScb.bel")
    assert archive.data[hexname] == trackers[E1_TRACKER]
    with tarfile.open(VECTORS / "e1" / "Rdf4Kt66ECGScb.bel") as tar:
        names = tar.getnames()
    assert f"{hexname}.data.json" in names


def test_e1_fingerprint() -> None:
    archive = read_archive(VECTORS / "e1" / "Rdf4Kt66ECGScb.bel")
    setup = decode(archive.payload(archive.events[0][1]), model.SetupData, "setup")
    election = archive.data[setup.election]
    assert sha256_b64(election) == E1_FINGERPRINT
    # make-election's file ends with a newline that `archive init` drops (NOTES §6.1).
    assert (VECTORS / "e1" / "election.json").read_bytes() == election + b"\n"
    for path in (VECTORS / "e1").glob("ballot*.json"):
        assert json.loads(path.read_bytes())["election_hash"] == E1_FINGERPRINT


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_sha256_b64_and_hex_agree(data: bytes) -> None:
    b64 = sha256_b64(data)
    assert len(b64) == 43 and "=" not in b64
    assert set(b64) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    assert b64_to_hex(b64) == sha256_hex(data) == hashlib.sha256(data).hexdigest()


# --- Reading archives -------------------------------------------------------------------------


def check_chain(archive: Archive) -> None:
    assert archive.events, "no events"
    previous: str | None = None
    for height, (digest, event) in enumerate(archive.events):
        assert event.height == height
        assert event.parent == previous
        if event.payload is not None:
            assert event.payload in archive.data
            assert sha256_hex(archive.data[event.payload]) == event.payload
        previous = digest
    assert archive.last_event == previous


@pytest.mark.parametrize("path", ARCHIVES, ids=ids(ARCHIVES))
def test_vector_archives_are_chained(path: Path) -> None:
    archive = read_archive(path)
    check_chain(archive)
    assert archive.events[0][1].type == "Setup"
    assert archive.header.version == 1 and isinstance(archive.header.timestamp, str)
    # Python's tarfile reads the same members, all with the header timestamp as mtime.
    with tarfile.open(path) as tar:
        members = tar.getmembers()
    assert members[0].name == "BELENIOS"
    names = [m.name for m in members[1:]]
    expected = {f"{h}.event.json" for h, _ in archive.events}
    expected |= {f"{h}.data.json" for h in archive.data}
    assert set(names) == expected and len(names) == len(expected)
    assert {m.mtime for m in members} == {archive.timestamp}
    assert len(path.read_bytes()) % BLOCK == 0


# --- Writing archives -------------------------------------------------------------------------

EVENT_TYPES: list[model.EventType] = ["Setup", "Ballot", "EndBallots", "EncryptedTally", "Result"]

records = st.lists(
    st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=30), max_size=3).map(
        compact
    ),
    max_size=3,
)


def write_archive(path: Path, steps: list[tuple[model.EventType, list[bytes]]], ts: int) -> None:
    writer = ArchiveWriter.create(path, ts)
    for event_type, recs in steps:
        writer.append(event_type, recs)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.tuples(st.sampled_from(EVENT_TYPES), records), min_size=1, max_size=6),
    st.integers(0, 2**33 - 1),
)
def test_written_archives_read_back_identically(
    steps: list[tuple[model.EventType, list[bytes]]], ts: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.bel"
        writer = ArchiveWriter.create(path, ts)
        hashes = [writer.append(t, recs) for t, recs in steps]
        archive = read_archive(path)
        check_chain(archive)
        assert [h for h, _ in archive.events] == hashes
        assert archive.events == writer.archive.events
        assert archive.data == writer.archive.data
        assert archive.timestamp == ts and archive.header.timestamp == str(ts)
        for (_, event), (t, recs) in zip(archive.events, steps, strict=True):
            assert event.type == t
            assert event.payload == (sha256_hex(recs[-1]) if recs else None)
            for r in recs:
                assert archive.data[sha256_hex(r)] == r
        raw = path.read_bytes()
        assert len(raw) % BLOCK == 0
        with tarfile.open(path) as tar:
            members = tar.getmembers()
            assert members[0].name == "BELENIOS"
            assert tar.extractfile(members[0]).read() == compact(  # type: ignore[union-attr]
                {"version": 1, "timestamp": str(ts)}
            )
            for m in members:
                assert m.mtime == ts and m.mode == 0o644 and m.uid == 0 and m.isfile()
                content = tar.extractfile(m).read()  # type: ignore[union-attr]
                if m.name != "BELENIOS":
                    assert m.name.split(".")[0] == sha256_hex(content)
        expected = ["BELENIOS"]
        for (h, _), (_, recs) in zip(archive.events, steps, strict=True):
            expected += [f"{sha256_hex(r)}.data.json" for r in recs] + [f"{h}.event.json"]
        assert [m.name for m in members] == expected


def test_reopened_writer_continues_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "a.bel"
    write_archive(path, [("Setup", [b'{"a":1}']), ("Ballot", [b'{"b":2}'])], 1795425272)
    before = read_archive(path)
    writer = ArchiveWriter.open(path)
    digest = writer.append("EndBallots", [])
    after = read_archive(path)
    assert after.events[:2] == before.events
    assert after.events[2] == (digest, writer.archive.events[2][1])
    assert after.events[2][1].parent == before.last_event
    check_chain(after)


def test_create_refuses_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "a.bel"
    path.write_bytes(b"x")
    with pytest.raises(FileExistsError):
        ArchiveWriter.create(path, 1)
    assert path.read_bytes() == b"x"


# --- Corrupt archives -------------------------------------------------------------------------


def small_archive(tmp_path: Path) -> tuple[Path, bytes]:
    path = tmp_path / "small.bel"
    write_archive(
        path,
        [
            ("Setup", [b'{"election":1}', b"[]", b'{"x":"' + b"y" * 600 + b'"}']),
            ("Ballot", [b'{"ballot":"one"}']),
            ("EndBallots", []),
        ],
        1795425272,
    )
    return path, path.read_bytes()


def member_layout(raw: bytes) -> list[tuple[int, int, int]]:
    """(header offset, end of data, end of padding) of every member."""
    out = []
    pos = 0
    while pos < len(raw):
        size = int(raw[pos + 124 : pos + 135], 8)
        end = pos + BLOCK + size
        out.append((pos, end, end + (-size % BLOCK)))
        pos = end + (-size % BLOCK)
    return out


def rewrite_header(raw: bytearray, pos: int, **fields: bytes) -> None:
    """Change header fields at `pos` and recompute the tar checksum, as a forger would."""
    offsets = {"name": (0, 100), "size": (124, 12)}
    for key, value in fields.items():
        start, length = offsets[key]
        raw[pos + start : pos + start + length] = value.ljust(length, b"\0")
    header = raw[pos : pos + BLOCK]
    header[148:156] = b" " * 8
    header[148:156] = b"%06o\0 " % sum(header)
    raw[pos : pos + BLOCK] = header


def test_member_not_hashing_to_its_name(tmp_path: Path) -> None:
    path, raw = small_archive(tmp_path)
    layout = member_layout(raw)
    for _, end, _ in layout[1:]:
        broken = bytearray(raw)
        broken[end - 1] ^= 0x01  # last byte of the member's data
        path.write_bytes(bytes(broken))
        with pytest.raises(FormatError, match="does not hash"):
            read_archive(path)
    # A member renamed after another hash, header checksum recomputed.
    broken = bytearray(raw)
    header = layout[1][0]
    rewrite_header(broken, header, name=b"0" * 64 + b".data.json")
    path.write_bytes(bytes(broken))
    with pytest.raises(FormatError):
        read_archive(path)


@pytest.mark.parametrize(
    "name",
    [b"BELENIOS", b"notahash", b"x.event.json", b"%s.other.json" % (b"a" * 64), b"\xff\xfe"],
)
def test_unexpected_member_names(tmp_path: Path, name: bytes) -> None:
    path, raw = small_archive(tmp_path)
    broken = bytearray(raw)
    rewrite_header(broken, member_layout(raw)[1][0], name=name)
    path.write_bytes(bytes(broken))
    with pytest.raises(FormatError):
        read_archive(path)


def test_corrupt_headers(tmp_path: Path) -> None:
    path, raw = small_archive(tmp_path)
    layout = member_layout(raw)
    # A flipped bit anywhere in any header.
    for header, _, _ in layout:
        for offset in (0, 50, 100, 124, 130, 148, 156, 300):
            broken = bytearray(raw)
            broken[header + offset] ^= 0x04
            path.write_bytes(bytes(broken))
            with pytest.raises(FormatError):
                read_archive(path)
    broken = bytearray(raw)
    rewrite_header(broken, layout[1][0], size=b"0000000009z\0")
    path.write_bytes(bytes(broken))
    with pytest.raises(FormatError):
        read_archive(path)


@pytest.mark.parametrize(
    "header",
    [
        b'{"version":2,"timestamp":"1"}',
        b'{"version":1,"timestamp":"soon"}',
        b'{"version":1}',
        b"not json",
    ],
)
def test_bad_archive_header(tmp_path: Path, header: bytes) -> None:
    path, raw = small_archive(tmp_path)
    layout = member_layout(raw)
    start, end, _ = layout[0]
    body = bytearray(raw)
    body[start + BLOCK : end] = header.ljust(end - start - BLOCK, b" ")[: end - start - BLOCK]
    # Keep the size field honest: same size, content padded with spaces.
    path.write_bytes(bytes(body))
    with pytest.raises(FormatError):
        read_archive(path)


def test_first_member_must_be_the_header(tmp_path: Path) -> None:
    path, raw = small_archive(tmp_path)
    first_end = member_layout(raw)[0][2]
    path.write_bytes(raw[first_end:])
    with pytest.raises(FormatError):
        read_archive(path)
    path.write_bytes(b"")
    with pytest.raises(FormatError):
        read_archive(path)


def test_truncated_archives(tmp_path: Path) -> None:
    """Every cut inside a header or a member's data is a FormatError; a cut at a member boundary
    is a shorter valid archive (the format has no end marker)."""
    path, raw = small_archive(tmp_path)
    layout = member_layout(raw)
    boundaries = {padded for _, _, padded in layout}
    padding = {c for _, end, padded in layout for c in range(end, padded)}
    near = {c + d for _, end, padded in layout for c in (end, padded) for d in range(-3, 4)}
    checked = 0
    for cut in sorted({*range(1, len(raw), 13), *near} & set(range(1, len(raw)))):
        if cut in padding:
            continue  # see test_cut_inside_the_last_padding
        path.write_bytes(raw[:cut])
        if cut in boundaries:
            archive = read_archive(path)
            assert len(archive.events) <= 3
        else:
            with pytest.raises(FormatError):
                read_archive(path)
            checked += 1
    assert checked > 150


@settings(max_examples=60, deadline=None)
@given(zeros=st.integers(0, 3 * BLOCK), garbage=st.binary(min_size=1, max_size=40))
def test_only_zeros_may_follow_the_last_member(zeros: int, garbage: bytes) -> None:
    """Zeros after the last member (another tar tool's end blocks) read as nothing; any other
    byte after them, at any distance, is refused: the file is read member by member and then to
    its end."""
    raw = (VECTORS / "e1" / "Rdf4Kt66ECGScb.bel").read_bytes()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "e1.bel"
        path.write_bytes(raw + bytes(zeros))
        assert (
            read_archive(path).events == read_archive(VECTORS / "e1" / "Rdf4Kt66ECGScb.bel").events
        )
        if garbage.strip(b"\0"):
            path.write_bytes(raw + bytes(zeros) + garbage)
            with pytest.raises(FormatError):
                read_archive(path)


def test_truncated_vector_archive(tmp_path: Path) -> None:
    raw = (VECTORS / "e1" / "Rdf4Kt66ECGScb.bel").read_bytes()
    layout = member_layout(raw)
    path = tmp_path / "e1.bel"
    for header, end, _ in layout[1::3]:
        for cut in (header + 1, header + BLOCK - 1, header + BLOCK + 1, end - 1):
            path.write_bytes(raw[:cut])
            with pytest.raises(FormatError):
                read_archive(path)


def test_reopen_cuts_off_an_interrupted_append(tmp_path: Path) -> None:
    """An append is one write: what follows the last complete event was never acknowledged."""
    path, raw = small_archive(tmp_path)
    other = tmp_path / "other.bel"
    write_archive(other, [("Setup", [b'{"a":"' + b"b" * 700 + b'"}', b"[1]"])], 1795425272)
    other_layout = member_layout(other.read_bytes())
    start = other_layout[1][0]
    chunk = other.read_bytes()[start:]
    whole_data_member = other_layout[1][2] - start
    cuts = (1, BLOCK, BLOCK + 5, whole_data_member, len(chunk) - BLOCK - 1, len(chunk) - BLOCK + 1)
    for cut in cuts:
        path.write_bytes(raw + chunk[:cut])
        writer = ArchiveWriter.open(path)
        assert path.read_bytes() == raw, cut
        assert len(writer.archive.events) == 3
        writer.append("EncryptedTally", [b"{}"])
        check_chain(read_archive(path))


def test_cut_inside_the_last_padding(tmp_path: Path) -> None:
    path, raw = small_archive(tmp_path)
    _, end, padded = member_layout(raw)[-1]
    assert padded - end > 1
    path.write_bytes(raw[: end + 1])
    try:
        writer = ArchiveWriter.open(path)
    except FormatError:
        return  # refusing the file is fine too
    writer.append("EncryptedTally", [b"{}"])
    check_chain(read_archive(path))


def test_reopen_refuses_corruption_before_the_end(tmp_path: Path) -> None:
    path = tmp_path / "e1.bel"
    raw = (VECTORS / "e1" / "Rdf4Kt66ECGScb.bel").read_bytes()
    broken = bytearray(raw)
    header = member_layout(raw)[10][0]  # a Ballot data member, 6 events before the end
    broken[header + 5] ^= 0x01
    path.write_bytes(bytes(broken))
    with pytest.raises(FormatError):
        read_archive(path)
    with pytest.raises(FormatError):
        ArchiveWriter.open(path)
    assert path.read_bytes() == bytes(broken), "the archive was cut"


def test_a_reader_holds_where_payloads_are_not_their_bytes(tmp_path: Path) -> None:
    """An archive of 1,000 ballots of 4 KB is read with a peak of a small part of its size,
    each payload is read back from the file when asked for, and one changed since is refused."""
    path = tmp_path / "big.bel"
    writer = ArchiveWriter.create(path, 0)
    ballots = [json.dumps({"n": i, "pad": "x" * 4096}).encode() for i in range(1000)]
    for ballot in ballots:
        writer.append("Ballot", [ballot], sync=False)
    writer.sync()
    writer.close()
    size = path.stat().st_size
    tracemalloc.start()
    archive = read_archive(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < size / 4, (peak, size)
    assert [archive.payload(e) for _, e in archive.events] == ballots
    stored = archive.data
    assert isinstance(stored, StoredMembers)
    offset, _ = stored.where[sha256_hex(ballots[7])]
    with path.open("r+b") as f:
        f.seek(offset + 2)
        f.write(b"m")
    with pytest.raises(FormatError, match="changed while the archive was read"):
        archive.payload(archive.events[7][1])
