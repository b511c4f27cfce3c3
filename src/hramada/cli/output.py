"""Rich rendering shared by the commands: result tables and progress bars."""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from hramada.protocol.model import Election

# Archive text is never read as Rich markup: styles go through Text objects only. Lines are
# never wrapped (soft_wrap): a credential, password or link piped to a file must stay whole.
console = Console(markup=False, soft_wrap=True)
err = Console(stderr=True, markup=False, soft_wrap=True)


def new_password() -> str:
    """A new account's password, asked twice and never echoed; exit 1 when the two differ."""
    password = getpass.getpass("Password (12 characters or more): ")
    if getpass.getpass("Again: ") != password:
        err.print("error: the passwords differ")
        raise typer.Exit(1)
    return password


def result_tables(election: Election, result: list[list[int]] | None) -> list[Table]:
    """One table per question: each answer with its count, blank first where allowed."""
    tables = []
    rows = iter(result or [])
    for i, q in enumerate(election.questions, 1):
        if not q.homomorphic:
            title = f"Q{i}. {(q.value or {}).get('question', 'ranked question')}"
            table = Table(title=Text(title))
            table.add_column("not yet supported: ranked question")
            tables.append(table)
            continue
        counts = next(rows, None)
        table = Table(title=Text(f"Q{i}. {q.question}"), min_width=40)
        table.add_column("answer")
        table.add_column("count", justify="right")
        labels = (["(blank)"] if q.blank else []) + list(q.answers or [])
        for j, label in enumerate(labels):
            table.add_row(Text(label), str(counts[j]) if counts else "-")
        tables.append(table)
    return tables


@contextmanager
def progress_bar() -> Iterator[Progress]:
    """A progress display on standard error, silent when it is not a terminal."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=not err.is_terminal,
        transient=True,
    )
    with progress:
        yield progress


def progress_callback(progress: Progress) -> Callable[[str, int, int], None]:
    """Adapt (stage, done, total) reports to one task per stage."""
    tasks: dict[str, TaskID] = {}

    def report(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = progress.add_task(stage, total=total)
        progress.update(tasks[stage], completed=done, total=total)

    return report
