"""Validate: declared checks per record; critical failures quarantine the record."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from cleaner.config import ValidateConfig
from cleaner.schema import CHECK


@dataclass(frozen=True, slots=True)
class CheckSummary:
    expectation: str
    column: str | None
    severity: str
    failed: int


@dataclass(frozen=True, slots=True)
class ValidationResult:
    rows: pl.DataFrame
    checks: tuple[CheckSummary, ...]


_CRITICAL = (
    ("body_min_words", "body", pl.col("word_count") >= 40, "body has fewer than 40 words"),
    ("published_present", "published", pl.col("published").is_not_null(), "no published date"),
    ("source_present", "source", pl.col("source").is_not_null(), "no source"),
)


def validate(articles: pl.DataFrame, cfg: ValidateConfig) -> ValidationResult:
    checks = []
    fails = []
    for name, column, ok, message in _CRITICAL:
        failed = ~articles.select(ok.fill_null(False)).to_series()
        checks.append(CheckSummary(name, column, "critical", int(failed.sum())))
        fails.append(
            pl.when(failed).then(pl.lit({"expectation": name, "column": column,
                                         "severity": "critical", "message": message}))
        )
    frame = articles.select("doc_id").with_columns(
        pl.concat_list([f.otherwise(None) for f in fails]).list.drop_nulls()
        .cast(pl.List(CHECK)).alias("failed_checks")
    ) if fails else articles.select("doc_id")
    rows = frame.with_columns(critical=pl.col("failed_checks").list.len() > 0)
    return ValidationResult(rows, tuple(checks))
