"""End to end through the CLI, in-process: the contract users rely on."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import typer
from typer.testing import CliRunner

from cleaner import schema
from tests.conftest import RAW


def _run(cli: typer.Typer, runner: CliRunner, raw: Path, out: Path, *extra: str) -> None:
    result = runner.invoke(cli, ["run", str(raw), str(out), "--run-id", "r1", *extra])
    assert result.exit_code == 0, result.output


def test_run_writes_the_output_layout(cli: typer.Typer, runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "clean"
    _run(cli, runner, RAW, out)
    for table in ("articles", "duplicates", "rejected"):
        assert (out / table / "r1.parquet").is_file()
    assert (out / "runs" / "r1.json").is_file()
    assert not any((out / "_staging").glob("*")), "staging debris left behind"


def test_output_schema_is_fixed(cli: typer.Typer, runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "clean"
    _run(cli, runner, RAW, out)
    for table, expected in (
        ("articles", schema.ARTICLES),
        ("duplicates", schema.DUPLICATES),
        ("rejected", schema.REJECTED),
    ):
        frame = pl.read_parquet(out / table / "r1.parquet")
        assert dict(frame.schema) == expected, table


def test_every_story_ends_in_exactly_one_table(
    cli: typer.Typer, runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "clean"
    _run(cli, runner, RAW, out)
    manifest = json.loads((out / "runs" / "r1.json").read_text())
    counts = manifest["counts"]
    sizes = {t: pl.read_parquet(out / t / "r1.parquet").height for t in schema_tables()}
    assert counts["stories"] > 0
    assert counts["stories"] == sizes["articles"] + sizes["duplicates"] + sizes["rejected"]
    assert (counts["articles"], counts["duplicates"], counts["rejected"]) == (
        sizes["articles"],
        sizes["duplicates"],
        sizes["rejected"],
    )
    ids = pl.concat(
        [pl.read_parquet(out / t / "r1.parquet").select("doc_id") for t in schema_tables()]
    )
    assert ids["doc_id"].is_unique().all()


def test_manifest_lists_every_input_file(
    cli: typer.Typer, runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "clean"
    _run(cli, runner, RAW, out)
    manifest = json.loads((out / "runs" / "r1.json").read_text())
    listed = {i["path"] for i in manifest["inputs"]}
    on_disk = {
        p.relative_to(RAW).as_posix()
        for p in RAW.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }
    assert listed == on_disk
    assert {s["name"] for s in manifest["stages"]} >= {
        "ingest",
        "split",
        "normalise",
        "extract",
        "validate",
        "dedup",
        "write",
    }
    assert manifest["versions"]["polars"] == pl.__version__


def test_summary_table_is_printed(cli: typer.Typer, runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["run", str(RAW), str(tmp_path / "c"), "--run-id", "r1"])
    for label in ("files read", "stories found", "accepted", "duplicates", "rejected"):
        assert label in result.output


def test_missing_input_is_one_line_exit_2(
    cli: typer.Typer, runner: CliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(cli, ["run", str(tmp_path / "nope"), str(tmp_path / "c")])
    assert result.exit_code == 2
    assert "input folder not found" in result.output
    assert "Traceback" not in result.output


def test_bad_config_is_one_line_exit_2(cli: typer.Typer, runner: CliRunner, tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[dedup]\nthreshhold = 0.5\n")
    result = runner.invoke(cli, ["run", str(RAW), str(tmp_path / "c"), "--config", str(cfg)])
    assert result.exit_code == 2
    assert "unknown key(s) threshhold" in result.output


def test_dedup_setting_out_of_range_is_one_line_exit_2(
    cli: typer.Typer, runner: CliRunner, tmp_path: Path
) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[dedup]\ncandidate_min_jaccard = 1.5\n")
    result = runner.invoke(cli, ["run", str(RAW), str(tmp_path / "c"), "--config", str(cfg)])
    assert result.exit_code == 2
    assert "dedup.candidate_min_jaccard must be in [0, 1], got 1.5" in result.output
    assert "Traceback" not in result.output


def test_every_command_help_shows_an_example(cli: typer.Typer, runner: CliRunner) -> None:
    for command in cli.registered_commands:
        name = command.name or (command.callback.__name__ if command.callback else "")
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0
        assert "Example" in result.output, name


def schema_tables() -> tuple[str, ...]:
    return ("articles", "duplicates", "rejected")
