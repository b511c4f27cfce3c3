"""The `.bel` archive: an append-only V7 tar of hash-named JSON members forming a hash chain."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import time
import weakref
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from hramada.protocol.canonical import FormatError, decode, encode, sha256_hex
from hramada.protocol.checkpoint import Checkpoint, read_checkpoint
from hramada.protocol.model import ArchiveHeader, Event, EventType

_BLOCK = 512


def _tar_header(name: str, size: int, mtime: int) -> bytes:
    """An old-style (V7) tar header as Belenios writes it: no ustar magic, mode 0644."""
    fields = [
        name.encode().ljust(100, b"\0"),
        b"0000644\0",
        b"0000000\0",
        b"0000000\0",
        b"%011o\0" % size,
        b"%011o\0" % mtime,
        b" " * 8,
        b"0",
    ]
    header = bytearray(b"".join(fields).ljust(_BLOCK, b"\0"))
    header[148:156] = b"%06o\0 " % sum(header)
    return bytes(header)


def _member(name: str, data: bytes, mtime: int) -> bytes:
    return _tar_header(name, len(data), mtime) + data + b"\0" * (-len(data) % _BLOCK)


class TornTail(FormatError):
    """The file ends inside a member: what a write cut short by a crash leaves."""


class StoredMembers(Mapping[str, bytes]):
    """An archive's data members left in its file: a reader holds where each one is, not its
    bytes, and reads it again (checking its hash again) when it is asked for. The file stays
    open until the mapping is dropped."""

    def __init__(self, path: Path) -> None:
        self.where: dict[str, tuple[int, int]] = {}  # hex hash -> (offset, size)
        self._file = path.open("rb")
        weakref.finalize(self, self._file.close)

    def __getitem__(self, digest: str) -> bytes:
        offset, size = self.where[digest]
        data = os.pread(self._file.fileno(), size, offset)
        if sha256_hex(data) != digest:
            raise FormatError(f"member {digest}.data.json changed while the archive was read")
        return data

    def __contains__(self, digest: object) -> bool:
        return digest in self.where

    def __iter__(self) -> Iterator[str]:
        return iter(self.where)

    def __len__(self) -> int:
        return len(self.where)


@dataclass
class Archive:
    """An archive's members in order; `data` maps hex hashes to the stored bytes (held in
    memory by a writer, left in the file by a reader)."""

    header: ArchiveHeader
    timestamp: int
    events: list[tuple[str, Event]] = field(default_factory=list)
    data: Mapping[str, bytes] = field(default_factory=dict)
    unordered: set[str] = field(default_factory=set)  # events stored before their payload

    @property
    def last_event(self) -> str | None:
        return self.events[-1][0] if self.events else None

    def payload(self, event: Event) -> bytes:
        if event.payload is None or event.payload not in self.data:
            raise FormatError(f"{event.type} event at height {event.height} has no payload member")
        return self.data[event.payload]


def _octal(field: bytes, pos: int) -> int:
    try:
        return int(field.split(b"\0")[0].strip() or b"0", 8)
    except ValueError:
        raise FormatError(f"corrupt tar header at byte {pos}") from None


def _members(stream: BinaryIO) -> Iterator[tuple[str, bytes, int]]:
    """Yield (name, bytes, offset just past the member) as the tar is read, one member at a
    time; FormatError where the tar breaks."""
    pos = 0
    while True:
        header = stream.read(_BLOCK)
        if len(header) < _BLOCK or header == bytes(_BLOCK):
            break  # the end, or an end-of-archive block written by another tar tool
        field = header[148:156]
        if _octal(field, pos) != sum(header) - sum(field) + 8 * 32:
            raise FormatError(f"tar header checksum mismatch at byte {pos}")
        try:
            name = header[:100].split(b"\0")[0].decode()
        except UnicodeDecodeError:
            raise FormatError(f"corrupt member name at byte {pos}") from None
        size = _octal(header[124:136], pos)
        data = stream.read(size)
        if len(data) < size:
            raise TornTail(f"member {name} is truncated")
        padding = -size % _BLOCK
        if len(stream.read(padding)) < padding:
            raise TornTail(f"the padding of member {name} is truncated")
        pos += _BLOCK + size + padding
        yield name, data, pos
    rest = header
    while rest:  # only zeros may follow the last member
        if rest.strip(b"\0"):
            raise TornTail("trailing bytes after the last tar member")
        rest = stream.read(1 << 20)


def _complete_members(raw: bytes) -> tuple[list[tuple[str, bytes, int]], int]:
    """The members up to the end of the last complete event, and that length in bytes.

    Only a torn tail (the file ends inside a member) or complete data members without their
    event may follow; any other damage raises FormatError and nothing is cut.
    """
    members: list[tuple[str, bytes, int]] = []
    kept = end = 0
    try:
        for name, data, pos in _members(io.BytesIO(raw)):
            members.append((name, data, pos))
            if name == "BELENIOS" or name.endswith(".event.json"):
                kept, end = len(members), pos
    except TornTail:
        pass
    del members[kept:]
    return members, end


def _events_within(members: list[tuple[str, bytes, int]], length: int) -> int | None:
    """How many events the first `length` bytes hold, if they end just after an event."""
    events = 0
    for name, _, pos in members:
        if pos > length:
            break
        if name.endswith(".event.json"):
            events += 1
            if pos == length:
                return events
    return None


def chain_problems(archive: Archive) -> Iterator[tuple[Event, str, str]]:
    """(event, check, detail) wherever heights are not 0, 1, 2... or a parent is not the
    event just before."""
    previous: str | None = None
    for i, (name, event) in enumerate(archive.events):
        if event.height != i:
            yield event, "height", f"expected height {i}, found {event.height}"
        if event.parent != previous:
            yield event, "hash chain", f"parent should be {previous}, is {event.parent}"
        previous = name


def read_archive(path: Path) -> Archive:
    """Parse an archive and check that every member is named after the hash of its bytes. The
    file is read member by member and its data members stay in it (`StoredMembers`): a reader
    holds the events and where each payload is, whatever the archive's size."""
    stored = StoredMembers(path)
    with path.open("rb") as stream:
        return _parse(_members(stream), stored=stored)


