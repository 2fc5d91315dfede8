"""Verification of many candidate pairs at once, on every core.

Verification is the stage's cost: a few candidate pairs per story, each aligned on its
tokens and checked by the template guard in Python. Pairs are independent and the
verdict of a pair depends on its two texts only, so they are verified in worker
processes and the verdicts come back in input order: the result is the same whatever
the number of workers.

Workers are forked, so they read the batch's tokens and texts from the parent's memory
without a copy. The texts are kept as the raw UTF-8 buffer of an Arrow string column
(offsets and bytes, numpy views), never as millions of Python strings, and workers touch
only numpy, rapidfuzz and the standard library (never polars, whose threads do not
survive a fork). Where fork is unavailable (Windows, macOS) pairs are verified in process.
"""

from __future__ import annotations

import multiprocessing
import os
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import cast

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

from cleaner.config import DedupConfig
from cleaner.dedup.keys import TokenBatch
from cleaner.dedup.verify import Doc, Verdict, verify

I64 = npt.NDArray[np.int64]
# Below this many pairs a pool costs more (fork, pickling verdicts) than it saves.
MIN_PARALLEL_PAIRS = 20_000
# Pairs per task sent to a worker: big enough to amortise the round trip, small enough
# that both workers finish together.
CHUNK = 2_000


