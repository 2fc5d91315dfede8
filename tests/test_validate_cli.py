"""`cleaner validate` in-process: table, JSON, exit codes; writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cleaner.commands.validate import register
from tests.conftest import need_seeds


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """A group, so the command keeps its name."""

    register(app)
    return app


def test_seeds_fail_and_name_the_checks_of_story_000(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeds = need_seeds()
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["validate", str(seeds)], terminal_width=200)
    assert result.exit_code == 1, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("rejected 000_"))
    assert "published_missing: no published date" in line
    assert "source_missing: no source (publisher)" in line
    assert "failed: rejected" in result.output
    assert list(tmp_path.iterdir()) == []  # nothing written, not even a clean/ folder


def test_json_report_and_a_generous_threshold(app: typer.Typer) -> None:
    seeds = need_seeds()
    result = CliRunner().invoke(app, ["validate", str(seeds), "--json", "--max-reject-rate", "1"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["stories"] == 4 and report["passed"] is True
    first = next(s for s in report["rejected_stories"] if s["raw_path"].startswith("000_"))
    assert [r.split(":")[0] for r in first["reasons"]] == ["published_missing", "source_missing"]
    names = [c["expectation"] for c in report["checks"]]
    assert "cruft_line_in_body" in names and "title_missing" in names


def test_usage_errors_exit_2(app: typer.Typer, tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["validate", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "input folder not found" in missing.output
    rate = runner.invoke(app, ["validate", str(tmp_path), "--max-reject-rate", "2"])
    assert rate.exit_code == 2 and "between 0 and 1" in rate.output


def test_empty_folder_passes(app: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["validate", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["stories"] == 0
