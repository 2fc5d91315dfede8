"""The brief's outcome table on the real seeds (skipped when ../shared/seeds is absent)."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from tests.conftest import CASES, need_seeds
from tests.conftest import story_row as _row

EXPECTED = json.loads((CASES / "seeds_expected.json").read_text(encoding="utf-8"))


def _cases() -> list[Any]:
    return [pytest.param(c, id=_id(c)) for c in EXPECTED["stories"]]


def _id(case: dict[str, Any]) -> str:
    return f"{case['file'][:3]}#{case['story_index']}"


@pytest.fixture(scope="module")
def outcome(cli: typer.Typer, tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    seeds = need_seeds()
    out = tmp_path_factory.mktemp("seeds") / "clean"
    result = CliRunner().invoke(cli, ["run", str(seeds), str(out), "--run-id", "s"])
    assert result.exit_code == 0, result.output
    frames = []
    for table in ("articles", "duplicates", "rejected"):
        frame = pl.read_parquet(out / table / "s.parquet")
        frames.append(
            frame.select(
                "raw_path",
                "story_index",
                "title",
                "source",
                "published",
                "dateline",
                "body",
                "summary",
                "caption",
                "warnings",
                failed=(
                    pl.col("failed_checks").list.eval(
                        pl.element()
                        .filter(pl.element().struct.field("severity") == "critical")
                        .struct.field("column")
                    )
                    if "failed_checks" in frame.columns
                    else pl.lit([], pl.List(pl.Utf8))
                ),
                outcome=pl.lit(table),
            )
        )
    return pl.concat(frames).sort("raw_path", "story_index")


def test_four_stories_none_duplicate(outcome: pl.DataFrame) -> None:
    assert outcome.height == 4
    assert outcome.filter(pl.col("outcome") == "duplicates").height == 0


@pytest.mark.parametrize("case", _cases())
def test_fields(outcome: pl.DataFrame, case: dict[str, Any]) -> None:
    row = _row(outcome, case)
    published = row["published"].isoformat() if row["published"] else None
    got = (row["title"], row["source"], published, row["dateline"])
    assert got == (case["title"], case["source"], case["published"], case["dateline"])
    assert len(row["summary"]) == case["summary"]
    assert (row["caption"] is not None) == case["caption"]


@pytest.mark.parametrize("case", _cases())
def test_outcome_and_reasons(outcome: pl.DataFrame, case: dict[str, Any]) -> None:
    row = _row(outcome, case)
    assert row["outcome"] == {"accepted": "articles", "rejected": "rejected"}[case["outcome"]]
    assert sorted(set(row["failed"])) == case["failed"]
    for hint in case["warnings"]:
        assert any(hint in w for w in row["warnings"]), (hint, row["warnings"])


def test_no_cruft_in_any_body(outcome: pl.DataFrame) -> None:
    for row in outcome.iter_rows(named=True):
        lines = [line.strip() for line in row["body"].splitlines() if line.strip()]
        for cruft in EXPECTED["cruft_never_in_body"]:
            assert not any(line.startswith(cruft) for line in lines), cruft
        assert not any(line.startswith("\u2022") for line in lines), "summary bullet in body"
        if row["title"]:
            assert row["title"] not in lines, "repeated headline in body"
        if row["caption"]:
            assert row["caption"] not in row["body"], "caption in body"
