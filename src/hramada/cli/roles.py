"""The commands of each role, for running a real election without the server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from hramada.cli.output import console, err, result_tables
from hramada.crypto.credentials import CredentialError
from hramada.crypto.group import GroupError
from hramada.crypto.groups import get_group
from hramada.election.audit import audit_ballot, describe_choices, read_audit
from hramada.election.ballot import create_ballot
from hramada.election.box import BallotBox
from hramada.election.context import context_from_archive
from hramada.election.credentials import generate_credentials, parse_voters
from hramada.election.decryption import make_partial_decryption, owners
from hramada.election.errors import Rejected
from hramada.election.setup import check_uuid, make_election, make_trustees, new_uuid
from hramada.election.tally import read_tally
from hramada.election.trustees import election_public_key, key_id, make_trustee_key
from hramada.protocol.archive import WriteFailed, read_archive
from hramada.protocol.canonical import FormatError, decode, encode, sha256_b64
from hramada.protocol.model import Template, TrusteePublicKey
from hramada.protocol.secret_files import write_secret

credentials_app = typer.Typer(help="Credential authority: make the voters' credentials.")
trustee_app = typer.Typer(help="Trustee: make a key; decrypt the tally with it.")
voter_app = typer.Typer(help="Voter: make a ballot from a credential and choices.")
admin_app = typer.Typer(help="Administrator: set up, run and close an election archive.")

ArchiveArg = Annotated[Path, typer.Argument(help="The election's .bel archive.")]


@contextmanager
def failing() -> Iterator[None]:
    """Turn a protocol rejection or bad input into a clear message and exit code 1."""
    try:
        yield
    except (
        Rejected,
        FormatError,
        GroupError,
        CredentialError,
        ValueError,
        OSError,
        WriteFailed,
    ) as e:
        err.print(Text("error: ", style="red") + Text(str(e)), highlight=False)
        raise typer.Exit(1) from None


def _write(path: Path, data: bytes | str, secret: bool = False) -> None:
    """Write a file; a secret one is readable by its owner only (0600) from its creation."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if secret:
        write_secret(path, data)
    else:
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
    err.print(f"wrote {path}", highlight=False)


@credentials_app.command("generate")
def credentials_generate(
    uuid: Annotated[
        str, typer.Option(help="The election UUID (from `hramada election new-uuid`).")
    ],
    voters: Annotated[Path, typer.Option(help="Voter list: `email[,login[,weight]]` per line.")],
    group: Annotated[str, typer.Option(help="The election group.")] = "Ed25519",
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("."),
) -> None:
    """Write private_credentials.json (to send to the voters, then destroy) and
    public_credentials.json (for the administrator)."""
    with failing():
        check_uuid(uuid)
        batch = generate_credentials(get_group(group), uuid, parse_voters(voters.read_text()))
        private = json.dumps(batch.private, indent=1) + "\n"
        _write(out / "private_credentials.json", private, secret=True)
        _write(out / "public_credentials.json", batch.public)
    console.print(f"fingerprint of the public credentials: {sha256_b64(batch.public)}")


@trustee_app.command("keygen")
def trustee_keygen(
    group: Annotated[str, typer.Option(help="The election group.")] = "Ed25519",
    name: Annotated[str | None, typer.Option(help="A name published with the key.")] = None,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("."),
) -> None:
    """Make a trustee key pair: ID.privkey stays with the trustee, ID.pubkey goes to the
    administrator."""
    with failing():
        x, public = make_trustee_key(get_group(group), name)
        pub = encode(public)
        ident = key_id(pub)
        _write(out / f"{ident}.privkey", json.dumps(str(x)), secret=True)
        _write(out / f"{ident}.pubkey", pub)


@trustee_app.command("decrypt")
def trustee_decrypt(
    archive: ArchiveArg,
    key: Annotated[Path, typer.Option(help="The trustee's .privkey file.")],
    out: Annotated[Path | None, typer.Option(help="Output file (default: stdout).")] = None,
) -> None:
    """Compute this trustee's partial decryption of the archive's encrypted tally."""
    with failing():
        arch = read_archive(archive)
        ctx = context_from_archive(arch)
        x = ctx.group.decode_scalar(json.loads(key.read_text()))
        public = ctx.group.g_pow(x)
        numbers = [o.number for o in owners(ctx).values() if o.public_key == public]
        if not numbers:
            raise Rejected("trustee", "this key is not one of the election's trustee keys")
        tallies = [e for _, e in arch.events if e.type == "EncryptedTally"]
        if not tallies:
            raise Rejected("phase", "the archive has no encrypted tally yet")
        tally = read_tally(ctx.group, arch.payload(tallies[-1]), arch.data)
        pd = encode(make_partial_decryption(ctx, tally.ciphertexts, x))
        err.print(f"trustee number {numbers[0]}")
        if out:
            _write(out, pd)
        else:
            console.out(pd.decode(), highlight=False)


