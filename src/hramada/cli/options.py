"""Command-line options that several servers share."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

TlsCertOption = Annotated[
    Path | None, typer.Option(help="Serve HTTPS with this certificate chain (PEM).")
]
TlsKeyOption = Annotated[Path | None, typer.Option(help="The certificate's private key (PEM).")]
