"""The command line: parse, load config, call the library, turn errors into exit codes.

Exit codes: 0 success; 1 data failed validation beyond the threshold; 2 usage or
configuration error; 3 internal error (a bug: please report it).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from enum import StrEnum
from functools import wraps
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from cleaner import pipeline
from cleaner.commands.bars import progress_bars
from cleaner.config import Config, RunConfig, load_config
from cleaner.errors import CleanerError

app = typer.Typer(
    name="cleaner",
    help="Turn raw scraped news text into trustworthy Parquet.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, soft_wrap=True)


class LogFormat(StrEnum):
    text = "text"
    json = "json"


P = ParamSpec("P")
R = TypeVar("R")

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="TOML config file (see README).")
]


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """User mistakes become one line and exit 2; anything else is a bug, exit 3."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except CleanerError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(exc.exit_code) from None
        except typer.Exit:
            raise
        except BrokenPipeError:  # output piped into `head`: not an error
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130) from None
        except Exception as exc:
            err.print(
                f"[bold red]internal error:[/] {type(exc).__name__}: {exc} "
                "(a bug in cleaner; rerun with CLEANER_DEBUG=1 for the traceback)",
                highlight=False,
            )
            if _debug():
                raise
            raise typer.Exit(3) from None

    return wrapper


def _debug() -> bool:
    import os

    return os.environ.get("CLEANER_DEBUG", "") not in ("", "0")


def load(config: Path | None, run_id: str | None = None) -> Config:
    """The config file's settings, with command-line overrides applied."""
    cfg = load_config(config)
    if run_id:
        from dataclasses import replace

        cfg = replace(cfg, run=RunConfig(run_id=run_id))
    return cfg


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    """Turn raw scraped news text into trustworthy Parquet.

    Example:  cleaner run raw/ clean/
    """
    if version:
        from cleaner import __version__

        typer.echo(f"cleaner {__version__}")
        raise typer.Exit(0)


@app.command()
@handle_errors
def run(
    raw: Annotated[Path, typer.Argument(help="Folder of raw scrapes.")] = Path("raw"),
    out: Annotated[Path, typer.Argument(help="Output folder.")] = Path("clean"),
    config: ConfigOpt = None,
    run_id: Annotated[
        str | None, typer.Option(help="Pin the run id (reproducible reruns, tests).")
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Reprocess every file into a fresh, empty OUT.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="For cron: print nothing unless it fails.")
    ] = False,
    log_format: Annotated[
        LogFormat, typer.Option(help="text for people; json lines for log shippers.")
    ] = LogFormat.text,
) -> None:
    """Run the whole pipeline: RAW -> OUT/articles, duplicates, rejected, runs.

    Only files that are new or changed since the last run are read; rerunning the
    same night adds nothing.

    Example:  cleaner run raw/ clean/
    """
    cfg = load(config, run_id)
    if quiet or log_format is LogFormat.json:
        summary = pipeline.run(raw, out, cfg, full=full)
        if log_format is LogFormat.json:
            _log_json(summary)
    else:
        with progress_bars(err) as tick:
            summary = pipeline.run(raw, out, cfg, tick, full=full)
        _print_summary(summary)


def _log_json(summary: pipeline.RunSummary) -> None:
    """One JSON object per line: each stage, then the run, for log shippers."""
    manifest = json.loads(summary.manifest.read_text())
    for stage in manifest["stages"]:
        typer.echo(json.dumps({"event": "stage", "run_id": summary.run_id, **stage}))
    typer.echo(
        json.dumps(
            {
                "event": "run",
                "run_id": summary.run_id,
                "mode": manifest["mode"],
                "manifest": str(summary.manifest),
                **asdict(summary.counts),
            }
        )
    )


def _print_summary(summary: pipeline.RunSummary) -> None:
    c = summary.counts
    table = Table(title=f"run {summary.run_id}", title_justify="left")
    table.add_column("", style="bold")
    table.add_column("count", justify="right")
    for label, value in (
        ("files read", c.files),
        ("stories found", c.stories),
        ("accepted", c.articles),
        ("duplicates", c.duplicates),
        ("rejected", c.rejected),
    ):
        table.add_row(label, str(value))
    console = Console()
    console.print(table)
    for flag in summary.published.drift:
        console.print(f"[yellow]drift:[/] {flag.message}", highlight=False)
    console.print(f"manifest: {summary.manifest}", highlight=False)
    console.print(f"report:   {summary.published.report}", highlight=False)


def main() -> None:
    """Console-script entry point."""
    from cleaner.commands import register_all

    register_all(app)
    app(prog_name="cleaner")


if __name__ == "__main__":  # pragma: no cover
    main()
