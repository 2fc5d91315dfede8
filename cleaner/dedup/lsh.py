"""MinHash signatures, LSH banding and candidate pairs, vectorised over a batch.

Signatures use one-permutation hashing with rotation densification (Li et al. 2012,
Shrivastava & Li 2014): each shingle is hashed once and falls into one of `num_perm`
bins, keeping the minimum per bin. The collision probability per bin is the Jaccard
similarity, like classic MinHash, at the cost of one hash per shingle instead of
`num_perm`. Bands and rows are derived from a threshold, never hand-tuned.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import polars as pl

from cleaner.dedup.keys import _POS_MULT, U64, Shingles, TokenBatch, mix64, shingles

_EMPTY = np.iinfo(np.uint64).max
_ROT = np.uint64(0x2545F4914F6CDD1D)


@dataclass(frozen=True)
class LshParams:
    """LSH banding: `bands` bands of `rows` signature slots each (bands*rows <= num_perm)."""

    bands: int
    rows: int


def collision_probability(similarity: float, params: LshParams) -> float:
    """Chance that two texts with this Jaccard share at least one band: 1-(1-s^r)^b.

    >>> round(collision_probability(0.5, LshParams(bands=20, rows=5)), 3)
    0.47
    """
    return float(1.0 - (1.0 - similarity**params.rows) ** params.bands)


def derive_params(threshold: float, num_perm: int, fn_weight: float = 0.5) -> LshParams:
    """Bands and rows minimising the weighted false-positive and false-negative areas.

    The false-positive area is the integral of the collision curve below the threshold,
    the false-negative area the integral of its complement above it (the method of
    datasketch and text-dedup); `fn_weight` weighs the second.

    >>> derive_params(0.5, 128, 0.5)
    LshParams(bands=25, rows=5)
    """
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"LSH threshold must be in (0, 1), got {threshold}")
    if num_perm < 2:
        raise ValueError(f"num_perm must be >= 2, got {num_perm}")
    grid_lo = np.linspace(0.0, threshold, 200)
    grid_hi = np.linspace(threshold, 1.0, 200)
    best: tuple[float, int, int] | None = None
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            fp = _area(1.0 - (1.0 - grid_lo**r) ** b, grid_lo)
            fn = _area((1.0 - grid_hi**r) ** b, grid_hi)
            err = (1.0 - fn_weight) * fp + fn_weight * fn
            if best is None or err < best[0] - 1e-12:
                best = (float(err), b, r)
    assert best is not None
    return LshParams(bands=best[1], rows=best[2])


def _area(y: npt.NDArray[np.float64], x: npt.NDArray[np.float64]) -> float:
    """Trapezoid rule (np.trapezoid is numpy>=2 only)."""
    return float(((y[1:] + y[:-1]) * np.diff(x)).sum() / 2.0)


def signatures(sh: Shingles, n_docs: int, num_perm: int) -> U64:
    """MinHash signatures, one row per text; a text without shingles gets an all-max row.

    >>> from cleaner.dedup.keys import tokenize
    >>> sig = signatures(shingles(tokenize(pl.Series(["a b c d e", "a b c d e", ""])), 3), 3, 8)
    >>> sig.shape, bool((sig[0] == sig[1]).all()), bool((sig[2] == np.iinfo(np.uint64).max).all())
    ((3, 8), True, True)
    """
    k = np.uint64(num_perm)
    sig = np.full(n_docs * num_perm, _EMPTY, dtype=np.uint64)
    if len(sh.hashes):
        slot = sh.doc * num_perm + (sh.hashes % k).astype(np.int64)
        np.minimum.at(sig, slot, sh.hashes // k)
    mat = sig.reshape(n_docs, num_perm)
    return _densify(mat)


def _densify(mat: U64) -> U64:
    """Fill each empty bin from a bin chosen by a fixed random probe sequence.

    "Optimal densification" (Shrivastava 2017): empty bin i tries bins p(i, 1),
    p(i, 2), ... (the same sequence for every text) and borrows the first non-empty
    one. Two texts agree on a borrowed bin only when they agree on the bin it came
    from, so collisions stay ~ Jaccard. Borrowing from the next bin to the right
    instead (rotation) makes a run of empty bins copy one value: in a sparse view
    (the 80-token lead has ~78 shingles for 128 bins) a single shared shingle then
    fills whole bands, and unrelated stories become candidates by the thousand.
    """
    k = mat.shape[1]
    todo = mat == _EMPTY
    if not todo.any():
        return mat
    all_empty = todo.all(axis=1)
    todo[all_empty] = False
    filled = mat.copy()
    probes = _probes(k)
    for t in range(probes.shape[0]):
        rows, cols = np.nonzero(todo)
        if len(rows) == 0:
            break
        src = mat[rows, probes[t, cols]]
        ok = src != _EMPTY
        rows, cols = rows[ok], cols[ok]
        with np.errstate(over="ignore"):
            filled[rows, cols] = mix64(src[ok] + np.uint64(t + 1) * _ROT)
        todo[rows, cols] = False
    if todo.any():  # a text with almost every bin empty: fall back to the next bin right
        rows, cols = np.nonzero(todo)
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            nxt = next((c + d) % k for d in range(1, k) if mat[r, (c + d) % k] != _EMPTY)
            with np.errstate(over="ignore"):
                filled[r, c] = mix64(mat[r, nxt] + np.uint64(k + nxt) * _ROT)
    filled[all_empty] = _EMPTY
    return filled


@lru_cache(maxsize=8)
def _probes(k: int, attempts: int = 64) -> npt.NDArray[np.int64]:
    """probes[t, i]: the bin empty bin i tries at attempt t (fixed: keys stay stable)."""
    t = np.arange(attempts, dtype=np.uint64)[:, None]
    i = np.arange(k, dtype=np.uint64)[None, :]
    with np.errstate(over="ignore"):
        h = mix64(i * _POS_MULT[0] + (t + np.uint64(1)) * _POS_MULT[1])
    return (h % np.uint64(k)).astype(np.int64)


def band_keys(sig: U64, params: LshParams, view: int = 0) -> U64:
    """One 64-bit key per (text, band); texts without shingles get key 0 (never matched).

    The band number and the view are mixed into the key so one join finds collisions of
    every band of every view at once.
    """
    n = sig.shape[0]
    if params.rows > len(_POS_MULT) * 4:
        raise ValueError(f"too many rows per band: {params.rows}")
    keys = np.zeros((n, params.bands), np.uint64)
    with np.errstate(over="ignore"):
        for b in range(params.bands):
            acc = np.full(n, np.uint64(view * 1_000_003 + b + 1) * _ROT, np.uint64)
            for j in range(params.rows):
                acc = mix64(acc ^ sig[:, b * params.rows + j])
            keys[:, b] = acc
    keys[(sig == _EMPTY).all(axis=1)] = 0
    return keys


def batch_band_keys(
    tokens: TokenBatch, shingle_size: int, num_perm: int, lead: int, params: LshParams
) -> U64:
    """Band keys of the whole-body view and the lead view, side by side: (n, 2*bands)."""
    n = len(tokens.lengths)
    full = band_keys(signatures(shingles(tokens, shingle_size), n, num_perm), params, view=0)
    head = signatures(shingles(tokens, shingle_size, lead=lead), n, num_perm)
    return np.concatenate([full, band_keys(head, params, view=1)], axis=1)


def _long(keys: U64, name: str) -> pl.DataFrame:
    n, b = keys.shape
    df = pl.DataFrame({name: np.repeat(np.arange(n, dtype=np.int64), b), "key": keys.reshape(-1)})
    return df.filter(pl.col("key") != 0)


def candidate_pairs(
    keys: U64,
    rank: npt.NDArray[np.int64],
    max_bucket: int,
    bucket_top: int,
    per_row: int = 16,
    chunk: int = 10_000,
) -> pl.DataFrame:
    """Pairs (left, right) sharing a band key where `right` ranks before `left`, with hits.

    Only pairs towards better-ranked rows are needed: a story is checked against the
    canonicals ranked before it. A bucket larger than `max_bucket` (thousands of
    templated stories share a band) links each member to its `bucket_top` best-ranked
    rows only, and each row keeps its `per_row` partners with most shared bands. The join
    runs `chunk` rows at a time, so memory stays bounded by the chunk, not the batch.

    >>> k = np.array([[5, 6], [5, 7], [8, 9]], dtype=np.uint64)
    >>> candidate_pairs(k, np.array([0, 1, 2]), 64, 8).rows()
    [(1, 0, 1)]
    """
    n, b = keys.shape
    # 4-byte columns: the long table has n * bands rows, the largest object of the stage.
    # 32-bit keys (as the saved index keeps them) collide by chance for ~1 key in 50 at
    # 1M stories; a chance collision only proposes a pair that verification then rejects.
    df = pl.DataFrame(
        {
            "left": np.repeat(np.arange(n, dtype=np.int32), b),
            "key": (keys.reshape(-1) & np.uint64(0xFFFFFFFF)).astype(np.uint32),
            "rank": np.repeat(rank.astype(np.int32), b),
        }
    ).filter(pl.col("key") != 0)
    sizes = df.group_by("key").len().filter(pl.col("len") > 1)
    left = df.join(sizes, on="key")  # most keys are singletons: drop them first
    big = (
        left.filter(pl.col("len") > max_bucket)
        .sort("key", "rank")
        .filter(pl.int_range(pl.len()).over("key") < bucket_top)
    )
    right = pl.concat([left.filter(pl.col("len") <= max_bucket), big]).select(
        pl.col("left").alias("right"), "key", pl.col("rank").alias("rank_r")
    )
    left = left.drop("len")
    parts = []
    for start in range(0, n, chunk):
        part = left.filter(pl.col("left").is_between(start, start + chunk - 1))
        pairs = (
            part.join(right, on="key")
            .filter(pl.col("rank_r") < pl.col("rank"))
            .group_by("left", "right")
            .agg(pl.len().cast(pl.Int64).alias("hits"), pl.col("rank_r").first())
            .sort(["left", "hits", "rank_r"], descending=[False, True, False])
            .group_by("left", maintain_order=True)
            .head(per_row)
            .select(pl.col("left", "right").cast(pl.Int64), "hits")
        )
        parts.append(pairs)
    if not parts:
        return pl.DataFrame(schema={"left": pl.Int64, "right": pl.Int64, "hits": pl.Int64})
    return pl.concat(parts).sort("left", "right")


def cross_pairs(keys: U64, other: U64) -> pl.DataFrame:
    """Pairs (row of `keys`, row of `other`) sharing at least one band key, with hits."""
    a = _long(keys, "left")
    b = _long(other, "right")
    return (
        a.join(b, on="key")
        .group_by("left", "right")
        .agg(pl.len().cast(pl.Int64).alias("hits"))
        .sort("left", "right")
    )
