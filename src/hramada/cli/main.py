"""Entry point: `hramada demo`, `hramada verify` and the role sub-commands."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from hramada.cli.ceremony import threshold as trustee_threshold
from hramada.cli.custodian import custodian_app
from hramada.cli.forensics import forensics_app
from hramada.cli.output import console, err, progress_bar, progress_callback, result_tables
from hramada.cli.pvt import pvt_app
from hramada.cli.registry import registry_app
from hramada.cli.roles import admin_app, credentials_app, trustee_app, voter_app
from hramada.cli.seats import seats
from hramada.cli.server import accounts_app, serve, submit
from hramada.crypto.groups import core_name
from hramada.verify.report import Report
from hramada.verify.verifier import verify_archive

app = typer.Typer(
    help="Hramada: end-to-end verifiable elections (Belenios protocol v1).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(credentials_app, name="credentials")
app.add_typer(trustee_app, name="trustee")
app.add_typer(voter_app, name="voter")
app.add_typer(admin_app, name="election")
app.add_typer(accounts_app, name="admin")
app.add_typer(forensics_app, name="forensics")
app.add_typer(custodian_app, name="custodian")
app.add_typer(registry_app, name="registry")
app.add_typer(pvt_app, name="pvt")
app.command()(serve)
app.command()(seats)
trustee_app.command("submit")(submit)
trustee_app.command("threshold")(trustee_threshold)

EXIT_FAILED = 1
EXIT_NO_FILE = 2
EXIT_INCOMPLETE = 3
EXIT_NO_CLUSTER = 4


def _version(show: bool) -> None:
    if show:
        from importlib.metadata import version as package_version

        console.print(f"hramada {package_version('hramada')}, group core: {core_name()}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            help="Print the version and which group core (native or pure) is in use.",
        ),
    ] = False,
) -> None:
    """Hramada: end-to-end verifiable elections (Belenios protocol v1)."""


class GroupName(StrEnum):
    ed25519 = "Ed25519"
    belenios = "BELENIOS-2048"
    rfc3526 = "RFC-3526-2048"


def _print_report(report: Report) -> int:
    if report.election is not None:
        election = report.election
        console.print(Text(f"{election.name}  (uuid {election.uuid})", style="bold"))
    if not report.ok:
        for problem in report.problems:
            err.print(Text("FAILED ", style="red") + Text(str(problem)), highlight=False)
        return EXIT_FAILED
    assert report.election is not None
    console.print(
        f"{report.events} events, {report.ballots} valid ballots"
        + ("" if report.tallied is None else f", {report.tallied} tallied")
        + ("" if report.registrations is None else f", {report.registrations} registrations")
    )
    for table in result_tables(report.election, report.result):
        console.print(table)
    if report.result is None:
        console.print("No result published yet: everything so far holds.")
    if report.unsupported:
        err.print(
            Text("NOT VERIFIED", style="yellow")
            + Text(f" (not yet supported): {', '.join(report.unsupported)}")
        )
        return EXIT_INCOMPLETE
    console.print(Text("OK", style="green") + Text(": every check passed."))
    return 0


@app.command()
def verify(
    path: Annotated[Path, typer.Argument(help="A .bel archive, or a folder holding one.")],
    all_problems: Annotated[
        bool, typer.Option("--all", help="Report every problem, not only the first.")
    ] = False,
    workers: Annotated[int, typer.Option(help="Processes (default: every core).")] = 0,
    ray: Annotated[
        str | None,
        typer.Option(
            help="Check the ballots on the Ray cluster at this address (as ray.init takes it; "
            "'auto': a running local cluster)."
        ),
    ] = None,
) -> None:
    """Verify an election archive: exit 0 when every check holds, 1 when one fails, 2 when there is no such file, 3 when a part (ranked questions) cannot be checked yet, 4 when the Ray cluster cannot be joined."""  # noqa: E501
    if not path.exists():
        err.print(Text("error: ", style="red") + Text(f"no such file: {path}"))
        raise typer.Exit(EXIT_NO_FILE)
    if ray is not None:
        from hramada.verify.ray_cluster import RayUnavailable, connect

        try:
            connect(ray)
        except RayUnavailable as e:
            err.print(Text("error: ", style="red") + Text(str(e)))
            raise typer.Exit(EXIT_NO_CLUSTER) from None
    with progress_bar() as progress:
        report = verify_archive(
            path,
            collect_all=all_problems,
            workers=workers or None,
            progress=progress_callback(progress),
            ray=ray,
        )
    raise typer.Exit(_print_report(report))


def _registry_demo(members: Path | None, out: Path) -> int:
    """`demo --registry`: run every service, then verify the folder as an observer would."""
    import httpx

    from hramada.registry.demo import read_members, run_registry_demo

    if members is None:
        raise typer.BadParameter("--registry needs --members FILE (name,document,phone)")
    try:
        read_members(members)
    except (OSError, ValueError) as e:
        raise typer.BadParameter(str(e)) from None
    if out.is_file() or (out.is_dir() and any(out.iterdir())):
        raise typer.BadParameter(f"{out} is not an empty folder: the demo leaves every file there")
    say = lambda text: console.print(Text("• ", style="cyan") + Text(text))  # noqa: E731
    try:
        with progress_bar() as progress:
            outcome = run_registry_demo(members, out, say, progress_callback(progress))
    except (RuntimeError, TimeoutError, OSError, httpx.HTTPError) as e:
        err.print(Text("error: ", style="red") + Text(str(e)))
        return EXIT_FAILED
    console.print(
        f"Election {outcome.uuid}: {outcome.members} members enrolled, registered and voted."
    )
    table = Table(title=Text(f"What each service left in {outcome.folder}"))
    for column in ("path", "files", "bytes"):
        table.add_column(column, justify="left" if column == "path" else "right")
    for entry in sorted(outcome.folder.iterdir()):
        files = [p for p in entry.rglob("*") if p.is_file()] if entry.is_dir() else [entry]
        name = entry.name + ("/" if entry.is_dir() else "")
        table.add_row(Text(name), str(len(files)), str(sum(p.stat().st_size for p in files)))
    console.print(table)
    if outcome.result != outcome.expected:
        err.print(Text("The decrypted result differs from the simulated votes.", style="red"))
        return EXIT_FAILED
    console.print(f"Verifying {outcome.folder} as an observer would (hramada verify):")
    with progress_bar() as progress:
        report = verify_archive(outcome.folder, progress=progress_callback(progress))
    return _print_report(report)


@app.command()
def demo(
    voters: Annotated[int, typer.Option(min=1, help="Number of simulated voters.")] = 100,
    group: Annotated[GroupName, typer.Option(help="The election group.")] = GroupName.ed25519,
    trustees: Annotated[int, typer.Option(min=1, help="Number of trustees.")] = 3,
    threshold: Annotated[
        int, typer.Option(min=1, help="Trustees needed to decrypt (= trustees: Single keys).")
    ] = 2,
    weights: Annotated[bool, typer.Option(help="Give voters weights 1 to 3.")] = False,
    revotes: Annotated[bool, typer.Option(help="Let a fifth of the voters vote again.")] = False,
    out: Annotated[Path, typer.Option(help="Folder for the archive.")] = Path("out"),
    registry: Annotated[
        bool,
        typer.Option(
            help="Anonymous eligibility: custodians, registry and election server as real "
            "processes; the members of --members enrol, get blind-signed credentials and vote."
        ),
    ] = False,
    members: Annotated[
        Path | None, typer.Option(help="With --registry: a CSV file name,document,phone.")
    ] = None,
) -> None:
    """Run a complete simulated election, print its result, then verify the archive."""
    from hramada.election.demo import run_demo

    if registry:
        raise typer.Exit(_registry_demo(members, out))
    if members is not None:
        raise typer.BadParameter("--members goes with --registry")
    if threshold > trustees:
        raise typer.BadParameter("threshold cannot exceed the number of trustees")
    with progress_bar() as progress:
        outcome = run_demo(
            out,
            voters=voters,
            group_name=group.value,
            trustees=trustees,
            threshold=threshold,
            weights=weights,
            revotes=revotes,
            progress=progress_callback(progress),
        )
    kind = "Single keys" if threshold >= trustees else f"{threshold} of {trustees} (Pedersen)"
    console.print(
        f"Election {outcome.uuid}: {outcome.ballots_cast} ballots cast by {voters} voters, "
        f"group {group.value}, trustees {kind}.\nArchive: {outcome.path}"
    )
    if outcome.result != outcome.expected:
        err.print(Text("The decrypted result differs from the simulated votes.", style="red"))
        raise typer.Exit(EXIT_FAILED)
    console.print("Verifying the archive as an observer would:")
    with progress_bar() as progress:
        report = verify_archive(outcome.path, progress=progress_callback(progress))
    raise typer.Exit(_print_report(report))
