"""`hramada trustee threshold`: a trustee's part of the k-of-n key ceremony, on their machine."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.console import Console
from rich.text import Text

from hramada.cli.output import console, err
from hramada.crypto.group import Group, GroupError
from hramada.crypto.groups import get_group
from hramada.election.ceremony import (
    DONE,
    STEPS,
    BadShare,
    CeremonyStatus,
    make_certificate,
    make_decryption_key,
    make_polynomial,
)
from hramada.election.errors import Rejected
from hramada.protocol.canonical import FormatError, decode, encode, sha256_hex

CERTIFICATE, POLYNOMIAL, VERIFICATION_KEY = STEPS
STATE_FILE = "ceremony.json"
_PATHS = {
    CERTIFICATE: "certificate",
    POLYNOMIAL: "polynomial",
    VERIFICATION_KEY: "verification-key",
}


class CeremonyFailure(Exception):
    """Something the trustee must act on: the message says what."""


class TrusteeState(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What a trustee keeps between the steps (file mode 600): its keys until the end, and
    each upload exactly as sent, so that running again after a lost answer sends it again."""

    api: str  # the ceremony address, with the trustee's token: this folder serves one link
    election: str
    group: str
    attempt: int
    index: int
    size: int
    threshold: int
    sk: str | None = None  # signing key (certificate, commitments, shares)
    dk: str | None = None  # decryption key of the shares sent to this trustee
    certificate: str | None = None
    polynomial: str | None = None
    verification_key: str | None = None
    key_file: str | None = None  # the private key for `hramada trustee decrypt`
    done: bool = False


def ceremony_url(link: str) -> str:
    """The ceremony API address for a trustee link (the page or any API address under it)."""
    parts = urllib.parse.urlsplit(link.strip())
    match = re.fullmatch(r"(.*?)(?:/api)?/trustee/([A-Za-z0-9_-]+)(?:/.*)?", parts.path)
    if parts.scheme not in ("http", "https") or not parts.netloc or match is None:
        raise CeremonyFailure(f"not a trustee link: {link!r} (expected https://…/trustee/…)")
    prefix, token = match.groups()
    return f"{parts.scheme}://{parts.netloc}{prefix}/api/trustee/{token}/ceremony"


def _loopback(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _say(text: str, to: Console = console) -> None:
    """One line, never wrapped (paths and commands are copied from it)."""
    to.print(Text(text), highlight=False, soft_wrap=True)


# --- the state folder ---------------------------------------------------------------


def _write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner can read, atomically (a crash leaves the old one)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, 0o600)  # in case it was there before with a wider mode
    os.replace(tmp, path)


def load_state(folder: Path) -> TrusteeState | None:
    path = folder / STATE_FILE
    if not path.exists():
        return None
    try:
        return decode(path.read_bytes(), TrusteeState, f"ceremony state {path}")
    except FormatError as e:
        raise CeremonyFailure(str(e)) from None


def save_state(folder: Path, state: TrusteeState) -> None:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    _write_private(folder / STATE_FILE, encode(state))


# --- the relay ----------------------------------------------------------------------


