"""The whole pipeline on the bundled samples matches tests/cases/samples_expected.json."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from tests.conftest import CASES, RAW
from tests.conftest import story_row as _row

EXPECTED = json.loads((CASES / "samples_expected.json").read_text(encoding="utf-8"))
OUTCOME = {"articles": "accepted", "duplicates": "duplicate", "rejected": "rejected"}


def _fold(text: str | None) -> str | None:
    """Fold quote styles: stored titles may keep curly quotes (see the cases' why)."""
    if text is None:
        return None
    text = unicodedata.normalize("NFC", text)
    return text.translate(str.maketrans("\u2018\u2019\u201c\u201d", "''\"\""))


@pytest.fixture(scope="module")
def outcome(cli: typer.Typer, tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    out = tmp_path_factory.mktemp("samples") / "clean"
    result = CliRunner().invoke(cli, ["run", str(RAW), str(out), "--run-id", "s", "--quiet"])
    assert result.exit_code == 0, result.output
    frames = []
    for table, label in OUTCOME.items():
        frame = pl.read_parquet(out / table / "s.parquet")
        frames.append(
            frame.select(
                "doc_id",
                "raw_path",
                "story_index",
                "title",
                "source",
                "published",
                "dateline",
                "body",
                "summary",
                "caption",
                "byline",
                "warnings",
                *(
                    pl.col(c) if c in frame.columns else pl.lit(None, pl.Utf8).alias(c)
                    for c in ("cluster_id", "duplicate_of")
                ),
                outcome=pl.lit(label),
            )
        )
    return pl.concat(frames, how="vertical_relaxed")


def _id(case: dict[str, Any]) -> str:
    return f"{Path(case['file']).stem}#{case['story_index']}"


CASE_PARAMS = [pytest.param(c, id=_id(c)) for c in EXPECTED["cases"]]


def test_totals(outcome: pl.DataFrame) -> None:
    counts = outcome["outcome"].value_counts()
    got = dict(zip(counts["outcome"], counts["count"], strict=True))
    want = {k: v for k, v in EXPECTED["counts"].items() if k in OUTCOME.values() and v}
    assert got == want
    assert outcome.height == EXPECTED["counts"]["stories"]


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_fields(outcome: pl.DataFrame, case: dict[str, Any]) -> None:
    row = _row(outcome, case)
    published = row["published"].isoformat() if row["published"] else None
    assert _fold(row["title"]) == _fold(case["title"])
    assert (row["source"], published, row["dateline"]) == (
        case["source"],
        case["published"],
        case["dateline"],
    )
    assert len(row["summary"]) == case["summary_count"]
    assert (row["caption"] is not None) == case["has_caption"]
    if case["byline_contains"]:
        assert case["byline_contains"] in (row["byline"] or "")
    truncated = any("truncated" in w for w in row["warnings"])
    assert truncated == case["truncated_paragraph"]


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_body(outcome: pl.DataFrame, case: dict[str, Any]) -> None:
    body = _fold(_row(outcome, case)["body"]) or ""
    for text in case["body_must_contain"]:
        assert _fold(text) in body
    for text in case["body_must_not_contain"]:
        assert _fold(text) not in body


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_outcome(outcome: pl.DataFrame, case: dict[str, Any]) -> None:
    assert _row(outcome, case)["outcome"] == case["outcome"]


def test_duplicate_groups_point_at_the_expected_canonical(outcome: pl.DataFrame) -> None:
    groups: dict[str, list[dict[str, Any]]] = {}
    for case in EXPECTED["cases"]:
        if case["duplicate_group"]:
            groups.setdefault(case["duplicate_group"], []).append(case)
    assert groups
    for members in groups.values():
        canon = [c for c in members if c["outcome"] == "accepted"]
        assert len(canon) == 1
        canon_id = _row(outcome, canon[0])["doc_id"]
        for case in members:
            row = _row(outcome, case)
            if case["outcome"] == "duplicate":
                assert row["duplicate_of"] == canon_id
            assert row["cluster_id"] == _row(outcome, canon[0])["cluster_id"]
