"""The command line's progress over files: a bar on stderr, and the consoles for results and problems."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def consoles() -> tuple[Console, Console]:
    """stdout for results (never wrapped or highlighted, so JSON stays JSON) and stderr for the rest."""
    return Console(highlight=False, soft_wrap=True), Console(stderr=True, soft_wrap=True)


def each_file(files: list[Path], err: Console, doing: str) -> Iterator[Path]:
    """Yield the files one by one while a transient bar on ``err`` shows which and how many are done."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task(doing, total=len(files))
        for path in files:
            progress.update(task, description=path.name)
            yield path
            progress.advance(task)