def _request(url: str, data: bytes | None = None, tries: int = 3) -> bytes:
    """GET (or PUT `data`) and return the answer; every request of the ceremony can be
    repeated safely, so a server error or a lost connection is retried a few times."""
    method = "GET" if data is None else "PUT"
    headers = {"content-type": "application/json"} if data is not None else {}
    failure = CeremonyFailure(f"no answer from {url}")
    for attempt in range(1, tries + 1):
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return bytes(response.read())
        except urllib.error.HTTPError as e:
            body = e.read().decode(errors="replace")
            try:
                message = json.loads(body)["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = body[:500] or e.reason
            failure = CeremonyFailure(f"the server refused ({e.code}): {message}")
            if e.code < 500:
                raise failure from None
        except (urllib.error.URLError, OSError) as e:
            reason = e.reason if isinstance(e, urllib.error.URLError) else e
            failure = CeremonyFailure(f"cannot reach the server: {reason}")
        if attempt < tries:
            time.sleep(2.0 * attempt)
    raise failure


def fetch_status(api: str) -> CeremonyStatus:
    try:
        return decode(_request(api), CeremonyStatus, "ceremony status")
    except FormatError as e:
        raise CeremonyFailure(f"the server's answer: {e}") from None


# --- the steps ----------------------------------------------------------------------


def _fresh(api: str, status: CeremonyStatus) -> TrusteeState:
    return TrusteeState(
        api=api,
        election=status.election,
        group=status.group,
        attempt=status.attempt,
        index=status.index,
        size=status.size,
        threshold=status.threshold,
    )


def _reconcile(
    api: str, folder: Path, state: TrusteeState | None, status: CeremonyStatus
) -> TrusteeState:
    """The state to go on with, given what the server says."""
    if state is not None and state.attempt != status.attempt:
        _say("The administrator restarted the key ceremony: starting again with new keys.", err)
        if state.key_file:  # the abandoned set never became an election's: its key is void
            (folder / state.key_file).unlink(missing_ok=True)
        state = None
    if state is None:
        if status.submitted:
            raise CeremonyFailure(
                f"the server already has your {status.submitted[-1]}, but {folder} holds no "
                "ceremony state: run this with the --state folder you used before (if it is "
                "lost, ask the administrator to restart the ceremony)"
            )
        return _fresh(api, status)
    if state.election != status.election:
        raise CeremonyFailure(f"{folder} holds the ceremony of another election")
    if CERTIFICATE not in status.submitted and (state.index, state.size, state.threshold) != (
        status.index,
        status.size,
        status.threshold,
    ):
        # The trustee list changed before any certificate of ours was accepted: start afresh.
        return _fresh(api, status)
    return state


def _put(state: TrusteeState, step: str, body: str) -> None:
    _request(f"{state.api}/{_PATHS[step]}", body.encode())


def _advance(folder: Path, group: Group, state: TrusteeState, status: CeremonyStatus) -> bool:
    """Do this trustee's next step if it is due; True when something was uploaded."""
    submitted = set(status.submitted)
    where = f"trustee {state.index} of {state.size}, any {state.threshold} decrypt"
    if CERTIFICATE not in submitted:
        if state.certificate is None:
            sk, dk, cert = make_certificate(group, state.size, state.threshold, state.index)
            state.sk, state.dk, state.certificate = str(sk), str(dk), encode(cert).decode()
            save_state(folder, state)  # before sending: the keys must outlive the upload
        _put(state, CERTIFICATE, state.certificate)
        _say(f"Step 1 of 3 done: certificate uploaded ({where}).")
        return True
    if set(STEPS) <= submitted:
        return False
    if state.sk is None or state.dk is None:
        raise CeremonyFailure("the ceremony state has lost its keys: ask for a restart")
    sk, dk = group.decode_scalar(state.sk), group.decode_scalar(state.dk)
    if POLYNOMIAL not in submitted:
        if status.certificates is None:
            return False
        if state.polynomial is None:
            _, upload = make_polynomial(
                group, status.certificates, state.threshold, state.index, sk, dk
            )
            state.polynomial = encode(upload).decode()
            save_state(folder, state)
        _put(state, POLYNOMIAL, state.polynomial)
        _say("Step 2 of 3 done: every certificate checked; shares sent, encrypted.")
        return True
    if status.coefexps is None or status.signatures is None or status.shares is None:
        return False
    if state.verification_key is None:
        secret, public = make_decryption_key(
            group,
            status.certificates or [],
            state.threshold,
            status.coefexps,
            status.signatures,
            status.shares,
            state.index,
            sk,
            dk,
        )
        key = encode(public)
        name = f"{sha256_hex(key)[:8].upper()}.privkey"
        _write_private(folder / name, json.dumps(str(secret)).encode())
        state.key_file, state.verification_key = name, key.decode()
        save_state(folder, state)
    _put(state, VERIFICATION_KEY, state.verification_key)
    _say("Step 3 of 3 done: every share checked; verification key uploaded.")
    return True


def _finish(folder: Path, state: TrusteeState) -> None:
    """Forget what is no longer needed once the server holds all three of our uploads."""
    if not state.done:
        state.sk = state.dk = None
        state.done = True
        save_state(folder, state)


def run(link: str, folder: Path, wait: bool, poll: float) -> None:
    """Do every step that is due; with `wait`, until the ceremony is complete."""
    api = ceremony_url(link)
    if not api.startswith("https://") and not _loopback(api):
        _say("warning: this link is not https: your uploads travel unprotected", err)
    state = load_state(folder)
    if state is not None and state.api != api:
        raise CeremonyFailure(f"{folder} holds the ceremony of another trustee link")
    while True:
        status = fetch_status(api)
        state = _reconcile(api, folder, state, status)
        group = get_group(state.group)
        try:
            if _advance(folder, group, state, status):
                continue
        except BadShare as e:
            name = status.trustees[e.sender - 1] if 0 < e.sender <= len(status.trustees) else "?"
            raise CeremonyFailure(
                f"{e.detail}. Trustee {e.sender} ({name}) sent you a bad share: stop here and "
                "tell the administrator; the ceremony must be restarted."
            ) from None
        if set(STEPS) <= set(status.submitted):
            _finish(folder, state)
        if status.step == DONE:
            key = folder / (state.key_file or "?")
            _say("The key ceremony is complete. Your private key, for decrypting the tally:")
            _say(f"  {key}")
            _say("Keep it (and a copy) offline; after the tally run:")
            _say(f"  hramada trustee decrypt ELECTION.bel --key {key} --out pd.json")
            return
        waiting = ", ".join(status.waiting_for)
        _say(
            f"Waiting for the {status.step} of: {waiting}. "
            + ("Checking again shortly…" if wait else "Run this command again later.")
        )
        if not wait:
            return
        time.sleep(poll)


@contextmanager
def _failing() -> Iterator[None]:
    try:
        yield
    except (CeremonyFailure, Rejected, FormatError, GroupError, OSError) as e:
        message = e.detail if isinstance(e, Rejected) else str(e)
        err.print(Text("error: ", style="red") + Text(message), highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def threshold(
    url: Annotated[
        str, typer.Option("--url", help="Your trustee link, as the administrator sent it.")
    ],
    state: Annotated[
        Path,
        typer.Option(
            "--state", help="Folder for your private ceremony state: the same one every time."
        ),
    ],
    wait: Annotated[
        bool, typer.Option(help="Keep waiting for the other trustees until the end.")
    ] = False,
    poll: Annotated[float, typer.Option(help="Seconds between checks with --wait.")] = 10.0,
) -> None:
    """Take part in the threshold key ceremony: each run does whatever step is due and says
    what it waits for (run it three times, or once with --wait). At the end, --state holds
    your private key for `hramada trustee decrypt`; nothing secret leaves your machine."""
    with _failing():
        run(url, state, wait, poll)
