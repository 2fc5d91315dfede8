"""What `cleaner validate` tells a person: checks, worst sources, rejected stories.

Kept apart from the CLI so the terminal table and ``--json`` say exactly the same
thing, and so both can be tested without a terminal.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import polars as pl

from cleaner.validate import ValidationResult

WORST = 3  # sources named per check: enough to spot the broken scraper


@dataclass(frozen=True, slots=True)
class SourceCount:
    source: str
    failed: int


@dataclass(frozen=True, slots=True)
class CheckReport:
    """One check: how many stories failed it, and which sources failed it most."""

    expectation: str
    column: str | None
    severity: str
    description: str
    failed: int
    worst_sources: tuple[SourceCount, ...]


@dataclass(frozen=True, slots=True)
class RejectedStory:
    doc_id: str
    raw_path: str
    story_index: int
    source: str | None
    reasons: tuple[str, ...]  # "check: message", critical checks only


@dataclass(frozen=True, slots=True)
class ValidateReport:
    stories: int
    rejected: int
    rejected_share: float
    max_reject_rate: float
    passed: bool  # rejected_share <= max_reject_rate
    checks: tuple[CheckReport, ...]
    rejected_stories: tuple[RejectedStory, ...]

    def to_json(self) -> str:
        """The report as JSON, the same content as the terminal table."""
        return json.dumps(asdict(self), indent=2, ensure_ascii=False)


def summarise(
    articles: pl.DataFrame,
    defects: pl.DataFrame,
    result: ValidationResult,
    max_reject_rate: float,
) -> ValidateReport:
    """Combine the validated articles and the unreadable records into one report.

    ``defects`` (records ingest could not read, REJECTED schema) count as rejected:
    they would be quarantined by a run just the same.
    """
    judged = pl.concat(
        [
            articles.select("doc_id", "raw_path", "story_index", "source").hstack(
                result.rows.select("critical", "failed_checks")
            ),
            defects.select(
                "doc_id",
                "raw_path",
                "story_index",
                "source",
                "failed_checks",
                critical=pl.lit(True),
            ).select("doc_id", "raw_path", "story_index", "source", "critical", "failed_checks"),
        ]
    )
    failures = (
        judged.select("source", "failed_checks")
        .explode("failed_checks")
        .drop_nulls("failed_checks")
        .unnest("failed_checks")
        .with_columns(pl.col("source").fill_null("(unknown)"))
    )
    by_source = failures.group_by("expectation", "source").agg(failed=pl.len())
    checks = [
        CheckReport(
            c.expectation,
            c.column,
            c.severity,
            c.description,
            c.failed,
            _worst(by_source, c.expectation),
        )
        for c in result.checks
    ]
    if defects.height:
        checks.append(
            CheckReport(
                "readable_input",
                None,
                "critical",
                "record could not be read",
                defects.height,
                _worst(by_source, "readable_input"),
            )
        )
    stories, rejected = judged.height, int(judged.get_column("critical").sum())
    share = rejected / stories if stories else 0.0
    return ValidateReport(
        stories=stories,
        rejected=rejected,
        rejected_share=share,
        max_reject_rate=max_reject_rate,
        passed=share <= max_reject_rate,
        checks=tuple(checks),
        rejected_stories=_rejected(judged),
    )


def _worst(by_source: pl.DataFrame, expectation: str) -> tuple[SourceCount, ...]:
    rows = (
        by_source.filter(pl.col("expectation") == expectation)
        .sort(["failed", "source"], descending=[True, False])
        .head(WORST)
    )
    return tuple(SourceCount(r["source"], r["failed"]) for r in rows.iter_rows(named=True))


def _rejected(judged: pl.DataFrame) -> tuple[RejectedStory, ...]:
    rows = judged.filter(pl.col("critical")).sort("raw_path", "story_index", "doc_id")
    return tuple(
        RejectedStory(
            r["doc_id"],
            r["raw_path"],
            r["story_index"],
            r["source"],
            tuple(
                f"{c['expectation']}: {c['message']}"
                for c in r["failed_checks"]
                if c["severity"] == "critical"
            ),
        )
        for r in rows.iter_rows(named=True)
    )
