"""Verification of many candidate pairs at once, on every core.

Verification is the stage's cost: a few candidate pairs per story. Each is screened by
compiled code (`screen`), which rejects most of them in microseconds; the rest are
aligned with rapidfuzz and checked by the template guard in Python. Pairs are independent and the
verdict of a pair depends on its two texts only, so they are verified in worker
processes and the verdicts come back in input order: the result is the same whatever
the number of workers.

Workers are forked, so they read the batch's folded words from the parent's memory
without a copy. The words are one UTF-8 buffer with row offsets (`keys.Words`), never
millions of Python strings, and workers touch only numpy, numba's compiled screen,
rapidfuzz and the standard library (never polars, whose threads do not survive a
fork). Where fork is unavailable (Windows, macOS) pairs are verified in process, with
the same verdicts.
"""

from __future__ import annotations

import multiprocessing
import os
import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from cleaner.config import DedupConfig
from cleaner.dedup.doc import Doc
from cleaner.dedup.heap import acyclic
from cleaner.dedup.keys import I32, I64, U8, Words
from cleaner.dedup.screen import (
    GUARD,
    PASS,
    screen_params,
    screen_rows,
    screen_texts,
)
from cleaner.dedup.sketch import SlotFloor
from cleaner.dedup.verify import Verdict, check
from cleaner.progress import Progress, quiet

# Below this many pairs a pool costs more (fork, pickling verdicts) than it saves.
MIN_PARALLEL_PAIRS = 20_000
# Pairs per task sent to a worker: big enough to amortise the round trip, small enough
# that both workers finish together.
CHUNK = 2_000


@dataclass(frozen=True)
class DocStore:
    """The stories of a batch as verification reads them, by row, from flat buffers.

    >>> import polars as pl
    >>> from cleaner.dedup.keys import tokenize
    >>> tb = tokenize(pl.Series(["One, two: Three", None]), words=True)
    >>> st = DocStore(tb.words)
    >>> st.doc(0).words, st.doc(1).words
    (['One', 'two', 'Three'], [])
    """

    words: Words

    def doc(self, row: int) -> Doc:
        """The row's folded words (case kept) as a Doc: a split, no regex."""
        return Doc(self.words.text(row))


class _Cached:
    """What a worker verifies with; `doc` caches the parent's own checks (star clusters)."""

    def __init__(self, store: DocStore, cfg: DedupConfig) -> None:
        self.cfg = cfg
        self.words = store.words
        self.screen = screen_params(cfg)
        self.doc = lru_cache(maxsize=8192)(store.doc)


_WORKER: tuple[_Cached, I64, I64] | None = None  # set in the parent just before the fork


@dataclass(frozen=True)
class Told:
    """What verifying many pairs (a[i], b[i]) told; other pairs were different stories.

    Only this comes back from a worker: a duplicate's verdict, and the index of a pair
    the template guard stopped (the caller only counts those), as one array, not a
    Python object per pair.
    """

    found: list[tuple[int, Verdict]]  # (i, verdict) of each duplicate, i ascending
    stopped: I64  # i of each pair the template guard stopped, ascending

    @staticmethod
    def join(parts: list[Told]) -> Told:
        """The parts of consecutive spans of pairs, as one."""
        found = [x for part in parts for x in part.found]
        stopped = [part.stopped for part in parts]
        return Told(found, np.concatenate(stopped) if stopped else np.zeros(0, np.int64))


def _run_range(span: tuple[int, int]) -> Told:
    """What pairs span[0]..span[1] of the worker's arrays told.

    The compiled screen sees every pair first; rapidfuzz checks the ones it passes, so
    a duplicate has passed both, as in `verify`. Rejected pairs are dropped here, never
    pickled back.
    """
    assert _WORKER is not None, "worker started without its pairs"
    one, a, b = _WORKER
    lo, hi = span
    # The span's words, read from the spooled file (see `Words.gather`), not the map.
    words, at = one.words.gather(np.concatenate([a[lo:hi], b[lo:hi]]))
    screened = screen_rows(words.data, words.offsets, at[: hi - lo], at[hi - lo :], one.screen)
    codes = screened.codes
    found: list[tuple[int, Verdict]] = []
    stopped = codes == GUARD
    # The span's stories as Docs, from the words just read, not read again.
    doc = lru_cache(maxsize=None)(lambda j: Doc(words.text(j)))
    at_a, at_b = at[: hi - lo].tolist(), at[hi - lo :].tolist()
    for k in np.flatnonzero(codes == PASS).tolist():
        i = lo + k
        known, pair_codes = screened.fact_counts(k), screened.words[k]
        v = check(doc(at_a[k]), doc(at_b[k]), one.cfg, known, pair_codes)
        if v.duplicate:
            found.append((i, v))
        elif v.template_changes:
            stopped[k] = True
    return Told(found, lo + np.flatnonzero(stopped).astype(np.int64))


