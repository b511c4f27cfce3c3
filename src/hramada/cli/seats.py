"""`hramada seats`: council seats from a verified archive and its rules, or from list totals."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from hramada.cli.output import console, err, progress_bar, progress_callback
from hramada.counting.apportion import Allocation, Method, QuotaBase, RulesError, allocate
from hramada.counting.council import CouncilResult, council_seats
from hramada.counting.lists import Candidate
from hramada.counting.rules import RulesFile, bound_hash, load_rules, rules_hash
from hramada.counting.steps import Step
from hramada.verify.verifier import verify_archive

EXIT_FAILED = 1


def _num(x: Fraction | None, digits: int = 4) -> str:
    return "-" if x is None else f"{float(x):.{digits}f}"


def seats_table(alloc: Allocation) -> Table:
    table = Table(title=Text(f"{alloc.seats} seats by {alloc.method.value}"))
    for col in ("list", "votes", "%", "over threshold", "quota share", "whole seats"):
        table.add_column(col, justify="left" if col == "list" else "right")
    for col in ("remainder", "remainder seat", "total"):
        table.add_column(col, justify="right")
    for r in alloc.lists:
        table.add_row(
            Text(r.name),
            str(r.votes),
            f"{float(r.share * 100):.2f}",
            "yes" if r.eligible else "no",
            _num(r.quota_share),
            "-" if r.whole is None else str(r.whole),
            _num(r.remainder),
            "-" if r.remainder_seats is None else str(r.remainder_seats),
            str(r.seats),
        )
    return table


def _emit(
    alloc: Allocation,
    steps: Sequence[str],
    as_json: bool,
    elected: dict[str, list[Candidate]] | None = None,
) -> None:
    if as_json:
        out: dict[str, object] = {
            "lists": [{"name": r.name, "votes": r.votes, "seats": r.seats} for r in alloc.lists],
            "steps": list(steps),
        }
        if elected is not None:
            out["elected"] = {k: [c.name for c in v] for k, v in elected.items()}
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return
    console.print(seats_table(alloc))
    if elected:
        for name, chosen in elected.items():
            if chosen:
                console.print(Text(f"{name}: " + ", ".join(c.name for c in chosen)))
    console.print(Text("How the seats were allocated:", style="bold"))
    for i, step in enumerate(steps, 1):
        console.print(Text(f"{i:3}. {step}"))


def _from_archive(
    rules_path: Path, path: Path, withdrawn: list[tuple[str, str]]
) -> tuple[CouncilResult, str, RulesFile]:
    """Verify the archive, check that it is bound to these rules, and apply them."""
    data = rules_path.read_bytes()
    rules = load_rules(data)
    with progress_bar() as progress:
        report = verify_archive(path, progress=progress_callback(progress))
    if not report.ok or report.election is None:
        for problem in report.problems:
            err.print(Text("FAILED ", style="red") + Text(str(problem)), highlight=False)
        raise RulesError(f"archive: {path} does not verify, so no seats are computed from it")
    if report.result is None:
        raise RulesError("archive: no verified result is published yet")
    bound = bound_hash(report.election.description)
    if bound is None:
        raise RulesError(f"rules binding: the election in {path} is bound to no seat rules")
    if bound != rules_hash(data):
        raise RulesError(
            f"rules binding: the election is bound to rules sha256:{bound}, "
            f"but {rules_path} is sha256:{rules_hash(data)}"
        )
    seed = report.last_event or ""
    turnout = None
    if report.total_weight is not None and report.registered is not None:
        turnout = (report.total_weight, report.registered)
    result = council_seats(rules, report.election, report.result, seed, turnout, withdrawn)
    return result, seed, rules


def _withdrawal(text: str) -> tuple[str, str]:
    list_name, sep, name = text.rpartition(":")
    if not sep or not list_name or not name:
        raise RulesError(f"withdrawn: {text!r} is not LIST:CANDIDATE")
    return list_name, name


def _read_csv(path: Path) -> tuple[list[str], list[int]]:
    with path.open(newline="", encoding="utf-8") as f:
        rows = [r for r in csv.reader(f) if r and any(cell.strip() for cell in r)]
    if rows and rows[0][1].strip().lower() == "votes":
        rows = rows[1:]
    try:
        return [r[0].strip() for r in rows], [int(r[1]) for r in rows]
    except (IndexError, ValueError):
        raise RulesError(f"votes: {path} is not a CSV of `list,votes` lines") from None


def seats(
    path: Annotated[
        Path, typer.Argument(help="ARCHIVE.bel (with --rules) or VOTES.csv (list,votes).")
    ],
    rules: Annotated[Path | None, typer.Option(help="The election's rules file (JSON).")] = None,
    seats: Annotated[int | None, typer.Option("--seats", help="Seats to allocate.")] = None,
    threshold: Annotated[str, typer.Option(help="Threshold in percent of the list votes.")] = "0",
    method: Annotated[Method | None, typer.Option(help="Allocation method.")] = None,
    quota_base: Annotated[
        QuotaBase, typer.Option(help="Quota from all list votes, or only those over the threshold.")
    ] = QuotaBase.eligible,
    seed: Annotated[str, typer.Option(help="Seed of the lot for exact ties (CSV input).")] = "",
    withdrawn: Annotated[
        list[str] | None,
        typer.Option(
            "--withdrawn",
            help="LIST:CANDIDATE who withdrew after the vote (as the result page lists them).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Council seats: from a verified archive and its bound rules, or from a CSV of list totals."""
    try:
        if rules is not None:
            gone = [_withdrawal(w) for w in withdrawn or []]
            result, lot, bound = _from_archive(rules, path, gone)
            referendums = (
                f"Question {ref.question}: {step}"
                for ref, outcome in zip(bound.referendums, result.referendums, strict=True)
                for step in outcome.steps
            )
            steps = (*result.steps, *referendums, Step("lot_seed", seed=lot))
            _emit(result.allocation, steps, as_json, result.elected)
            return
        if withdrawn:
            raise RulesError("withdrawn: candidates are known only with --rules and an archive")
        if seats is None or method is None:
            raise RulesError("seats: give --rules RULES, or --seats N and --method M")
        names, votes = _read_csv(path)
        alloc = allocate(
            names,
            votes,
            seats,
            method,
            threshold=Fraction(threshold),
            quota_base=quota_base,
            seed=seed,
        )
        _emit(alloc, alloc.steps, as_json)
    except (RulesError, ValueError, OSError) as e:
        err.print(Text("REFUSED ", style="red") + Text(str(e)), highlight=False)
        raise typer.Exit(EXIT_FAILED) from None
