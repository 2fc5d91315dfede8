"""`cleaner validate`: check an incoming scrape before its output spreads."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cleaner.checkreport import ValidateReport, summarise
from cleaner.errors import ConfigError

SHOWN = 20  # rejected stories listed in the terminal; --json lists them all


def register(app: typer.Typer) -> None:
    """Add ``cleaner validate`` to ``app``."""
    from cleaner.cli import handle_errors

    app.command(name="validate")(handle_errors(validate_command))


def validate_command(
    raw: Annotated[Path, typer.Argument(help="Folder of raw scrapes.")] = Path("raw"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    max_reject_rate: Annotated[
        float | None,
        typer.Option(help="Exit 1 when the rejected share exceeds this (default: config, 0)."),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="TOML config file (see README).")
    ] = None,
) -> None:
    """Run ingest, split, normalise, extract and the suites on RAW; write nothing.

    Prints each check with its failure count and the sources failing it most, then
    the rejected stories with their reasons. Exits 1 when the share of rejected
    stories exceeds --max-reject-rate (default 0: any critical failure).

    Example:  cleaner validate incoming/ --max-reject-rate 0.05
    """
    from cleaner.cli import load
    from cleaner.pipeline import prepare
    from cleaner.validate import validate

    cfg = load(config)
    limit = cfg.validate.max_reject_rate if max_reject_rate is None else max_reject_rate
    if not 0.0 <= limit <= 1.0:
        raise ConfigError(f"--max-reject-rate must be between 0 and 1, got {limit}")
    prepared = prepare(raw, cfg)
    result = validate(prepared.articles, cfg.validate)
    report = summarise(prepared.articles, prepared.defects, result, limit)
    if as_json:
        typer.echo(report.to_json())
    else:
        print_report(report, Console())
    if not report.passed:
        raise typer.Exit(1)


def print_report(report: ValidateReport, console: Console) -> None:
    """The checks table, the rejected stories, and the verdict."""
    table = Table(title="checks", title_justify="left")
    for name, justify in (
        ("check", "left"),
        ("severity", "left"),
        ("column", "left"),
        ("failed", "right"),
        ("worst sources", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for c in report.checks:
        style = "red" if c.failed and c.severity == "critical" else ("yellow" if c.failed else "")
        worst = ", ".join(f"{s.source} ({s.failed})" for s in c.worst_sources)
        table.add_row(c.expectation, c.severity, c.column or "", str(c.failed), worst, style=style)
    console.print(table)
    for story in report.rejected_stories[:SHOWN]:
        console.print(
            f"rejected {story.raw_path}#{story.story_index}: {'; '.join(story.reasons)}",
            highlight=False,
            markup=False,
            soft_wrap=True,  # one line per story, so it can be grepped
        )
    if len(report.rejected_stories) > SHOWN:
        console.print(f"... and {len(report.rejected_stories) - SHOWN} more (use --json)")
    verdict = "[green]passed[/]" if report.passed else "[bold red]failed[/]"
    console.print(
        f"{verdict}: rejected {report.rejected} of {report.stories} stories "
        f"({report.rejected_share:.0%}; allowed {report.max_reject_rate:.0%})",
        highlight=False,
    )
