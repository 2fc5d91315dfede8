"""Operating the nightly job: list runs, roll a bad night back."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cleaner import state


def register(app: typer.Typer) -> None:
    from cleaner.cli import handle_errors

    @app.command("runs")
    @handle_errors
    def runs(
        out: Annotated[Path, typer.Argument(help="Output folder.")] = Path("clean"),
    ) -> None:
        """List the committed runs in OUT with their counts, oldest first.

        Example:  cleaner runs clean/
        """
        table = Table(title=f"runs in {out}", title_justify="left")
        for col in (
            "run",
            "started",
            "mode",
            "files",
            "stories",
            "articles",
            "duplicates",
            "rejected",
        ):
            table.add_column(col, justify="left" if col in ("run", "started", "mode") else "right")
        for r in state.list_runs(out):
            table.add_row(
                r.run_id,
                r.started,
                r.mode,
                str(r.files),
                str(r.stories),
                str(r.articles),
                str(r.duplicates),
                str(r.rejected),
            )
        Console().print(table)

    @app.command("rollback")
    @handle_errors
    def rollback(
        run_id: Annotated[str, typer.Argument(help="The run to remove (see `cleaner runs`).")],
        out: Annotated[Path, typer.Option(help="Output folder.")] = Path("clean"),
    ) -> None:
        """Remove one run's output, ledger and dedup-index entries; the next run redoes it.

        Example:  cleaner rollback 20261121T020000Z --out clean/
        """
        from cleaner.lock import run_lock

        with run_lock(out):
            removed = state.rollback(out, run_id)
        typer.echo(f"rolled back {run_id}: removed {len(removed)} files")
