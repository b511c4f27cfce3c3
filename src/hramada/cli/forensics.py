"""`hramada forensics`: fingerprints, integer-percentage tests and a report on station results."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from hramada.booth.i18n import LANGUAGES
from hramada.cli.output import console, err, progress_bar

# pandas and matplotlib load only when a forensics command runs, not for every `hramada` command
if TYPE_CHECKING:
    from hramada.observe.forensics.data import Results
    from hramada.observe.forensics.integers import Outcome

EXIT_BAD_INPUT = 2

forensics_app = typer.Typer(
    help="Election forensics on official station-level results: evidence of anomalies, "
    "not proof of fraud.",
    no_args_is_help=True,
)

File = Annotated[
    Path,
    typer.Argument(
        help="Station results: a CEC file (zipped CSV) or a CSV station,registered,voted,"
        "<one column per candidate> (optional column region)."
    ),
]
Leader = Annotated[
    str | None,
    typer.Option(
        help="The leader's column (its name or a unique part of it); "
        "CEC files: the official winner by default."
    ),
]
Region = Annotated[
    str | None, typer.Option(help="Only the stations of the region whose name contains this.")
]
Window = Annotated[
    float, typer.Option(min=0.0, max=0.5, help="Percentage points either side of an integer.")
]
MinRegistered = Annotated[
    int, typer.Option(min=1, help="Test only stations with at least this many registered.")
]
Simulations = Annotated[int, typer.Option(min=1, help="Monte Carlo draws of the null model.")]
Seed = Annotated[int, typer.Option(help="Seed of the simulations (fixed: the same numbers).")]


@contextmanager
def _refusing() -> Iterator[None]:
    """Bad input (no file, unknown leader, malformed CSV) is one line and exit code 2."""
    try:
        yield
    except (ValueError, OSError) as e:
        line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        err.print(Text("error: ", style="red") + Text(line), highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def _stations(path: Path, leader: str | None, region: str | None) -> tuple[Results, str]:
    """The stations of `path` (of one region on request) and the leader's column, chosen over
    the whole file: the official winner stays the leader in a region another candidate won."""
    from hramada.observe.forensics.data import load

    if not path.is_file():
        raise ValueError(f"no such file: {path}")
    results = load(path)
    column = results.leader_column(leader)
    return results.only(region), column


def _tested(
    results: Results,
    leader: str,
    window: float,
    min_registered: int,
    simulations: int,
    seed: int,
) -> dict[str, Outcome]:
    """The integer test with a progress bar on a terminal."""
    from hramada.observe.forensics.integers import integer_test

    with progress_bar() as progress:
        task = progress.add_task("simulations", total=2 * simulations)
        tick: Callable[[int], None] = lambda n: progress.advance(task, n)  # noqa: E731
        return integer_test(
            results,
            leader,
            window=window,
            min_registered=min_registered,
            simulations=simulations,
            seed=seed,
            tick=tick,
        )


def _title(path: Path, region: str | None, results: Results) -> str:
    where = f" ({region})" if region else ""
    return f"{path.name}{where}: {len(results.station):,} stations"


@forensics_app.command()
def fingerprint(
    file: File,
    out: Annotated[Path, typer.Option(help="The figure: FIG.png or FIG.svg.")],
    leader: Leader = None,
    region: Region = None,
) -> None:
    """Draw the fingerprint: turnout against the leader's share, by voters, with marginals."""
    from hramada.observe.forensics.fingerprint import FORMATS, figure

    with _refusing():
        fmt = out.suffix.lower().lstrip(".")
        if fmt not in FORMATS:
            raise ValueError(f"--out must end in .png or .svg, not {out.name!r}")
        results, column = _stations(file, leader, region)
        image = figure(results, column, fmt=fmt, title=_title(file, region, results))
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(image)
    console.print(Text(f"{out}: {column}, {len(results.station):,} stations"))


@forensics_app.command()
def integers(
    file: File,
    leader: Leader = None,
    region: Region = None,
    window: Window = 0.05,
    min_registered: MinRegistered = 100,
    simulations: Simulations = 1000,
    seed: Seed = 2016,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Count stations at whole percentages (turnout; leader's share) against a binomial null."""
    from hramada.observe.forensics.integers import to_json

    with _refusing():
        results, column = _stations(file, leader, region)
        outcome = _tested(results, column, window, min_registered, simulations, seed)
    if json_out:
        print(to_json(outcome))
        return
    tested = int((results.registered >= min_registered).sum())
    table = Table(
        title=Text(f"{_title(file, region, results)}; {tested:,} with {min_registered}+ registered")
    )
    table.add_column("test")
    for name in (f"near an integer (±{window:g} pp)", "expected (null)", "excess", "p (one-sided)"):
        table.add_column(name, justify="right")
    for name, label in (("turnout", "turnout"), ("leader", "leader's share")):
        o = outcome[name]
        numbers = f"{o.observed:,}", f"{o.expected:,.1f}", f"{o.excess:+,.1f}", f"{o.p_value:.3g}"
        table.add_row(Text(label), *numbers)
    console.print(Text(f"Leader: {column}"))
    console.print(table)
    console.print(
        Text(
            f"Null: each station's count redrawn from a binomial at its own rate; "
            f"{simulations:,} simulations, seed {seed}. Evidence of anomalies, not proof of fraud."
        )
    )


@forensics_app.command()
def report(
    file: File,
    out: Annotated[Path, typer.Option(help="Folder for index.html and its figures.")],
    leader: Leader = None,
    region: Region = None,
    lang: Annotated[str, typer.Option(help="Language: " + ", ".join(LANGUAGES) + ".")] = "en",
    window: Window = 0.05,
    min_registered: MinRegistered = 100,
    simulations: Simulations = 1000,
    seed: Seed = 2016,
    top: Annotated[int, typer.Option(min=1, help="Rows in the tables of extreme stations.")] = 20,
) -> None:
    """Write an HTML report: fingerprint, integer tests, extreme stations, null models in words."""
    from hramada.cli.forensics_report import Parameters, write_report
    from hramada.observe.forensics.extremes import extremes

    with _refusing():
        if lang not in LANGUAGES:
            raise ValueError(f"--lang is one of {', '.join(LANGUAGES)}, not {lang!r}")
        results, column = _stations(file, leader, region)
        outcome = _tested(results, column, window, min_registered, simulations, seed)
        params = Parameters(file, region, column, window, min_registered, simulations, seed, top)
        index = write_report(out, lang, results, params, outcome, extremes(results, column, window))
    console.print(Text(f"{index}"))