@voter_app.command("ballot")
def voter_ballot(
    archive: ArchiveArg,
    credential: Annotated[str, typer.Option(help="The private credential, XXX-XXX-XXX-XXX-XXX.")],
    choices: Annotated[
        str, typer.Option(help="JSON, one list per question, blank flag first: [[0,1,0,1],[1,0]]")
    ],
    out: Annotated[Path | None, typer.Option(help="Output file (default: stdout).")] = None,
) -> None:
    """Encrypt, prove and sign a ballot; print it and its tracking code."""
    with failing():
        ctx = context_from_archive(read_archive(archive))
        try:
            plain = json.loads(choices)
        except json.JSONDecodeError as e:
            raise ValueError(f"--choices is not valid JSON ({e})") from None
        if not isinstance(plain, list) or not all(isinstance(m, list) for m in plain):
            raise ValueError("choices must be a JSON list of lists of 0/1")
        ballot = create_ballot(ctx, credential, plain)
        err.print(f"tracking code: {sha256_b64(ballot)}", highlight=False)
        if out:
            _write(out, ballot)
        else:
            console.out(ballot.decode(), highlight=False)


@voter_app.command("audit")
def voter_audit(
    election: Annotated[
        Path, typer.Argument(help="The election: its election.json, or its .bel archive.")
    ],
    audit: Annotated[Path, typer.Argument(help="The audit file the voting booth let you save.")],
) -> None:
    """Check a ballot audit on your own machine: re-encrypt the revealed choices with the
    revealed randomness and compare with the audited ballot (which must never be cast)."""
    with failing():
        if election.suffix == ".bel":
            election_bytes = context_from_archive(read_archive(election)).election_bytes
        else:
            # The election text is compact JSON ending in "}": a saved copy may have gained a
            # final newline, which would change its fingerprint.
            election_bytes = election.read_bytes().rstrip()
        report = audit_ballot(election_bytes, read_audit(audit.read_bytes()))
    console.print(Text(report.election.name, style="bold"))
    console.print(f"choices revealed for the audited ballot {report.tracker}:", highlight=False)
    for line in describe_choices(report.election, report.choices):
        console.print(Text(line))
    if not report.ok:
        for problem in report.problems:
            err.print(Text("FAILED ", style="red") + Text(problem), highlight=False)
        raise typer.Exit(1)
    console.print(Text("audit ok", style="green") + Text(": the ballot encrypts these choices"))


@admin_app.command("new-uuid")
def admin_new_uuid() -> None:
    """Print a fresh election UUID."""
    console.out(new_uuid())


@admin_app.command("setup")
def admin_setup(
    uuid: Annotated[str, typer.Option(help="The UUID the credentials were made for.")],
    template: Annotated[Path, typer.Option(help="Election template (name, questions...).")],
    credentials: Annotated[Path, typer.Option(help="public_credentials.json")],
    trustee: Annotated[list[Path], typer.Option(help="A trustee .pubkey file (repeat).")],
    group: Annotated[str, typer.Option(help="The election group.")] = "Ed25519",
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("."),
) -> None:
    """Create the archive: election, trustees and credentials, sealed by the Setup event."""
    with failing():
        g = get_group(group)
        items = [decode(p.read_bytes(), TrusteePublicKey, str(p)) for p in trustee]
        tpl = decode(template.read_bytes(), Template, "template")
        election = make_election(tpl, g, uuid, election_public_key(g, list(items)))
        path = out / f"{uuid}.bel"
        out.mkdir(parents=True, exist_ok=True)
        BallotBox.create(path, election, make_trustees(list(items)), credentials.read_bytes())
    console.print(f"created {path}; election fingerprint {sha256_b64(election)}")


@admin_app.command("cast")
def admin_cast(
    archive: ArchiveArg, ballot: Annotated[Path, typer.Argument(help="The ballot file.")]
) -> None:
    """Accept a ballot into the archive after checking every rule; print its tracking code."""
    with failing():
        accepted = BallotBox.open(archive).cast(ballot.read_bytes().rstrip(b"\n"))
    console.print(f"accepted; tracking code {accepted.tracker}")


@admin_app.command("close")
def admin_close(archive: ArchiveArg) -> None:
    """End the voting phase: no ballot is accepted after this."""
    with failing():
        BallotBox.open(archive).close()
    console.print("voting closed")


@admin_app.command("tally")
def admin_tally(archive: ArchiveArg) -> None:
    """Compute and append the encrypted tally of the last ballot of each credential."""
    with failing():
        tally = BallotBox.open(archive).compute_tally()
    console.print(f"encrypted tally of {tally.num_tallied} ballots (weight {tally.total_weight})")


@admin_app.command("add-decryption")
def admin_add_decryption(
    archive: ArchiveArg,
    owner: Annotated[int, typer.Option(help="The trustee number.")],
    decryption: Annotated[Path, typer.Argument(help="The trustee's partial decryption file.")],
) -> None:
    """Append a trustee's partial decryption after checking all its proofs."""
    with failing():
        BallotBox.open(archive).add_partial_decryption(owner, decryption.read_bytes().rstrip(b"\n"))
    console.print(f"partial decryption of trustee {owner} accepted")


@admin_app.command("result")
def admin_result(archive: ArchiveArg) -> None:
    """Combine the trustees' decryptions, publish the result and print it."""
    with failing():
        box = BallotBox.open(archive)
        result = box.publish_result()
    for table in result_tables(box.ctx.election, result):
        console.print(table)
