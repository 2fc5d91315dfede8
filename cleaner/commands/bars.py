"""Progress bars on stderr for long commands, fed by the library's `progress` callbacks.

The library reports `progress(stage, done, total)` (total 0 when unknown) and never
draws anything itself; a command turns those calls into one rich bar per stage.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from cleaner import progress


@contextmanager
def progress_bars(console: Console) -> Iterator[progress.Progress]:
    """A `progress(stage, done, total)` callback drawing a transient bar per stage.

    Off a terminal (cron, CI, a pipe) it draws nothing at all.
    """
    if not console.is_terminal:
        yield lambda stage, done, total: None
        return
    bars = Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    tasks: dict[str, TaskID] = {}

    def tick(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bars.add_task(stage, total=total or None)
        bars.update(tasks[stage], completed=done, total=total or None)

    with bars:
        yield tick
