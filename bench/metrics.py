"""Pairwise precision/recall/F1, Adjusted Rand Index and hard-negative false merges."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Scores:
    """Clustering quality of predicted clusters against true labels."""

    precision: float
    recall: float
    f1: float
    ari: float
    template_false_merges: int  # predicted pairs of templated stories with different labels
    event_false_merges: int  # same for same-event stories
    f1_no_template: float  # pairwise F1 on the rows that are not templated stories


def _pairs(col: pl.Expr) -> pl.Expr:
    return (col * (col - 1) / 2).sum()


def _prf(df: pl.DataFrame) -> tuple[float, float, float, float]:
    n = df.height

    def pairs(*cols: str) -> float:
        return float(
            df.group_by(*cols).len().select(_pairs(pl.col("len").cast(pl.Float64))).item() or 0
        )

    tp, true_p, pred_p = pairs("label", "cluster"), pairs("label"), pairs("cluster")
    precision = tp / pred_p if pred_p else 1.0
    recall = tp / true_p if true_p else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    total = n * (n - 1) / 2
    expected = true_p * pred_p / total if total else 0.0
    max_idx = (true_p + pred_p) / 2
    ari = (tp - expected) / (max_idx - expected) if max_idx != expected else 1.0
    return precision, recall, f1, ari


def score(labels: pl.DataFrame, pred: pl.DataFrame) -> Scores:
    """`labels`: doc_id, label, family; `pred`: doc_id, cluster (any hashable column).

    >>> lab = pl.DataFrame({"doc_id": ["a", "b", "c"], "label": ["x", "x", "y"],
    ...                     "family": ["base", "copy", "base"]})
    >>> score(lab, pl.DataFrame({"doc_id": ["a", "b", "c"], "cluster": [1, 1, 2]})).f1
    1.0
    """
    df = labels.join(pred.select("doc_id", pl.col("cluster").cast(pl.Utf8)), on="doc_id")
    precision, recall, f1, ari = _prf(df)
    f1_nt = _prf(df.filter(pl.col("family") != "template"))[2]

    def false_merges(family: str) -> int:
        sub = df.filter(pl.col("family") == family)
        same_c = sub.group_by("cluster").len().select(_pairs(pl.col("len").cast(pl.Float64)))
        same_both = (
            sub.group_by("cluster", "label").len().select(_pairs(pl.col("len").cast(pl.Float64)))
        )
        return int(float(same_c.item() or 0) - float(same_both.item() or 0))

    return Scores(
        precision, recall, f1, ari, false_merges("template"), false_merges("event"), f1_nt
    )