@dataclass(frozen=True)
class DocStore:
    """Tokens and texts of a batch by row, in flat arrays (no per-story Python object).

    Texts stay in the Arrow string-view buffers polars already holds (16-byte views
    pointing into data buffers), so a million stories are not held twice.

    >>> from cleaner.dedup.keys import tokenize
    >>> bodies = pl.Series(["One two three", None, "Four " * 5])
    >>> st = DocStore.build(bodies, tokenize(bodies.fill_null("")))
    >>> st.text(0), st.text(1), st.text(2), len(st.tokens(0)), st.tokens(1)
    ('One two three', '', 'Four Four Four Four Four ', 3, [])
    """

    tokens_flat: npt.NDArray[np.uint32]  # folded token hashes, low 32 bits
    starts: I64
    lengths: I64
    views: npt.NDArray[np.uint8]  # (n, 16): length, inline bytes or prefix/buffer/offset
    buffers: tuple[npt.NDArray[np.uint8], ...]

    @staticmethod
    def build(bodies: pl.Series, tokens: TokenBatch) -> DocStore:
        """From a body column and its tokens; shares the column's buffers, no copy."""
        arr = bodies.fill_null("").cast(pl.Utf8).to_arrow(compat_level=pl.CompatLevel.newest())
        if not pa.types.is_string_view(arr.type):
            arr = arr.cast(pa.string_view())
        _, view_buf, *data_bufs = arr.buffers()
        views = np.frombuffer(view_buf, np.uint8).reshape(-1, 16)[arr.offset :][: len(arr)]
        # Low 32 bits; _sign already keeps tokens as uint32, then this is no copy.
        raw = tokens.hashes
        flat = (
            cast(npt.NDArray[np.uint32], raw)
            if raw.dtype == np.uint32
            else (raw & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        )
        return DocStore(
            flat,
            tokens.starts,
            tokens.lengths,
            views,
            tuple(np.frombuffer(b, np.uint8) for b in data_bufs if b is not None),
        )

    def tokens(self, row: int) -> list[int]:
        """Folded token hashes of a row, as a list (what rapidfuzz aligns fastest)."""
        s = int(self.starts[row])
        return list(self.tokens_flat[s : s + int(self.lengths[row])].tolist())

    def doc(self, row: int) -> Doc:
        """The row as verification reads it."""
        return Doc.of(self.text(row))

    def text(self, row: int) -> str:
        """The body of a row (Arrow string view: inline up to 12 bytes, else in a buffer)."""
        v = self.views[row]
        size = int(v[:4].view("<i4")[0])
        if size <= 12:
            return bytes(v[4 : 4 + size]).decode("utf-8")
        buf, off = (int(x) for x in v[8:16].view("<i4"))
        return bytes(self.buffers[buf][off : off + size]).decode("utf-8")


class _Cached:
    """Per-process row cache: a story is verified against up to max_candidates others."""

    def __init__(self, store: DocStore, cfg: DedupConfig) -> None:
        self.cfg = cfg
        self.doc = lru_cache(maxsize=4096)(store.doc)

    def __call__(self, a: int, b: int) -> Verdict:
        return verify(self.doc(a), self.doc(b), self.cfg)


_WORKER: tuple[_Cached, I64, I64] | None = None  # set in the parent just before the fork


def _run_range(span: tuple[int, int]) -> list[tuple[int, Verdict]]:
    """Duplicate verdicts of pairs span[0]..span[1] of the worker's arrays (index, verdict)."""
    assert _WORKER is not None, "worker started without its pairs"
    one, a, b = _WORKER
    out = []
    for i in range(*span):
        v = one(int(a[i]), int(b[i]))
        if v.duplicate:
            out.append((i, v))
    return out


@dataclass(frozen=True)
class Candidates:
    """Candidate pairs of a batch as flat arrays: `right` ranks before `left`, with hits.

    >>> c = Candidates(np.array([2, 2, 2]), np.array([0, 1, 3]), np.array([1, 5, 2]))
    >>> a, b = c.top(np.array([0, 1, 3, 2]), np.ones(4, bool), max_checks=2)
    >>> a.tolist(), b.tolist()
    ([1, 3], [2, 2])
    """

    left: I64
    right: I64
    hits: I64

    @staticmethod
    def from_frame(df: pl.DataFrame) -> Candidates:
        """From the (left, right, hits) frame of `candidate_pairs`."""
        return Candidates(
            df["left"].to_numpy().astype(np.int64),
            df["right"].to_numpy().astype(np.int64),
            df["hits"].to_numpy().astype(np.int64),
        )

    def top(self, rank: I64, keep: npt.NDArray[np.bool_], max_checks: int) -> tuple[I64, I64]:
        """(partner, row) pairs to verify: per row its `max_checks` best partners.

        Only pairs of two `keep` rows count; best = most shared bands, then best rank.
        Sorted by row, then best first: a deterministic order whatever the input order.
        """
        ok = keep[self.left] & keep[self.right] & (self.left != self.right)
        left, right, hits = self.left[ok], self.right[ok], self.hits[ok]
        order = np.lexsort((rank[right], -hits, left))
        left, right = left[order], right[order]
        if len(left) == 0:
            return right, left
        first = np.r_[0, np.flatnonzero(np.diff(left)) + 1]
        nth = np.arange(len(left)) - np.repeat(first, np.diff(np.r_[first, len(left)]))
        take = nth < max_checks
        return right[take], left[take]


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
    """Verifies pairs of rows of one batch; `many` spreads a long list over workers."""

    def __init__(self, store: DocStore, cfg: DedupConfig) -> None:
        self.cfg = cfg
        self.store = store
        self.one = _Cached(store, cfg)

    def duplicates(self, a: I64, b: I64) -> list[tuple[int, Verdict]]:
        """(i, verdict) for every pair (a[i], b[i]) that is a duplicate, in order of i."""
        n = len(a)
        workers = min(available_workers(self.cfg.workers), -(-n // CHUNK))
        fork = "fork" in multiprocessing.get_all_start_methods()
        global _WORKER
        _WORKER = (self.one, a, b)
        try:
            if workers <= 1 or n < MIN_PARALLEL_PAIRS or not fork:
                return _run_range((0, n))
            spans = [(i, min(i + CHUNK, n)) for i in range(0, n, CHUNK)]
            with warnings.catch_warnings():
                # Python 3.12+ warns about fork in a process with threads (polars'
                # pool); workers never call into polars, see the module docstring.
                warnings.simplefilter("ignore", DeprecationWarning)
                with multiprocessing.get_context("fork").Pool(workers) as pool:
                    return [hit for part in pool.imap(_run_range, spans) for hit in part]
        finally:
            _WORKER = None
