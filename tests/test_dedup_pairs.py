"""Candidate ranking specs: each story's partners in the keep rule's order, best first."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.dedup.pairs import _rank_order


@given(
    st.integers(0, 300),
    st.sampled_from([3, 40, 2**20, 2**31 - 1]),
    st.integers(0, 2**32 - 1),
)
@settings(max_examples=150, deadline=None)
def test_rank_order_is_lexsorts(n: int, top: int, seed: int) -> None:
    # The packed single sort and lexsort give the same order, ties included; row numbers
    # up to 2**31 leave no room to pack, so both paths are exercised.
    rng = np.random.default_rng(seed)
    left = rng.integers(0, min(top, 5) + 1, n).astype(np.int32)
    left[: n // 2] = rng.integers(0, top, n // 2)
    rare = rng.integers(0, 4, n).astype(np.int32)
    hits = rng.integers(1, 85, n).astype(np.int32)
    right = rng.integers(0, max(n, 1), n).astype(np.int32)
    rank = rng.integers(0, top, max(n, 1)).astype(np.int64)
    rank[::3] = rank[0]  # ties on every key happen
    want = np.lexsort((rank[right], -hits, -rare, left))
    assert _rank_order(left, rare, hits, right, rank).tolist() == want.tolist()