def _parse(
    members: Iterable[tuple[str, bytes, int]], trusted: int = 0, stored: StoredMembers | None = None
) -> Archive:
    """The archive these members make; members ending within the first `trusted` bytes (which
    a checkpoint's hash vouches for) are not hashed again. Data members are held in memory, or
    only located in `stored`."""
    rest = iter(members)
    first = next(rest, None)
    if first is None or first[0] != "BELENIOS":
        raise FormatError("the first member is not the BELENIOS header")
    header = decode(first[1], ArchiveHeader, "archive header")
    if header.version != 1:
        raise FormatError(f"unsupported archive version {header.version}")
    try:
        timestamp = int(header.timestamp)
    except ValueError:
        raise FormatError("archive timestamp is not an integer") from None
    held: dict[str, bytes] = {}
    archive = Archive(header=header, timestamp=timestamp, data=held if stored is None else stored)
    parent = data_digest = None  # the names just read, shared by the event that repeats them
    for name, data, pos in rest:
        digest, _, suffix = name.partition(".")
        if pos > trusted and sha256_hex(data) != digest:
            raise FormatError(f"member {name} does not hash to its name")
        if suffix == "data.json":
            data_digest = digest
            if stored is None:
                held[digest] = data
            else:
                size = len(data)
                stored.where[digest] = (pos - (-size % _BLOCK) - size, size)  # pos: past padding
        elif suffix == "event.json":
            event = decode(data, Event, f"event {name}")
            if event.payload is not None and event.payload not in archive.data:
                archive.unordered.add(digest)
            # One string object for a hash held twice: a large archive is read in less memory.
            if event.parent == parent:
                event.parent = parent
            if event.payload == data_digest:
                event.payload = data_digest
            archive.events.append((digest, event))
            parent = digest
        else:
            raise FormatError(f"unexpected member {name}")
    return archive


