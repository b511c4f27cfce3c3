"""Rewrite `.bel` archives for tamper tests, keeping every hash, reference and the chain valid.

An archive is read as the list of its events in order. Each event becomes a `Step`: the event
type and the data members written just before it, the last of which is its payload
(`EndBallots` and `EndShuffles` have none). A test edits the steps (replace a member's bytes,
drop, insert, move or duplicate an event) and writes a new archive with the project's own
`ArchiveWriter`, so member names, payload hashes, parents and heights are consistent again and
only the edit itself is left for the verifier to find.

Some payloads name other members by hash: `setup_data` (election, trustees, credentials),
`sized_encrypted_tally` (the `encrypted_tally` member) and the `owned` records of partial
decryptions and shuffles. `EditableArchive.fix_references` (run by `write` unless told not
to) points them at the current bytes of the member just before them, and `setup_data`,
`sized_tally` and `owned` build such records from scratch.

For breakages that the writer cannot produce (a wrong parent, a gap in the heights, an event
whose payload member is missing), `members` gives the hash-named members and `write_members`
writes any list of them as a tar file.
"""

from __future__ import annotations

import copy
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import msgspec

from hramada.protocol.archive import ArchiveWriter
from hramada.protocol.canonical import encode, sha256_hex
from hramada.protocol.model import EventType, Owned, SetupData, SizedEncryptedTally

BLOCK = 512
NO_PAYLOAD = ("EndBallots", "EndShuffles")
# The event types whose payload names the member written just before it, and the field doing so.
_REFERENCE_FIELDS = {
    "EncryptedTally": "encrypted_tally",
    "PartialDecryption": "payload",
    "Shuffle": "payload",
}


# --- JSON in the archive's compact canonical form -------------------------------------------


def load(data: bytes) -> Any:
    """Parse a member; objects keep their field order."""
    return msgspec.json.decode(data)


def dump(obj: Any) -> bytes:
    """Compact JSON, raw UTF-8, fields in insertion order: the form the archive stores."""
    return encode(obj)


def edit_json(data: bytes, change: Callable[[Any], object]) -> bytes:
    """Change the parsed member in place (whatever `change` returns is ignored, so that
    `lambda b: b["answers"].pop()` is an edit) and serialize it again."""
    obj = load(data)
    change(obj)
    return dump(obj)


# --- records that reference other members ---------------------------------------------------


def setup_data(election: bytes, trustees: bytes, credentials: bytes) -> bytes:
    return encode(
        SetupData(
            election=sha256_hex(election),
            trustees=sha256_hex(trustees),
            credentials=sha256_hex(credentials),
        )
    )


def sized_tally(tally: bytes, num_tallied: int, total_weight: int | str) -> bytes:
    return encode(
        SizedEncryptedTally(
            num_tallied=num_tallied, total_weight=total_weight, encrypted_tally=sha256_hex(tally)
        )
    )


def owned(owner: int, data: bytes) -> bytes:
    return encode(Owned(owner=owner, payload=sha256_hex(data)))


# --- the tar container ----------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    name: str
    data: bytes
    offset: int  # where the member's bytes start in the file (its header is the block before)


def read_members(raw: bytes) -> list[Member]:
    """Every tar member in file order: an old-style tar, with or without end blocks."""
    members: list[Member] = []
    pos = 0
    while pos + BLOCK <= len(raw):
        header = raw[pos : pos + BLOCK]
        if not header.strip(b"\0"):
            break
        name = header[:100].split(b"\0", 1)[0].decode()
        size = int(header[124:136].strip(b"\0 ") or b"0", 8)
        start = pos + BLOCK
        if start + size > len(raw):
            raise ValueError(f"member {name} is truncated")
        members.append(Member(name, raw[start : start + size], start))
        pos = start + size + (-size % BLOCK)
    return members


def write_members(path: Path, timestamp: int, members: list[tuple[str, bytes]]) -> Path:
    """Write the BELENIOS header then `members` as they are: no hash or chain is fixed."""
    header = dump({"version": 1, "timestamp": str(timestamp)})
    out = bytearray()
    for name, data in [("BELENIOS", header), *members]:
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = len(data), timestamp, 0o644
        out += info.tobuf(format=tarfile.USTAR_FORMAT)
        out += data + bytes(-len(data) % BLOCK)
    path.write_bytes(bytes(out))
    return path


# --- the editable archive -------------------------------------------------------------------


@dataclass
class Step:
    """One event: its type and the data members before it, the payload last."""

    type: EventType
    records: list[bytes] = field(default_factory=list)

    @property
    def payload(self) -> bytes:
        return self.records[-1]

    @payload.setter
    def payload(self, data: bytes) -> None:
        self.records[-1] = data

    def json(self, index: int = -1) -> Any:
        return load(self.records[index])

    def edit(self, change: Callable[[Any], object], index: int = -1) -> None:
        """Edit one record (the payload by default) as JSON, in place (see `edit_json`)."""
        self.records[index] = edit_json(self.records[index], change)


