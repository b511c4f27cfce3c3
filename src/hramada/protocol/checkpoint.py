"""The server's note to itself of how much of an archive it has already checked.

A checkpoint beside `X.bel` (`X.bel.checkpoint`) records a length and the SHA-256 of the
archive's bytes up to it, written only once those bytes are on disk. When the archive still
starts with exactly those bytes, a restart may trust the events they hold (their ballots were
checked when they were cast) and re-check only what follows; a missing, unreadable or
mismatching checkpoint means the whole archive is checked again. It is no evidence for
anyone else: observers re-check everything, and whoever can rewrite it can rewrite the
archive too. It is written atomically (temporary file, fsync, rename, fsync of the folder),
so a crash leaves the previous checkpoint or the new one, never a mix.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import msgspec

SUFFIX = ".checkpoint"
_writing = threading.Lock()  # one temporary file per checkpoint: one write at a time


class Checkpoint(msgspec.Struct, forbid_unknown_fields=True):
    length: int  # bytes of the archive covered, ending just after an event
    sha256: str  # hex SHA-256 of those bytes


def checkpoint_path(archive: Path) -> Path:
    return archive.with_name(archive.name + SUFFIX)


def read_checkpoint(archive: Path) -> Checkpoint | None:
    """The checkpoint of `archive`, or None if there is none or it cannot be read."""
    try:
        return msgspec.json.decode(checkpoint_path(archive).read_bytes(), type=Checkpoint)
    except (OSError, msgspec.DecodeError):
        return None


def write_checkpoint(archive: Path, checkpoint: Checkpoint) -> None:
    """Replace the checkpoint of `archive` atomically and durably; raises OSError."""
    path = checkpoint_path(archive)
    temporary = path.with_name(path.name + ".tmp")
    with _writing:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(msgspec.json.encode(checkpoint))
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
