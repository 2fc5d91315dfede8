"""Shared test helpers: where things are, and running the CLI in-process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from cleaner.cli import app
from cleaner.commands import register_all

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "raw"
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
CASES = Path(__file__).resolve().parent / "cases"


@pytest.fixture(scope="session")
def cli() -> typer.Typer:
    """The real `cleaner` app with every command registered."""
    register_all(app)
    return app


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def need_seeds() -> Path:
    """The seeds folder, or skip: it lives beside the repo, not in it."""
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds not present")
    return SEEDS


def story_row(outcome: pl.DataFrame, case: dict[str, Any]) -> dict[str, Any]:
    """The one output row of the story a golden case names (file and story index)."""
    rows = outcome.filter(
        (pl.col("raw_path") == case["file"]) & (pl.col("story_index") == case["story_index"])
    ).to_dicts()
    assert len(rows) == 1, f"{case['file']}#{case['story_index']}: {len(rows)} rows"
    return rows[0]
