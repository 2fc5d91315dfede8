"""LSH specs: bands/rows derived from the threshold, signatures estimate Jaccard."""

from __future__ import annotations

import random

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.dedup.keys import exact_keys, shingles, tokenize
from cleaner.dedup.lsh import (
    LshParams,
    _sorted_entries,
    band_keys,
    candidate_pairs,
    collision_probability,
    cross_pairs,
    derive_params,
    signatures,
)


@given(st.floats(0.1, 0.9), st.sampled_from([32, 64, 128, 256]))
@settings(max_examples=25, deadline=None)
def test_derived_params_fit_and_straddle_the_threshold(threshold: float, num_perm: int) -> None:
    p = derive_params(threshold, num_perm, 0.5)
    assert p.bands * p.rows <= num_perm
    # The S-curve is lower well below the threshold than well above it.
    assert collision_probability(max(0.0, threshold - 0.1), p) < collision_probability(
        min(1.0, threshold + 0.1), p
    )


def test_lower_threshold_gives_more_candidates_at_the_same_similarity() -> None:
    low, high = derive_params(0.3, 128, 0.5), derive_params(0.7, 128, 0.5)
    assert collision_probability(0.4, low) > collision_probability(0.4, high)


def test_false_negative_weight_raises_recall_at_the_threshold() -> None:
    p_fn, p_even = derive_params(0.4, 128, 0.9), derive_params(0.4, 128, 0.5)
    assert collision_probability(0.4, p_fn) >= collision_probability(0.4, p_even)


def test_bad_threshold_is_refused() -> None:
    with pytest.raises(ValueError, match="threshold"):
        derive_params(1.5, 128)


def test_signature_agreement_estimates_jaccard() -> None:
    rng = random.Random(3)
    vocab = [f"w{i}" for i in range(5000)]
    a = [rng.choice(vocab) for _ in range(600)]
    b = a[:300] + [rng.choice(vocab) for _ in range(300)]
    tb = tokenize(pl.Series([" ".join(a), " ".join(b)]))
    sh = shingles(tb, 3)
    sa = set(sh.hashes[sh.doc == 0].tolist())
    sb = set(sh.hashes[sh.doc == 1].tolist())
    jac = len(sa & sb) / len(sa | sb)
    sig = signatures(sh, 2, 256)
    est = float((sig[0] == sig[1]).mean())
    assert abs(est - jac) < 0.08


def test_identical_texts_share_every_band_and_empty_texts_none() -> None:
    tb = tokenize(pl.Series(["one two three four five", "one two three four five", ""]))
    sig = signatures(shingles(tb, 3), 3, 16)
    keys = band_keys(sig, LshParams(4, 4))
    assert (keys[0] == keys[1]).all()
    assert (keys[2] == 0).all()
    pairs = candidate_pairs(keys, np.array([0, 1, 2]), 64, 8)
    assert pairs.rows() == [(1, 0, 4, 4)]


def test_big_buckets_link_members_to_their_best_ranked_rows_only() -> None:
    keys = np.full((100, 1), 7, dtype=np.uint64)
    pairs = candidate_pairs(keys, np.arange(100), max_bucket=10, bucket_top=3)
    assert pairs.height == 3 + 97 * 3  # rows 1, 2 link to fewer
    assert set(pairs["right"].to_list()) == {0, 1, 2}


def test_exact_keys_fold_case_punctuation_and_number_format() -> None:
    k = exact_keys(
        tokenize(pl.Series(["Costs: 1,300 (5%)!", "costs 1300 5 percent", "costs 1301"]))
    )
    assert k[0] == k[1] != k[2]


