"""``cleaner inspect`` and ``cleaner cruft``, run in-process through typer."""

from __future__ import annotations

import tomllib
from pathlib import Path

import polars as pl
import pytest
import typer
from textkit import LOOKALIKE, SEEDS
from typer.testing import CliRunner

from cleaner.audit import find_doc, inspect_file, mark, process, read_raw_file
from cleaner.commands.text import register
from cleaner.config import Config, ExtractConfig
from cleaner.errors import InputError
from cleaner.schema import REJECTED, articles_frame, conform

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def test_inspect_raw_file_marks_every_line() -> None:
    result = runner.invoke(
        _app(), ["inspect", str(LOOKALIKE / "002_arab_two_stories.txt")], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    for word in (
        "removed",
        "arab_news.short_url",
        "-> title",
        "-> summary",
        "-> caption",
        "-> updated",
        "kept",
        "dateline",
        "truncated_paragraph",
    ):
        assert word in result.output


def test_inspect_views_cover_all_nonblank_lines() -> None:
    path = LOOKALIKE / "001_dawn_style.txt"
    [view] = inspect_file(path, Config())
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [e.line_no for e in view.audit] == [n for n, x in enumerate(lines, 1) if x.strip()]


def _write_run(out: Path) -> str:
    articles = process([read_raw_file(LOOKALIKE / "002_arab_two_stories.txt")], Config())
    frame = articles_frame(articles)
    (out / "articles").mkdir(parents=True)
    frame.head(1).write_parquet(out / "articles" / "run1.parquet")
    (out / "rejected").mkdir()
    rejected = conform(frame.tail(1).with_columns(pl.lit("run1").alias("run_id")), REJECTED)
    rejected.write_parquet(out / "rejected" / "run1.parquet")
    return str(articles[1].doc_id)


def test_inspect_doc_id_from_a_run(tmp_path: Path) -> None:
    doc = _write_run(tmp_path)
    view = find_doc(doc, tmp_path)
    assert view.where == "rejected/run1.parquet"
    assert [e.rule for e in view.audit][:2] == ["repeated_headline", "arab_news.updated_stamp"]
    result = runner.invoke(_app(), ["inspect", doc, "--out", str(tmp_path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "arab_news.follow_button" in result.output


def test_inspect_unknown_doc_id_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        find_doc("0123456789abcdef", tmp_path)
    result = runner.invoke(_app(), ["inspect", "0123456789abcdef", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "no story with doc_id" in result.output
    assert "Traceback" not in result.output


def _raw_folder(tmp: Path) -> Path:
    raw = tmp / "raw" / "valley"
    raw.mkdir(parents=True)
    topics = ["wheat", "cotton", "sugar", "rice", "maize", "lentils"]
    for k, topic in enumerate(topics):
        (raw / f"{k}.txt").write_text(
            f"Farmers brought {topic} to market.\nTraders said {topic} was scarce.\n"
            f"Updated {k + 1} May 2024\nJoin our channel for alerts\n",
            encoding="utf-8",
        )
    return tmp / "raw"


def test_cruft_lists_candidates(tmp_path: Path) -> None:
    raw = _raw_folder(tmp_path)
    result = runner.invoke(
        _app(), ["cruft", str(raw), "--min-stories", "5"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "Updated <date>" in result.output and "Join our channel for alerts" in result.output
    toml = runner.invoke(_app(), ["cruft", str(raw), "--min-stories", "5", "--toml"])
    rules = tomllib.loads(toml.output)["rules"]
    assert sorted(r["pattern"] for r in rules) == ["Join our channel for alerts", "Updated {date}"]


def test_cruft_nothing_found_and_missing_folder(tmp_path: Path) -> None:
    raw = _raw_folder(tmp_path)
    none = runner.invoke(_app(), ["cruft", str(raw), "--min-stories", "7"])
    assert "no recurring lines" in none.output
    missing = runner.invoke(_app(), ["cruft", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "raw folder not found" in missing.output


def test_mark_words() -> None:
    assert (mark("body"), mark("removed"), mark("byline")) == ("kept", "removed", "-> byline")


@pytest.mark.skipif(not SEEDS.is_dir(), reason="shared seeds not present")
def test_inspect_seed_file() -> None:
    views = inspect_file(SEEDS / "002_e345afec6a9b5329.txt", Config())
    assert len(views) == 2


def test_inspect_file_under_raw_uses_run_paths(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    (raw / "dawn").mkdir(parents=True)
    story = raw / "dawn" / "a.txt"
    story.write_text(
        "KARACHI: The port reopened on Monday after the strike.\nShips queued for days.\n",
        encoding="utf-8",
    )
    cfg = Config(extract=ExtractConfig(source_by_dir={"dawn": "Dawn"}))
    [view] = inspect_file(story, cfg, raw)
    [art] = process([read_raw_file(story, raw)], cfg)
    assert view.raw_path == "dawn/a.txt" and view.doc_id == art.doc_id
    assert art.source == "Dawn"
