"""Dedup: exact duplicates on a folded body key, against the batch and earlier nights."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from cleaner.config import DedupConfig

MAPPING = {
    "doc_id": pl.Utf8, "cluster_id": pl.Utf8, "duplicate_of": pl.Utf8, "kind": pl.Utf8,
    "similarity": pl.Float64, "containment": pl.Float64, "reason": pl.Utf8,
}


@dataclass(frozen=True, slots=True)
class DedupIndex:
    keys: pl.DataFrame  # key, doc_id, cluster_id

    @classmethod
    def load(cls, state_dir: Path) -> DedupIndex:
        path = state_dir / "dedup_index.parquet"
        if path.exists():
            return cls(pl.read_parquet(path))
        return cls(pl.DataFrame(schema={"key": pl.Utf8, "doc_id": pl.Utf8, "cluster_id": pl.Utf8}))


@dataclass(frozen=True, slots=True)
class DedupResult:
    mapping: pl.DataFrame


def _key() -> pl.Expr:
    return pl.col("body").str.to_lowercase().str.replace_all(r"[\W_]+", " ").str.strip_chars()


def deduplicate(
    batch: pl.DataFrame, cfg: DedupConfig, index: DedupIndex | None = None
) -> DedupResult:
    frame = batch.with_columns(key=_key()).sort("doc_id")
    first = frame.group_by("key", maintain_order=True).agg(canon=pl.col("doc_id").first())
    frame = frame.join(first, on="key", how="left")
    mapping = frame.select(
        "doc_id",
        cluster_id=pl.col("canon"),
        duplicate_of=pl.when(pl.col("doc_id") != pl.col("canon")).then(pl.col("canon")),
        kind=pl.when(pl.col("doc_id") != pl.col("canon")).then(pl.lit("exact")),
        similarity=pl.when(pl.col("doc_id") != pl.col("canon")).then(pl.lit(1.0)),
        containment=pl.lit(None, pl.Float64),
        reason=pl.lit(None, pl.Utf8),
    )
    return DedupResult(mapping.cast(MAPPING))  # type: ignore[arg-type]
