"""MinHash signatures, LSH banding and candidate pairs, vectorised over a batch.

Signatures use one-permutation hashing with rotation densification (Li et al. 2012,
Shrivastava & Li 2014): each shingle is hashed once and falls into one of `num_perm`
bins, keeping the minimum per bin. The collision probability per bin is the Jaccard
similarity, like classic MinHash, at the cost of one hash per shingle instead of
`num_perm`. Bands and rows are derived from a threshold, never hand-tuned.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import polars as pl

from cleaner.dedup.buckets import (
    RANK,
    buckets,
    by_chunk,
    count_entries,
    fill_entries,
    filtered_entries,
    key_filter,
    pack_pairs,
)
from cleaner.dedup.jit import frozen
from cleaner.dedup.keys import (
    _POS_MULT,
    I32,
    I64,
    LOW32,
    U8,
    U64,
    Shingles,
    TokenBatch,
    expand,
    mix64,
    shingle_views,
)

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

    >>> from cleaner.dedup.keys import shingles, tokenize
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
    cells = sig[:, : params.bands * params.rows].reshape(n, params.bands, params.rows)
    seed = (np.arange(params.bands, dtype=np.uint64) + np.uint64(view * 1_000_003 + 1)) * _ROT
    with np.errstate(over="ignore"):
        keys = np.broadcast_to(seed, (n, params.bands))
        for j in range(params.rows):
            keys = mix64(keys ^ cells[:, :, j])
    keys = np.ascontiguousarray(keys)
    keys[(sig == _EMPTY).all(axis=1)] = 0
    return keys


def batch_band_keys(
    tokens: TokenBatch, shingle_size: int, num_perm: int, lead: int, params: LshParams
) -> U64:
    """Band keys of the whole-body view and the lead view, side by side: (n, 2*bands)."""
    n = len(tokens.lengths)
    whole, head = shingle_views(tokens, shingle_size, (None, lead))
    full = band_keys(signatures(whole, n, num_perm), params, view=0)
    del whole
    return np.concatenate([full, band_keys(signatures(head, n, num_perm), params, view=1)], axis=1)


def sketches(sig: U64) -> U8:
    """The low byte of every slot (b-bit MinHash, Li & König 2010); zeros for a text
    without shingles. Two texts agree on a slot with probability J + (1 - J) / 256.

    >>> sketches(np.array([[0x1FF, 2], [_EMPTY, _EMPTY]], np.uint64)).tolist()
    [[255, 2], [0, 0]]
    """
    out = (sig & np.uint64(0xFF)).astype(np.uint8)
    out[(sig == _EMPTY).all(axis=1)] = 0
    return out


def batch_sketches(tokens: TokenBatch, shingle_size: int, num_perm: int) -> U8:
    """`sketches` of the whole-body view: (n, num_perm) bytes (`sketch.agreement`)."""
    (whole,) = shingle_views(tokens, shingle_size, (None,))
    return sketches(signatures(whole, len(tokens.lengths), num_perm))


# Worker threads of the pair search: the box has 2 cores; results do not depend on it.
_THREADS = 2
IntT = TypeVar("IntT", bound=np.integer)
_EMPTY_PAIRS: dict[str, type[pl.DataType]] = {
    "left": pl.Int64,
    "right": pl.Int64,
    "hits": pl.Int64,
    "rare": pl.Int64,
}


def _sorted_entries(keys: npt.NDArray[np.unsignedinteger], order: npt.NDArray[np.int64]) -> U64:
    """Non-zero band keys (low 32 bits) as `key << 32 | order[row]`, sorted.

    One uint64 per (row, band) sorts by key, then by `order`, in a single numpy sort.
    Written by one compiled pass, keys below 2**31 to the front and the others to the
    back, so the two halves sort on two threads (numpy's sort releases the GIL) and
    follow each other in order; no (n, bands) temporary is held beside the output.
    """
    keys = frozen(keys, keys.dtype.type)
    order = frozen(order, np.int64)
    n_low, n_high = count_entries(keys)
    out = np.empty(n_low + n_high, np.uint64)
    fill_entries(keys, order, out, n_low)
    with ThreadPoolExecutor(_THREADS) as pool:
        list(pool.map(np.ndarray.sort, (out[:n_low], out[n_low:])))
    return out


def _best(
    code_left: I64,
    code_right: I64,
    per_row: int | None,
    base: int,
    chunk: int,
    rare: npt.NDArray[np.bool_],
) -> tuple[I64, I64, I64, I64]:
    """Distinct (left, right) with their occurrences (hits) and rare ones, capped per left.

    `rare[i]`: occurrence i comes from a small bucket. Each
    left keeps its `per_row` partners with most rare hits, then most hits, then smallest
    right code. Lefts lie in [base, base + chunk), rights in [0, 2**32): a pair packs
    into one int64 (with its rare bit below), and the ordering (left, -rare, -hits,
    right) into another, so two plain numpy sorts replace a group-by and a lexsort.
    """
    pair = ((code_left - base) << 33) | (code_right << 1) | rare
    return _best_packed(pair, per_row, base, chunk)


def _best_packed(
    pair: I64, per_row: int | None, base: int, chunk: int
) -> tuple[I64, I64, I64, I64]:
    """`_best` of occurrences packed as `(left - base) << 33 | right << 1 | rare`."""
    left_bits = max(1, (chunk - 1).bit_length())
    hit_bits = 31 - left_bits
    if hit_bits < 8:
        raise ValueError(f"chunk too large for the packed ordering: {chunk}")
    pair.sort()
    flag = pair & 1
    pair >>= 1
    first = np.ones(len(pair), bool)
    first[1:] = pair[1:] != pair[:-1]
    at = np.flatnonzero(first)
    hits = np.diff(np.append(at, len(pair)))
    n_rare = np.add.reduceat(flag, at) if len(at) else hits
    uniq = pair[at]
    if per_row is not None and len(uniq):
        cap = (1 << hit_bits) - 1
        weight = int(hits.max()) + 1
        score = n_rare * weight + hits  # rare hits first, then all hits
        if int(score.max()) > cap:
            raise ValueError("too many shared keys per pair for the packed ordering")
        local = uniq >> 32
        packed = (local << (32 + hit_bits)) | ((cap - score) << 32) | (uniq & 0xFFFFFFFF)
        packed.sort()
        local = packed >> (32 + hit_bits)
        first = np.ones(len(local), bool)
        first[1:] = local[1:] != local[:-1]
        start = np.flatnonzero(first)
        pos = np.arange(len(local)) - np.repeat(start, np.diff(np.append(start, len(local))))
        packed = packed[pos < per_row]
        score = cap - ((packed >> 32) & cap)
        n_rare, hits = score // weight, score % weight
        uniq = ((packed >> (32 + hit_bits)) << 32) | (packed & 0xFFFFFFFF)
    return (uniq >> 32) + base, uniq & 0xFFFFFFFF, hits.astype(np.int64), n_rare.astype(np.int64)


def _grouped(
    entries: npt.NDArray[IntT],
    row: npt.NDArray[np.integer],
    chunk: int,
    n_groups: int,
    mask: int = -1,
) -> tuple[npt.NDArray[IntT], I64]:
    """`entries` stably reordered by chunk of their row (`row[e] & mask`), and each
    chunk's bounds.

    A linear, stable counting sort. The reordered entries replace the entries plus an
    int64 order of the same length: with int32 entries at a million stories that is about
    half a gigabyte less while pairs are generated.

    >>> e, b = _grouped(np.array([0, 1, 2], np.int32), np.array([7, 1, 6], np.int32), 5, 2)
    >>> e.tolist(), b.tolist()
    ([1, 0, 2], [0, 1, 3])
    """
    return by_chunk(  # type: ignore[no-any-return]
        frozen(entries, entries.dtype.type),
        frozen(row, row.dtype.type),
        np.int64(mask),
        chunk,
        n_groups,
    )


def _partner_pairs(
    packed: I64, has: npt.NDArray[np.int32], bounds: I64, per_row: int | None, chunk: int, top: int
) -> list[tuple[I64, I64, I64, I64]]:
    """Each chunk's (left, right, hits, rare) in rank codes: an entry pairs with the
    members before it in its bucket (`buckets.partners`), best `per_row` per left."""

    def block(g: int) -> tuple[I64, I64, I64, I64]:
        sel = has[bounds[g] : bounds[g + 1]]
        pair = pack_pairs(packed, sel, g * chunk, top)
        return _best_packed(pair, per_row, g * chunk, chunk)

    with ThreadPoolExecutor(_THREADS) as pool:  # numpy sorts release the GIL
        return list(pool.map(block, range(len(bounds) - 1)))


def _frame(
    left: npt.NDArray[np.integer],
    right: npt.NDArray[np.integer],
    hits: npt.NDArray[np.integer],
    rare: npt.NDArray[np.integer],
) -> pl.DataFrame:
    """The pairs as a frame sorted by (left, right); both fit 32 bits."""
    order = np.argsort((left.astype(np.uint64) << np.uint64(32)) | right.astype(np.uint64))
    return pl.DataFrame(
        {"left": left[order], "right": right[order], "hits": hits[order], "rare": rare[order]},
        schema=_EMPTY_PAIRS,
    )


def candidate_pairs(
    keys: npt.NDArray[np.unsignedinteger],
    rank: npt.NDArray[np.int64],
    max_bucket: int,
    bucket_top: int,
    per_row: int = 16,
    chunk: int = 5_000,
) -> pl.DataFrame:
    """`candidate_arrays` as a frame (left, right, hits, rare) sorted by (left, right).

    >>> k = np.array([[5, 6], [5, 7], [8, 9]], dtype=np.uint64)
    >>> candidate_pairs(k, np.array([0, 1, 2]), 64, 8).rows()
    [(1, 0, 1, 1)]
    """
    return _frame(*candidate_arrays(keys, rank, max_bucket, bucket_top, per_row, chunk))


def candidate_arrays(
    keys: npt.NDArray[np.unsignedinteger],
    rank: npt.NDArray[np.int64],
    max_bucket: int,
    bucket_top: int,
    per_row: int = 16,
    chunk: int = 5_000,
) -> tuple[I32, I32, I32, I32]:
    """Pairs (left, right) sharing a band key where `right` ranks before `left`, with hits.

    Only pairs towards better-ranked rows are needed: a story is checked against the
    canonicals ranked before it. A bucket larger than `max_bucket` (thousands of
    templated stories share a band) links each member to its `bucket_top` best-ranked
    rows only. `hits` counts a pair's shared keys, `rare` those of buckets of at most
    `max_bucket` stories. Each row keeps its `per_row` partners with most rare hits,
    then most hits (ties: the better-ranked partner): a copy of a templated story shares
    its own facts' bands with it, in small buckets, while its look-alikes share the
    template's, in big ones, and would otherwise crowd the copy out. Keys are compared
    on their low 32 bits (as the saved index keeps them); a chance collision only
    proposes a pair verification rejects.

    Cost is linear in the number of (row, band) entries: one sort by (key, rank) puts
    every bucket in rank order, so a member's partners are the members before it; pairs
    are generated and counted `chunk` rows at a time, so memory is bounded by the chunk.

    Returns int32 arrays (left, right, hits, rare), grouped by the left row's rank, in
    no further order (`pairs.Candidates.ranked` orders them; `candidate_pairs` sorts).

    >>> k = np.array([[5, 6], [5, 7], [8, 9]], dtype=np.uint64)
    >>> [a.tolist() for a in candidate_arrays(k, np.array([0, 1, 2]), 64, 8)]
    [[1], [0], [1], [1]]
    """
    n = keys.shape[0]
    if n * keys.shape[1] >= 1 << 31:
        raise ValueError("candidate_arrays handles fewer than 2**31 (row, band) entries")
    rank = np.asarray(rank, np.int64)
    entries = _sorted_entries(keys, rank)
    # Per entry of a bucket of two or more, one int64: its rank (ascending inside a
    # bucket), its bucket's start and size class; its partners are the better-ranked
    # members before it, or only the bucket's top ones in a big bucket. Most keys are
    # singletons: they are dropped here.
    packed, has = buckets(frozen(entries, np.uint64), max_bucket, bucket_top)
    del entries
    # Entries with partners, grouped by chunk of rows.
    has, bounds = _grouped(has, packed, chunk, -(-n // chunk), int(RANK))
    parts = _partner_pairs(packed, has, bounds, per_row, chunk, bucket_top)
    del packed, has  # ~0.55 GB per million stories
    by_rank = np.empty(n, np.int32)
    by_rank[rank] = np.arange(n, dtype=np.int32)

    def column(k: int) -> I32:  # int32: rank codes and counts fit; one copy, no cast first
        return np.concatenate([np.empty(0, np.int32), *(p[k] for p in parts)], dtype=np.int32)

    return by_rank[column(0)], by_rank[column(1)], column(2), column(3)


def cross_pairs(
    keys: npt.NDArray[np.unsignedinteger],
    other: npt.NDArray[np.unsignedinteger],
    max_bucket: int | None = None,
    bucket_top: int = 8,
    per_row: int | None = None,
    chunk: int = 16_384,
) -> pl.DataFrame:
    """Pairs (row of `keys`, row of `other`) sharing at least one band key, with hits.

    `other` is the history (earlier nights, oldest row first). Without caps every shared
    key counts, which is quadratic in a templated bucket (thousands of history stories
    share a band): pass `max_bucket`/`bucket_top` to link a row only to the
    `bucket_top` most recent history rows of a bucket larger than `max_bucket`, and
    `per_row` to keep each row's partners with most rare hits (keys of buckets of at
    most `max_bucket` history stories), then most hits (ties: the most recent), as
    `candidate_pairs` does. Keys are compared on their low 32 bits, like there.

    >>> a = np.array([[5, 6], [8, 9]], dtype=np.uint64)
    >>> h = np.array([[5, 6], [5, 7], [1, 2]], dtype=np.uint64)
    >>> cross_pairs(a, h).rows()
    [(0, 0, 2, 2), (0, 1, 1, 1)]
    """
    n, m = keys.shape[0], other.shape[0]
    if max(n, m) >= 1 << 32:
        raise ValueError("cross_pairs handles fewer than 2**32 rows")
    # History sorted by key, most recent first inside a key: `m - 1 - row` ascending.
    # Only keys that pass a bit filter of tonight's are sorted (a tenth to a quarter of
    # them): the others cannot be shared, and all of them would take ~1.3 GB of entries
    # and sort keys per million history stories.
    seen = key_filter(frozen(keys, keys.dtype.type))
    hist = filtered_entries(
        frozen(other, other.dtype.type), (m - 1) - np.arange(m, dtype=np.int64), seen
    )
    hist.sort()
    hist_key = hist >> np.uint64(32)
    mine = _sorted_entries(keys, np.arange(n, dtype=np.int64))
    mine_key = mine >> np.uint64(32)
    lo = np.searchsorted(hist_key, mine_key, side="left")
    count = np.searchsorted(hist_key, mine_key, side="right") - lo
    small = np.ones(len(count), bool) if max_bucket is None else count <= max_bucket
    if max_bucket is not None:
        count = np.where(count > max_bucket, np.minimum(count, bucket_top), count)
    rows = (mine & LOW32).astype(np.int64)
    del mine, mine_key
    has, bounds = _grouped(np.flatnonzero(count > 0), rows, chunk, -(-n // chunk))

    def block(g: int) -> tuple[I64, I64, I64, I64]:
        sel = has[bounds[g] : bounds[g + 1]]
        c = count[sel]
        recency = (hist[expand(lo[sel], c)] & LOW32).astype(np.int64)  # m - 1 - row
        rare = np.repeat(small[sel], c)
        return _best(np.repeat(rows[sel], c), recency, per_row, g * chunk, chunk, rare)

    with ThreadPoolExecutor(_THREADS) as pool:
        parts = list(pool.map(block, range(len(bounds) - 1)))
    if not parts:
        return pl.DataFrame(schema=_EMPTY_PAIRS)
    left = np.concatenate([p[0] for p in parts])
    right = (m - 1) - np.concatenate([p[1] for p in parts])
    hits, rare = (np.concatenate([p[k] for p in parts]) for k in (2, 3))
    return _frame(left, right, hits, rare)
