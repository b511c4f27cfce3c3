"""Secret files (private keys and credentials, passwords, links): owner-only from creation."""

from __future__ import annotations

import os
from pathlib import Path


def write_secret(path: Path, data: bytes | str) -> None:
    """Write `data` to `path` with mode 0600, never readable by others even for a moment."""
    raw = data if isinstance(data, bytes) else data.encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        os.fchmod(f.fileno(), 0o600)  # the file may have existed with a wider mode
        f.write(raw)


def private_folder(path: Path) -> None:
    """Make `path` (and its parents) a folder only its owner may enter (0700)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
