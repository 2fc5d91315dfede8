"""``cleaner inspect`` and ``cleaner cruft``: look at what the text stages did.

Thin: parse arguments, call :mod:`cleaner.audit`, print; a user error becomes one
line and exit code 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cleaner.audit import cruft_candidates, find_doc, inspect_file, render
from cleaner.config import load_config
from cleaner.cruft import profile_toml
from cleaner.errors import CleanerError

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="TOML config file.", dir_okay=False)
]


def _fail(exc: CleanerError) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(code=exc.exit_code)


def inspect(
    target: Annotated[str, typer.Argument(help="A doc_id from a run, or a raw .txt file.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder of earlier runs.")] = Path(
        "clean"
    ),
    raw: Annotated[Path, typer.Option("--raw", help="RAW folder, for paths and doc_ids.")] = Path(
        "raw"
    ),
    config: ConfigOpt = None,
) -> None:
    """Print a story's raw lines, each marked kept, moved to a field, or removed by a rule.

    Example: cleaner inspect raw/dawn/rally.txt    or    cleaner inspect 4011b858a00af116
    """
    console = Console()
    try:
        cfg = load_config(config)
        path = Path(target)
        views = inspect_file(path, cfg, raw) if path.is_file() else [find_doc(target, out)]
    except CleanerError as exc:
        raise _fail(exc) from None
    for view in views:
        render(view, console)


def cruft(
    raw: Annotated[Path, typer.Argument(help="Folder of raw scrapes.")] = Path("raw"),
    min_stories: Annotated[
        int | None, typer.Option("--min-stories", help="Override learned_min_stories.")
    ] = None,
    toml: Annotated[bool, typer.Option("--toml", help="Print profile rules to paste.")] = False,
    config: ConfigOpt = None,
) -> None:
    """List lines that recur across many stories of one source: cruft candidates.

    Dates and digits are wildcarded, so "Updated 06 October 2024" and "Updated 05 May
    2025" count as one line. With --toml, print them as rule blocks to paste into a
    profile file.

    Example: cleaner cruft raw/ --min-stories 3 --toml
    """
    console = Console()
    try:
        cfg = load_config(config)
        found = cruft_candidates(raw, cfg, min_stories)
    except CleanerError as exc:
        raise _fail(exc) from None
    if not found:
        console.print("no recurring lines found")
        return
    sources = sorted({c.source for c in found})
    if toml:
        for source in sources:
            typer.echo(profile_toml(found, source))
        return
    from rich.table import Table

    table = Table("source", "stories", "pattern", "example")
    for cand in found:
        table.add_row(cand.source, str(cand.stories), cand.pattern, cand.example)
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``inspect`` and ``cruft`` to the cleaner app."""
    app.command("inspect")(inspect)
    app.command("cruft")(cruft)