@dataclass(frozen=True)
class Candidates:
    """Candidate pairs of a batch as flat arrays: `right` ranks before `left`, with hits
    (shared band keys) and rare hits (those of small buckets, see `lsh.candidate_arrays`).

    >>> c = Candidates(*np.array([[2, 2, 2], [0, 1, 3], [1, 5, 2], [1, 0, 1]]))
    >>> a, b, nth = c.ranked(np.array([0, 1, 3, 2]), np.ones(4, bool), max_checks=2)
    >>> a.tolist(), b.tolist(), nth.tolist()
    ([3, 0], [2, 2], [0, 1])
    """

    left: I32
    right: I32
    hits: I32
    rare: I32

    def agreeing(self, sketch: U8, n_tokens: I64, floor: SlotFloor) -> Candidates:
        """The pairs whose body sketches agree on at least the slots `floor` asks of them.

        >>> s = np.array([[1, 2], [1, 2], [1, 3]], np.uint8)
        >>> c = Candidates(*np.array([[1, 2], [0, 0], [1, 1], [1, 1]], np.int32))
        >>> n_tokens = np.full(3, 300)
        >>> c.agreeing(s, n_tokens, SlotFloor(2, 1.0, 0.0, 3)).left.tolist()
        [1]
        >>> c.agreeing(s, n_tokens, SlotFloor(2, 0.0, 0.0, 3)).left.tolist()
        [1, 2]
        """
        if floor.off or len(self.left) == 0:
            return self
        ok = floor.passing(sketch, self.left, self.right, n_tokens)
        return Candidates(self.left[ok], self.right[ok], self.hits[ok], self.rare[ok])

    def ranked(
        self, rank: I64, keep: npt.NDArray[np.bool_], max_checks: int
    ) -> tuple[I64, I64, I64]:
        """(partner, row, nth) to verify: per row its `max_checks` best partners, nth 0 best.

        Only pairs of two `keep` rows count; best = most rare hits, then most hits
        (shared bands), then best rank.
        Sorted by row, then best first: a deterministic order whatever the input order.
        """
        ok = keep[self.left] & keep[self.right] & (self.left != self.right)
        left, right, hits, rare = self.left[ok], self.right[ok], self.hits[ok], self.rare[ok]
        order = _rank_order(left, rare, hits, right, rank)
        left, right = left[order].astype(np.int64), right[order].astype(np.int64)
        if len(left) == 0:
            return right, left, left
        first = np.r_[0, np.flatnonzero(np.diff(left)) + 1]
        nth = np.arange(len(left)) - np.repeat(first, np.diff(np.r_[first, len(left)]))
        take = nth < max_checks
        return right[take], left[take], nth[take]


def _rank_order(left: I32, rare: I32, hits: I32, right: I32, rank: I64) -> I64:
    """The order of `np.lexsort((rank[right], -hits, -rare, left))`: by left, most rare
    hits, most hits, the partner's best rank; ties in input order.

    The four keys packed into one int64 when they fit (a million stories take 52 bits)
    and sorted once: a tenth of lexsort's time on the 11 million candidates of 1M stories,
    and less memory (the key is built in place, with one buffer beside it).

    >>> left, rare, hits = np.array([1, 0, 0, 0]), np.array([0, 1, 1, 2]), np.array([5, 3, 4, 1])
    >>> _rank_order(left, rare, hits, np.arange(4), np.arange(4)).tolist()
    [3, 2, 1, 0]
    """
    if len(left) == 0:
        return np.zeros(0, np.int64)
    lows = (int(left.min()), int(rare.min()), int(hits.min()), int(rank.min()))
    top_rare, top_hits = int(rare.max()), int(hits.max())
    w_rank, w_hits, w_rare = (
        int(rank.max()).bit_length(),
        top_hits.bit_length(),
        top_rare.bit_length(),
    )
    if min(lows) < 0 or int(left.max()).bit_length() + w_rare + w_hits + w_rank > 63:
        return np.lexsort((rank[right], -hits, -rare, left))
    key = left.astype(np.int64)
    key <<= w_rare + w_hits + w_rank
    part = rare.astype(np.int64)
    np.subtract(top_rare, part, out=part)
    part <<= w_hits + w_rank
    key |= part
    part[:] = hits
    np.subtract(top_hits, part, out=part)
    part <<= w_rank
    key |= part
    np.take(rank, right, out=part, mode="clip")  # rows are in range; "raise" would buffer
    key |= part
    del part
    return np.argsort(key, kind="stable")


def available_workers(requested: int) -> int:
    """Worker processes to use: `requested`, or every core this process may run on if 0.

    >>> available_workers(3)
    3
    """
    if requested > 0:
        return requested
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class PairVerifier:
    """Verifies pairs of rows of one batch; `telling` spreads a long list over workers."""

    def __init__(self, store: DocStore, cfg: DedupConfig, progress: Progress = quiet) -> None:
        self.cfg = cfg
        self.one = _Cached(store, cfg)
        self.progress = progress
        screen_texts("", "", self.one.screen)  # compiled (or loaded) here, before any fork

    def telling(self, a: I64, b: I64, stage: str = "pairs") -> Told:
        """What verifying pairs (a[i], b[i]) told: the duplicates, and the pairs the
        template guard stopped."""
        n = len(a)
        workers = min(available_workers(self.cfg.workers), -(-n // CHUNK))
        fork = "fork" in multiprocessing.get_all_start_methods()
        spans = [(i, min(i + CHUNK, n)) for i in range(0, n, CHUNK)]
        out: list[Told] = []
        global _WORKER
        _WORKER = (self.one, a, b)
        # Verification allocates millions of short-lived lists and strings, none in a
        # cycle; the cyclic collector would walk the whole heap (a DocInfo per story in
        # the parent, inherited by forked workers) again and again. Workers are forked
        # with it off; reference counting still frees everything.
        try:
            with acyclic():
                if workers <= 1 or n < MIN_PARALLEL_PAIRS or not fork:
                    for span in spans:
                        out.append(_run_range(span))
                        self.progress(stage, span[1], n)
                    return Told.join(out)
                with warnings.catch_warnings():
                    # Python 3.12+ warns about fork in a process with threads (polars'
                    # pool); workers never call into polars, see the module docstring.
                    warnings.simplefilter("ignore", DeprecationWarning)
                    with multiprocessing.get_context("fork").Pool(workers) as pool:
                        for span, part in zip(spans, pool.imap(_run_range, spans), strict=True):
                            out.append(part)
                            self.progress(stage, span[1], n)
                return Told.join(out)
        finally:
            _WORKER = None
