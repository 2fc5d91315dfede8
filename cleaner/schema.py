"""The Parquet schema of every output table, fixed in one place.

Every column is always present, with an explicit type, so the schema never changes
from one run's file to the next: an empty value is ``null`` or ``[]``, never a
missing column.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from cleaner.records import Article, FailedCheck, LineFate

AUDIT = pl.Struct({"line_no": pl.Int32, "fate": pl.Utf8, "rule": pl.Utf8, "text": pl.Utf8})
CHECK = pl.Struct(
    {"expectation": pl.Utf8, "column": pl.Utf8, "severity": pl.Utf8, "message": pl.Utf8}
)

ARTICLE: dict[str, pl.DataType] = {
    "doc_id": pl.Utf8(),
    "title": pl.Utf8(),
    "body": pl.Utf8(),
    "summary": pl.List(pl.Utf8),
    "caption": pl.Utf8(),
    "source": pl.Utf8(),
    "published": pl.Date(),
    "updated": pl.Date(),
    "dateline": pl.Utf8(),
    "byline": pl.Utf8(),
    "url": pl.Utf8(),
    "language": pl.Utf8(),
    "word_count": pl.Int32(),
    "raw_path": pl.Utf8(),
    "record_index": pl.Int32(),
    "story_index": pl.Int32(),
    "line_start": pl.Int32(),
    "line_end": pl.Int32(),
    "file_hash": pl.Utf8(),
    "split_rule": pl.Utf8(),
    "profile": pl.Utf8(),
    "fixes": pl.List(pl.Utf8),
    "audit": pl.List(AUDIT),
    "warnings": pl.List(pl.Utf8),
}

#: Accepted canonical stories: ``clean/articles/<run_id>.parquet``.
ARTICLES: dict[str, pl.DataType] = {**ARTICLE, "cluster_id": pl.Utf8(), "run_id": pl.Utf8()}

#: Stories judged duplicates: ``clean/duplicates/<run_id>.parquet``.
DUPLICATES: dict[str, pl.DataType] = {
    **ARTICLE,
    "duplicate_of": pl.Utf8(),
    "cluster_id": pl.Utf8(),
    "kind": pl.Utf8(),
    "similarity": pl.Float64(),
    "containment": pl.Float64(),
    "reason": pl.Utf8(),
    "run_id": pl.Utf8(),
}

#: Quarantined stories with the checks they failed: ``clean/rejected/<run_id>.parquet``.
REJECTED: dict[str, pl.DataType] = {
    **ARTICLE,
    "failed_checks": pl.List(CHECK),
    "run_id": pl.Utf8(),
}


def _audit_rows(audit: Sequence[LineFate]) -> list[dict[str, object]]:
    return [{"line_no": a.line_no, "fate": a.fate, "rule": a.rule, "text": a.text} for a in audit]


def check_rows(checks: Sequence[FailedCheck]) -> list[dict[str, object]]:
    """Failed checks as rows of the ``failed_checks`` struct column."""
    return [
        {
            "expectation": c.expectation,
            "column": c.column,
            "severity": c.severity,
            "message": c.message,
        }
        for c in checks
    ]


def articles_frame(articles: Sequence[Article]) -> pl.DataFrame:
    """Turn Article records into a frame with exactly the ``ARTICLE`` schema.

    >>> articles_frame([]).columns[:3]
    ['doc_id', 'title', 'body']
    """
    names = list(ARTICLE)
    columns: dict[str, list[object]] = {n: [] for n in names}
    for art in articles:
        for name, value in zip(names, _values(art), strict=True):
            columns[name].append(value)
    return pl.DataFrame(columns, schema=ARTICLE)


def _values(art: Article) -> tuple[object, ...]:
    return (
        art.doc_id,
        art.title,
        art.body,
        list(art.summary),
        art.caption,
        art.source,
        art.published,
        art.updated,
        art.dateline,
        art.byline,
        art.url,
        art.language,
        art.word_count,
        art.raw_path,
        art.record_index,
        art.story_index,
        art.line_start,
        art.line_end,
        art.file_hash,
        art.split_rule,
        art.profile,
        list(art.fixes),
        _audit_rows(art.audit),
        list(art.warnings),
    )


def conform(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Select and cast ``frame`` to ``schema``, adding any missing column as nulls."""
    exprs = [
        (pl.col(n) if n in frame.columns else pl.lit(None)).cast(t).alias(n)
        for n, t in schema.items()
    ]
    return frame.select(exprs)
