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
INDEX = {"key": pl.Utf8, "doc_id": pl.Utf8, "cluster_id": pl.Utf8}


@dataclass(frozen=True, slots=True)
class DedupIndex:
    """Canonical stories of earlier nights: one part per committed run."""

    keys: pl.DataFrame  # key, doc_id, cluster_id

    @classmethod
    def load(cls, state_dir: Path) -> DedupIndex:
        parts = sorted((state_dir / "dedup").glob("*.parquet"))
        if parts:
            return cls(pl.concat([pl.read_parquet(p) for p in parts]))
        return cls(pl.DataFrame(schema=INDEX))


@dataclass(frozen=True, slots=True)
class DedupResult:
    mapping: pl.DataFrame
    index_part: pl.DataFrame  # this batch's canonicals, to remember on later nights


def _key() -> pl.Expr:
    return pl.col("body").str.to_lowercase().str.replace_all(r"[\W_]+", " ").str.strip_chars()


def deduplicate(
    batch: pl.DataFrame, cfg: DedupConfig, index: DedupIndex | None = None
) -> DedupResult:
    history = (index.keys if index else pl.DataFrame(schema=INDEX)).rename(
        {"doc_id": "old_id", "cluster_id": "old_cluster"}
    )
    frame = batch.with_columns(key=_key()).sort("doc_id")
    first = frame.group_by("key", maintain_order=True).agg(canon=pl.col("doc_id").first())
    frame = frame.join(first, on="key", how="left").join(history, on="key", how="left")
    canon = pl.coalesce("old_id", "canon")
    is_dup = pl.col("doc_id") != canon
    mapping = frame.select(
        "doc_id",
        cluster_id=pl.coalesce("old_cluster", "canon"),
        duplicate_of=pl.when(is_dup).then(canon),
        kind=pl.when(is_dup).then(pl.lit("exact")),
        similarity=pl.when(is_dup).then(pl.lit(1.0)),
        containment=pl.lit(None, pl.Float64),
        reason=pl.when(is_dup).then(pl.lit("same text after folding case and punctuation")),
    ).cast(MAPPING)  # type: ignore[arg-type]
    part = frame.filter(~is_dup).select("key", "doc_id", cluster_id="canon")
    return DedupResult(mapping, part)