class WriteFailed(Exception):
    """An append could not be made durable. The archive is back at its last durable length and
    refuses every append until it is opened again: after a failed fsync the page cache is not to
    be trusted, so only a fresh read of the file may continue it."""


Mark = tuple[int, int]  # (bytes written, events written) at some moment


class ArchiveWriter:
    """Appends data and events to an archive file, durably, keeping the chain consistent.

    The file stays open for the writer's whole life, so appending, syncing and cutting back
    never need a new file descriptor (a server out of descriptors still stores ballots).
    Appends made with `sync=False` are pending until a `sync()`; `durable` is the length known
    to be on disk, and a failure cuts the file and `archive` back to it.
    """

    def __init__(self, path: Path, archive: Archive, digest: hashlib._Hash) -> None:
        assert isinstance(archive.data, dict), "a writer holds its data members in memory"
        self.path = path
        self.archive = archive
        self._data: dict[str, bytes] = archive.data
        self.trusted_events = 0  # events covered by a matching checkpoint, when opened
        self._hash = digest  # SHA-256 of every byte written so far
        self._durable_hash = digest.copy()  # ... and of the durable ones
        self._hashes: list[tuple[int, hashlib._Hash]] = []  # (length, hash) of pending appends
        self._file = open(path, "ab", buffering=0)  # noqa: SIM115 (held open; see `close`)
        self.length = self._file.seek(0, os.SEEK_END)  # bytes of complete appends written
        try:  # what a crashed process left may be in the page cache only
            os.fsync(self._file.fileno())
        except OSError:
            self._file.close()
            raise
        self.durable = self.length  # bytes known to be on disk
        self.durable_head = archive.last_event  # the last event known to be on disk
        self.broken: str | None = None  # why appends are refused, after a failure
        self._pending: list[list[str]] = []  # data members added by each pending append

    def close(self) -> None:
        self._file.close()

    def mark(self) -> Mark:
        """Where the writer stands: after an fsync begun later, `settle(mark)`."""
        return self.length, len(self.archive.events)

    def fsync(self) -> None:
        """Flush the file to disk; raises OSError and changes nothing, so it may run in another
        thread while appends go on."""
        os.fsync(self._file.fileno())

    def settle(self, mark: Mark) -> None:
        """Declare durable everything written up to `mark`."""
        length, events = mark
        if length <= self.durable:
            return
        del self._pending[: events - (len(self.archive.events) - len(self._pending))]
        while self._hashes and self._hashes[0][0] <= length:
            self._durable_hash = self._hashes.pop(0)[1]
        self.durable = length
        self.durable_head = self.archive.events[events - 1][0]

    def sync(self) -> None:
        """Make every append so far durable (one fsync for a whole batch of appends)."""
        mark = self.mark()
        try:
            self.fsync()
        except OSError as e:
            raise self.fail(e) from e
        self.settle(mark)

    def fail(self, error: OSError) -> WriteFailed:
        """After a failed write or fsync: cut the file and the archive back to the last durable
        length, refuse every later append, and return the error to raise."""
        self.broken = f"writing the archive failed ({error.strerror or error})"
        try:
            os.ftruncate(self._file.fileno(), self.durable)
            os.fsync(self._file.fileno())
        except OSError:
            pass  # reopening cuts a torn tail; whole events left were never acknowledged
        events = self.archive.events
        del events[len(events) - len(self._pending) :]
        for keys in self._pending:
            for key in keys:
                self._data.pop(key, None)
        self._pending.clear()
        self._hashes.clear()
        self._hash = self._durable_hash.copy()
        self.length = self.durable
        return WriteFailed(self.broken)

    def checkpoint(self) -> Checkpoint:
        """What is known to be on disk: its length and hash, for `write_checkpoint`."""
        return Checkpoint(length=self.durable, sha256=self._durable_hash.hexdigest())

    @classmethod
    def create(cls, path: Path, timestamp: int | None = None) -> ArchiveWriter:
        ts = int(time.time()) if timestamp is None else timestamp
        header = ArchiveHeader(version=1, timestamp=str(ts))
        data = _member("BELENIOS", encode(header), ts)
        with open(path, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        directory = os.open(path.parent, os.O_RDONLY)  # make the new name itself durable
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        return cls(path, Archive(header=header, timestamp=ts), hashlib.sha256(data))

    @classmethod
    def open(cls, path: Path) -> ArchiveWriter:
        """Open for appending; first cut off what an append interrupted by a crash left.

        An append is acknowledged only after its event reached the disk, so the bytes after
        the last complete event were never acknowledged to anyone. When the archive starts
        with the bytes its checkpoint describes, `trusted_events` counts the events they hold.
        """
        raw = path.read_bytes()
        members, committed = _complete_members(raw)
        if committed == 0:
            raise FormatError(f"{path} is not an election archive")
        if committed < len(raw):
            with open(path, "r+b") as f:
                f.truncate(committed)
                f.flush()
                os.fsync(f.fileno())
        view = memoryview(raw)
        digest = hashlib.sha256()
        checkpoint = read_checkpoint(path)
        trusted, events = 0, 0
        if checkpoint is not None and 0 < checkpoint.length <= committed:
            digest.update(view[: checkpoint.length])
            if digest.hexdigest() == checkpoint.sha256:
                events = _events_within(members, checkpoint.length) or 0
                trusted = checkpoint.length if events else 0
            digest.update(view[checkpoint.length : committed])
        else:
            digest.update(view[:committed])
        del view, raw
        writer = cls(path, _parse(members, trusted), digest)
        writer.trusted_events = events
        return writer

    def append(self, event_type: EventType, records: list[bytes], sync: bool = True) -> str:
        """Store `records` as data members and append one event whose payload is the last one.

        Returns the hex hash of the event. The whole append (and every pending one before it)
        reaches the disk before returning, unless `sync` is False: then it is durable only after
        the next `sync()`. Raises WriteFailed, with the file cut back, if it cannot be stored.
        """
        if self.broken:
            raise WriteFailed(self.broken)
        archive = self.archive
        last = archive.events[-1][1] if archive.events else None
        payload = sha256_hex(records[-1]) if records else None
        event = Event(
            parent=archive.last_event,
            height=0 if last is None else last.height + 1,
            type=event_type,
            payload=payload,
        )
        event_bytes = encode(event)
        ts = archive.timestamp
        chunk = b"".join(_member(f"{sha256_hex(r)}.data.json", r, ts) for r in records)
        event_hash = sha256_hex(event_bytes)
        chunk += _member(f"{event_hash}.event.json", event_bytes, ts)
        try:
            view = memoryview(chunk)
            while view:  # after a short write, the next one reports the error
                written = self._file.write(view)
                if not written:
                    raise OSError(errno.EIO, "the disk took no bytes")
                view = view[written:]
            if sync:
                os.fsync(self._file.fileno())
        except OSError as e:
            raise self.fail(e) from e
        self._hash.update(chunk)
        added = [h for h in map(sha256_hex, records) if h not in self._data]
        for r in records:
            self._data[sha256_hex(r)] = r
        archive.events.append((event_hash, event))
        self.length += len(chunk)
        if sync:
            self._pending.clear()
            self._hashes.clear()
            self._durable_hash = self._hash.copy()
            self.durable, self.durable_head = self.length, event_hash
        else:
            self._pending.append(added)
            self._hashes.append((self.length, self._hash.copy()))
        return event_hash