def _reference_pairs(
    keys: np.ndarray, rank: np.ndarray, max_bucket: int, bucket_top: int, per_row: int
) -> list[tuple[int, int, int, int]]:
    """The candidate_pairs spec written plainly (quadratic; small inputs only)."""
    buckets: dict[int, list[int]] = {}
    for row in range(keys.shape[0]):
        for k in keys[row].tolist():
            if k & 0xFFFFFFFF:
                buckets.setdefault(k & 0xFFFFFFFF, []).append(row)
    hits: dict[tuple[int, int], int] = {}
    rare: dict[tuple[int, int], int] = {}
    for members in buckets.values():
        if len(members) < 2:
            continue
        ordered = sorted(members, key=lambda r: rank[r])
        right = ordered[:bucket_top] if len(members) > max_bucket else ordered
        for a in members:
            for b in right:
                if rank[b] < rank[a]:
                    hits[(a, b)] = hits.get((a, b), 0) + 1
                    small = len(members) <= max_bucket
                    rare[(a, b)] = rare.get((a, b), 0) + small
    by_left: dict[int, list[tuple[int, int, int]]] = {}
    for (a, b), h in hits.items():
        by_left.setdefault(a, []).append((b, h, rare[(a, b)]))
    out = []
    for a, lst in by_left.items():
        # Most keys shared in small buckets first (a copy's own facts), then most keys.
        lst.sort(key=lambda bhr: (-bhr[2], -bhr[1], rank[bhr[0]]))
        out += [(a, b, h, r) for b, h, r in lst[:per_row]]
    return sorted(out)


def test_a_copy_sharing_rare_keys_outranks_look_alikes_sharing_more_common_ones() -> None:
    """Row 0 is a templated story; rows 1-5 fill the template with other facts (they share
    its three template bands, in a big bucket); row 6 is its noisy copy, sharing only two
    keys, both its own facts'. With two partners per row, the copy must be kept."""
    template = [[1, 2, 3]] * 6
    keys = np.array(
        [[*t, 100 + i, 200 + i] for i, t in enumerate(template)] + [[9, 8, 7, 100, 200]]
    )
    rank = np.arange(7)[::-1].copy()  # the copy ranks best: every other row pairs towards it
    got = candidate_pairs(keys.astype(np.uint64), rank, max_bucket=3, bucket_top=5, per_row=1)
    assert (0, 6, 2, 2) in got.rows()


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 40),
    st.integers(1, 6),
    st.integers(1, 6),
    st.integers(1, 4),
    st.integers(1, 5),
    st.integers(0, 2**16),
    st.integers(1, 7),
)
def test_candidate_pairs_follow_the_spec(
    n: int, bands: int, max_bucket: int, bucket_top: int, per_row: int, seed: int, chunk: int
) -> None:
    rng = np.random.default_rng(seed)
    keys = (
        rng.integers(0, 6, (n, bands)).astype(np.uint64)
        | (rng.integers(0, 2, (n, bands)).astype(np.uint64) << np.uint64(31))
        | (rng.integers(0, 2, (n, bands)).astype(np.uint64) << np.uint64(40))
    )  # bit 31 splits the sort in two halves; higher bits are ignored (keys compare on
    # their low 32 bits), 0 means none
    rank = rng.permutation(n)
    got = candidate_pairs(keys, rank, max_bucket, bucket_top, per_row, chunk=chunk)
    assert got.rows() == _reference_pairs(keys, rank, max_bucket, bucket_top, per_row)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 2**64 - 1), min_size=3, max_size=3), max_size=30),
    st.sampled_from([np.uint32, np.uint64]),
)
def test_sorted_entries_are_every_nonzero_low_key_with_its_order_sorted(
    rows: list[list[int]], dtype: type[np.unsignedinteger]
) -> None:
    """Keys on both sides of 2**31 (the two halves sorted on two threads), zeros dropped."""
    keys = np.array(rows, np.uint64).reshape(-1, 3).astype(dtype)
    order = np.arange(len(rows), dtype=np.int64)[::-1].copy()
    want = sorted(
        (k & 0xFFFFFFFF) << 32 | int(order[i])
        for i, row in enumerate(keys.tolist())
        for k in row
        if k & 0xFFFFFFFF
    )
    assert _sorted_entries(keys, order).tolist() == want


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 20), st.integers(1, 20), st.integers(0, 2**16), st.integers(1, 5))
def test_cross_pairs_count_shared_keys_and_cap_big_buckets(
    n: int, m: int, seed: int, chunk: int
) -> None:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 5, (n, 3)).astype(np.uint64)
    h = rng.integers(0, 5, (m, 3)).astype(np.uint64)
    want: dict[tuple[int, int], int] = {}
    for i in range(n):
        for j in range(m):
            for x in a[i].tolist():
                if x:
                    want[(i, j)] = want.get((i, j), 0) + h[j].tolist().count(x)
    assert cross_pairs(a, h, chunk=chunk).rows() == sorted(
        (i, j, c, c) for (i, j), c in want.items() if c
    )  # uncapped, every bucket counts as small: all hits are rare
    capped = cross_pairs(a, h, max_bucket=2, bucket_top=1, per_row=2, chunk=chunk)
    per_left = capped.group_by("left").len()["len"].to_list()
    assert all(c <= 2 for c in per_left)
    for i, j, _, _ in capped.rows():
        assert (i, j) in want


