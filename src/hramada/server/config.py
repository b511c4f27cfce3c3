"""The server's settings, with defaults that need no configuration (SQLite in a data folder)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from hramada.protocol.secret_files import private_folder
from hramada.server.database import sqlite_file


@dataclass(frozen=True)
class Limits:
    """Request size and rate limits; rates are per client address, kept in memory only."""

    ballot_bytes: int = 512 * 1024
    json_bytes: int = 64 * 1024
    credentials_bytes: int = 256 * 1024 * 1024
    # Rejected requests (bad ballots, failed logins) a client may make per minute, and burst.
    rejections_per_minute: float = 30.0
    rejection_burst: int = 60
    # Ballots being checked at once before the server answers 503 and asks to retry.
    max_pending_ballots: int = 2000
    # A trustee's partial decryption or ceremony polynomial (a few kB per question/trustee).
    upload_bytes: int = 16 * 1024 * 1024
    # Uploads larger than json_bytes being read at once (credentials, decryptions); 503 beyond.
    large_uploads: int = 2
    # Connections: open at once (capped further by the open-files limit), and deadlines.
    max_connections: int = 1000
    header_seconds: float = 10.0  # from connecting (or the last answer) to the full request head
    header_bytes: int = 64 * 1024
    body_seconds: float = 20.0  # for the whole body, plus 1 s per body_rate bytes declared
    body_rate: int = 256 * 1024
    keep_alive_seconds: float = 5.0  # idle between requests


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("hramada-data")
    database_url: str | None = None  # default: SQLite file in data_dir
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)  # ballot checkers
    limits: Limits = field(default_factory=Limits)
    session_hours: int = 12
    # The origin visitors use (scheme://host[:port]): links, the Origin check, Secure cookies.
    public_url: str = "http://127.0.0.1:8000"
    # Peers (reverse proxies) whose X-Forwarded-For/-Proto headers are believed.
    trusted_proxies: tuple[str, ...] = ()

    @property
    def https(self) -> bool:
        return self.public_url.startswith("https://")

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'hramada.sqlite').resolve()}"

    @property
    def archives(self) -> Path:
        return self.data_dir / "elections"

    def prepare_data_dir(self) -> None:
        """The data folder only this user may enter (0700), its SQLite file 0600."""
        private_folder(self.data_dir)
        if self.database_url is None:
            sqlite_file(self.data_dir / "hramada.sqlite")