@dataclass
class EditableArchive:
    timestamp: int
    steps: list[Step]

    @classmethod
    def read(cls, path: Path) -> EditableArchive:
        members = read_members(path.read_bytes())
        if not members or members[0].name != "BELENIOS":
            raise ValueError(f"{path} does not start with the BELENIOS header")
        steps: list[Step] = []
        pending: list[bytes] = []
        for m in members[1:]:
            if m.name.endswith(".data.json"):
                pending.append(m.data)
            elif m.name.endswith(".event.json"):
                event = load(m.data)
                steps.append(Step(event["type"], pending))
                pending = []
            else:
                raise ValueError(f"unexpected member {m.name}")
        if pending:
            raise ValueError(f"{path} ends with data members that belong to no event")
        return cls(int(load(members[0].data)["timestamp"]), steps)

    def copy(self) -> EditableArchive:
        return copy.deepcopy(self)

    # Finding events: heights are positions in `steps`.

    def heights(self, event_type: str) -> list[int]:
        return [h for h, s in enumerate(self.steps) if s.type == event_type]

    def height(self, event_type: str, n: int = 0) -> int:
        """The height of the n-th event of that type (negative n counts from the end)."""
        return self.heights(event_type)[n]

    def step(self, event_type: str, n: int = 0) -> Step:
        return self.steps[self.height(event_type, n)]

    # The setup members.

    @property
    def setup(self) -> Step:
        return self.step("Setup")

    @property
    def election(self) -> bytes:
        return self.setup.records[0]

    @election.setter
    def election(self, data: bytes) -> None:
        self.setup.records[0] = data

    @property
    def trustees(self) -> bytes:
        return self.setup.records[1]

    @trustees.setter
    def trustees(self, data: bytes) -> None:
        self.setup.records[1] = data

    @property
    def credentials(self) -> bytes:
        return self.setup.records[2]

    @credentials.setter
    def credentials(self, data: bytes) -> None:
        self.setup.records[2] = data

    # Editing the event list.

    def drop(self, height: int) -> Step:
        return self.steps.pop(height)

    def insert(self, height: int, step: Step) -> None:
        self.steps.insert(height, step)

    def move(self, source: int, target: int) -> None:
        """Take the event at `source` out, then insert it at `target` of the shortened list."""
        self.steps.insert(target, self.steps.pop(source))

    def duplicate(self, height: int, at: int | None = None) -> int:
        """Insert a copy of an event (right after it by default); return the copy's height."""
        target = height + 1 if at is None else at
        self.steps.insert(target, copy.deepcopy(self.steps[height]))
        return target

    def replace_member(self, old: bytes, new: bytes) -> int:
        """Replace every data member equal to `old`; return how many were replaced."""
        n = 0
        for s in self.steps:
            for i, r in enumerate(s.records):
                if r == old:
                    s.records[i] = new
                    n += 1
        return n

    # References and writing.

    def fix_references(self) -> None:
        """Point every hash reference at the bytes of the member it belongs with."""
        for s in self.steps:
            if s.type == "Setup" and len(s.records) >= 4:
                new = setup_data(*s.records[-4:-1])
                if load(s.records[-1]) != load(new):
                    s.records[-1] = new
            elif s.type in _REFERENCE_FIELDS and len(s.records) >= 2:
                key = _REFERENCE_FIELDS[s.type]
                try:
                    record = load(s.records[-1])
                except msgspec.DecodeError:
                    continue
                target = sha256_hex(s.records[-2])
                if isinstance(record, dict) and record.get(key, target) != target:
                    record[key] = target
                    s.records[-1] = dump(record)

    def write(self, path: Path, *, fix_refs: bool = True) -> Path:
        """Write a fresh archive with the project's writer: names, parents, heights all valid."""
        if fix_refs:
            self.fix_references()
        writer = ArchiveWriter.create(path, self.timestamp)
        for s in self.steps:
            writer.append(s.type, list(s.records))
        return path

    def members(
        self, event_edit: Callable[[int, dict[str, Any]], dict[str, Any]] | None = None
    ) -> list[tuple[str, bytes]]:
        """The hash-named members an archive of these steps holds (without the header).

        `event_edit(height, event)` may change each event before it is hashed, so the member
        stays named after its bytes and the next event's parent is the edited event's hash.
        """
        out: list[tuple[str, bytes]] = []
        parent: str | None = None
        for height, s in enumerate(self.steps):
            out += [(f"{sha256_hex(r)}.data.json", r) for r in s.records]
            event: dict[str, Any] = {} if parent is None else {"parent": parent}
            event |= {"height": height, "type": s.type}
            if s.records:
                event["payload"] = sha256_hex(s.records[-1])
            if event_edit is not None:
                event = event_edit(height, event)
            data = dump(event)
            parent = sha256_hex(data)
            out.append((f"{parent}.event.json", data))
        return out


def new_step(event_type: str, records: list[bytes] | None = None) -> Step:
    return Step(cast(EventType, event_type), list(records or []))
