"""Shared test helpers: where things are, and running the CLI in-process."""

from __future__ import annotations

from pathlib import Path

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
