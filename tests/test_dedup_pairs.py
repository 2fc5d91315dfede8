"""Pair specs: candidates ranked in the keep rule's order, bulk verification as `verify`."""

from __future__ import annotations

import multiprocessing
import random

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.corpus import invented_sentences, make_corpus, templated
from cleaner.config import DedupConfig
from cleaner.dedup.pairs import DocStore, PairVerifier, _rank_order
from cleaner.dedup.sign import WordSpool, folded_words
from cleaner.dedup.verify import verify


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


def _corpus_pairs() -> tuple[DocStore, np.ndarray, np.ndarray]:
    """Every pair of a small generated corpus: copies, templated look-alikes, events."""
    rng = random.Random(3)
    df = make_corpus(60, invented_sentences(rng, 300), seed=3)
    # Texts with a letter outside Latin-1 pass the screen unscreened: rapidfuzz and the
    # Python template guard decide them.
    far = [f"{templated(rng, k % 3)} Reported from \u0141\u00f3d\u017a." for k in range(6)]
    store = DocStore(folded_words(pl.concat([df["body"], pl.Series(far)])))
    a, b = np.triu_indices(df.height + len(far), 1)
    return store, a.astype(np.int64), b.astype(np.int64)


@pytest.mark.parametrize("spooled", [False, True])
@pytest.mark.parametrize("workers", [1, 2])
def test_bulk_verification_tells_what_verify_says_pair_by_pair(
    workers: int, spooled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`PairVerifier.telling`: the duplicates with `verify`'s verdicts, and exactly the
    pairs `verify` finds one template with other facts; in process or in workers, with
    the words in memory or spooled to a file (each span's words then read from it)."""
    import cleaner.dedup.pairs as pairs

    if workers > 1 and "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform: pairs are always verified in process")
    monkeypatch.setattr(pairs, "MIN_PARALLEL_PAIRS", 1)
    monkeypatch.setattr(pairs, "CHUNK", 97)  # several spans, the last one short
    cfg = DedupConfig(workers=workers)
    store, a, b = _corpus_pairs()
    read = store
    if spooled:
        spool = WordSpool(0)
        spool.add(store.words)
        read = DocStore(spool.words())
        assert read.words.file is not None
    told = PairVerifier(read, cfg).telling(a, b)
    want_found, want_stopped = [], []
    for i, (x, y) in enumerate(zip(a.tolist(), b.tolist(), strict=True)):
        v = verify(store.doc(x), store.doc(y), cfg)
        if v.duplicate:
            want_found.append((i, v))
        elif v.template_changes:
            want_stopped.append(i)
    assert told.found == want_found
    assert told.stopped.tolist() == want_stopped
    assert len(want_found) > 10 and len(want_stopped) > 10  # the corpus has both


@given(st.lists(st.integers(0, 5), max_size=12), st.booleans())
@settings(max_examples=40, deadline=None)
def test_take_copies_rows_in_order_in_memory_and_spooled(rows: list[int], spooled: bool) -> None:
    texts = ["one two", "", "Łódź three", "four", "five six seven", "x"]
    words = folded_words(pl.Series(texts))
    if spooled:
        spool = WordSpool(0)
        spool.add(words)
        words = spool.words()
        assert words.file is not None
    taken = words.take(np.array(rows, np.int64))
    assert taken.file is None  # a buffer of its own
    assert [taken.text(i) for i in range(len(rows))] == [words.text(r) for r in rows]