def _cross_reference(
    a: np.ndarray, h: np.ndarray, max_bucket: int, bucket_top: int, per_row: int
) -> list[tuple[int, int, int, int]]:
    """cross_pairs spelt out: per shared key (low 32 bits), its history bucket, most
    recent first, cut to `bucket_top` when bigger than `max_bucket`; hits and rare hits
    per pair; each row's `per_row` best by rare hits, hits, recency."""
    low = [[int(x) & 0xFFFFFFFF for x in row] for row in a.tolist()]
    hist = [[int(x) & 0xFFFFFFFF for x in row] for row in h.tolist()]
    count: dict[tuple[int, int], list[int]] = {}
    for k in {x for row in low for x in row} - {0}:
        members = [j for j in range(len(hist) - 1, -1, -1) for x in hist[j] if x == k]
        small = len(members) <= max_bucket
        for i, row in enumerate(low):
            for _ in range(row.count(k)):
                for j in members if small else members[:bucket_top]:
                    c = count.setdefault((i, j), [0, 0])
                    c[0] += 1
                    c[1] += small
    out = []
    for i in sorted({i for i, _ in count}):
        best = sorted((-count[i, j][1], -count[i, j][0], -j) for ii, j in count if ii == i)
        out += [(i, -nj, count[i, -nj][0], count[i, -nj][1]) for _, _, nj in best[:per_row]]
    return sorted(out)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 12),
    st.integers(1, 30),
    st.integers(0, 2**16),
    st.integers(1, 4),
    st.integers(1, 3),
    st.integers(1, 4),
)
def test_cross_pairs_capped_is_its_specification(
    n: int, m: int, seed: int, max_bucket: int, bucket_top: int, per_row: int
) -> None:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 6, (n, 3)).astype(np.uint64)
    h = rng.integers(0, 6, (m, 3)).astype(np.uint64)
    h[rng.random(h.shape) < 0.3] += np.uint64(1 << 40)  # compared on the low 32 bits
    got = cross_pairs(a, h, max_bucket=max_bucket, bucket_top=bucket_top, per_row=per_row)
    assert got.rows() == _cross_reference(a, h, max_bucket, bucket_top, per_row)


def test_cross_pairs_link_a_big_bucket_to_its_most_recent_rows() -> None:
    history = np.full((50, 1), 9, dtype=np.uint64)
    pairs = cross_pairs(np.array([[9]], dtype=np.uint64), history, max_bucket=10, bucket_top=3)
    assert pairs.rows() == [(0, 47, 1, 0), (0, 48, 1, 0), (0, 49, 1, 0)]


def test_pairs_sharing_every_key_of_the_widest_banding_keep_their_counts() -> None:
    """2 views x 128 one-row bands: 256 shared keys must fit the packed ordering."""
    keys = np.tile(np.arange(1, 257, dtype=np.uint64), (3, 1))
    assert candidate_pairs(keys, np.arange(3), 64, 8, per_row=2).rows() == [
        (1, 0, 256, 256),
        (2, 0, 256, 256),
        (2, 1, 256, 256),
    ]
    assert cross_pairs(keys, keys, max_bucket=64, bucket_top=8, per_row=1).rows() == [
        (0, 2, 256, 256),
        (1, 2, 256, 256),
        (2, 2, 256, 256),
    ]
