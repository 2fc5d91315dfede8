"""Dedup stage: exact keys, MinHash LSH candidates, rapidfuzz verification, anchored clusters.

`deduplicate(batch, cfg, index)` returns one mapping row per story; `DedupIndex` keeps
earlier nights' accepted stories so tonight's copies point at them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from functools import lru_cache
from threading import Lock

import numpy as np
import polars as pl

from cleaner.config import DedupConfig
from cleaner.dedup.cluster import (
    MAPPING_SCHEMA,
    DocInfo,
    History,
    Inputs,
    assign,
    doc_infos,
    keep_order_frame,
)
from cleaner.dedup.doc import Doc
from cleaner.dedup.heap import acyclic
from cleaner.dedup.index import DedupIndex, IndexMismatchError
from cleaner.dedup.keys import I64, KEY_VERSION, Words
from cleaner.dedup.lsh import LshParams, candidate_arrays, cross_pairs, derive_params
from cleaner.dedup.pairs import Candidates, DocStore, PairVerifier, Told
from cleaner.dedup.result import DedupParams, DedupResult
from cleaner.dedup.sign import Signed, WordSpool, folded_words, sign_texts, spool_array
from cleaner.dedup.sketch import SlotFloor
from cleaner.dedup.verify import Verdict, verify
from cleaner.progress import Progress, quiet

__all__ = [
    "BATCH_SCHEMA",
    "MAPPING_SCHEMA",
    "DedupIndex",
    "DedupParams",
    "DedupResult",
    "IndexMismatchError",
    "check_ids",
    "deduplicate",
    "latest_revisions",
    "lsh_params",
]

BATCH_SCHEMA: dict[str, type[pl.DataType] | pl.DataType] = {
    "doc_id": pl.Utf8,
    "body": pl.Utf8,
    "title": pl.Utf8,
    "source": pl.Utf8,
    "published": pl.Date,
    "updated": pl.Date,
}
# Signing threads: the target box has 2 cores; keys do not depend on the count.
_SIGN_THREADS = 2


@lru_cache(maxsize=32)
def _derive(threshold: float, num_perm: int, fn_weight: float) -> LshParams:
    return derive_params(threshold, num_perm, fn_weight)


def lsh_params(cfg: DedupConfig) -> DedupParams:
    """The LSH parameters this config implies (bands and rows derived from the threshold).

    >>> lsh_params(DedupConfig())
    DedupParams(shingle_size=3, num_perm=128, lead_tokens=80, bands=42, rows=3, key_version=2)
    """
    p = _derive(cfg.lsh_threshold, cfg.num_perm, cfg.lsh_false_negative_weight)
    return DedupParams(
        cfg.shingle_size, cfg.num_perm, cfg.lead_tokens, p.bands, p.rows, KEY_VERSION
    )


def _prepare(batch: pl.DataFrame, with_body: bool = True) -> pl.DataFrame:
    required = ("doc_id", "body") if with_body else ("doc_id",)
    missing = [c for c in required if c not in batch.columns]
    if missing:
        raise ValueError(f"dedup batch lacks column(s) {', '.join(missing)}")
    cols = [
        (pl.col(c) if c in batch.columns else pl.lit(None)).cast(t).alias(c)
        for c, t in BATCH_SCHEMA.items()
    ]
    # Not sorted here: sorting would copy every body (1 GB per million stories); row order
    # never decides anything (the keep rule does, doc_id last) and outputs are sorted.
    out = batch.select(cols)
    check_ids(out["doc_id"])
    return out


def check_ids(ids: pl.Series, column: str = "doc_id") -> None:
    """Raise ValueError unless every row has an id and no id repeats (`deduplicate`'s
    batches, `cleaner dedup`'s id column).

    >>> check_ids(pl.Series(["a", "b", "a"]))
    Traceback (most recent call last):
    ValueError: column 'doc_id' must be unique: repeated ids ('a' more than once)
    """
    if ids.null_count():
        raise ValueError(f"column {column!r} has rows without an id")
    if ids.n_unique() != len(ids):
        dup = ids.filter(ids.is_duplicated())[0]
        raise ValueError(f"column {column!r} must be unique: repeated ids ({dup!r} more than once)")


def _sign(
    bodies: Iterable[pl.Series],
    n: int,
    p: DedupParams,
    progress: Progress = quiet,
) -> Signed:
    """Exact keys, band keys (uint32), token counts, folded words and sketches of every body.

    `bodies` yields the `n` texts in row order, in chunks of any size (slices of a
    column, or batches read from a file, so the texts need not all be in memory).
    Chunks run on `_SIGN_THREADS` threads (polars and the compiled signing release the GIL),
    a few at a time. A text's keys depend on its text only, never on its chunk or
    thread, and results are concatenated in input order. Verification reads the words
    (`Words`, spooled to a temporary file on big batches: `sign.WordSpool`); no token
    hash outlives its chunk.
    """
    done = [0]
    lock = Lock()

    def one(chunk: pl.Series) -> Signed:
        s = sign_texts(chunk, p)
        with lock:
            done[0] += len(s.n_tokens)
            progress("sign", done[0], n)
        return s

    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    spool = WordSpool()  # words leave RAM as chunks finish, in order, on big batches

    def take(signed: Signed) -> None:
        parts.append((signed.exact, signed.bands, signed.n_tokens, signed.sketch))
        spool.add(signed.words)

    with ThreadPoolExecutor(_SIGN_THREADS) as pool:
        pending: deque[Future[Signed]] = deque()
        for chunk in bodies:
            pending.append(pool.submit(one, chunk))  # sign_texts casts it to text
            if len(pending) > 2 * _SIGN_THREADS:  # bounded read-ahead
                take(pending.popleft().result())
        for f in pending:
            take(f.result())
    if not parts:
        take(one(pl.Series([], dtype=pl.Utf8)))
    n_tok = np.concatenate([part[2] for part in parts])
    if len(n_tok) != n:
        raise ValueError(f"the bodies hold {len(n_tok)} texts for a batch of {n} rows")
    exact = np.concatenate([part[0] for part in parts])
    bands = np.concatenate([part[1] for part in parts])
    return Signed(exact, bands, n_tok, spool.words(), np.concatenate([part[3] for part in parts]))


def _slices(column: pl.Series, size: int) -> Iterator[pl.Series]:
    for start in range(0, len(column), size):
        yield column.slice(start, size)


def _adjacency(pairs: pl.DataFrame) -> dict[int, list[tuple[int, int, int]]]:
    out: dict[int, list[tuple[int, int, int]]] = {}
    for a, b, hits, rare in pairs.iter_rows():
        out.setdefault(a, []).append((rare, hits, b))
    return out


def _history(
    index: DedupIndex,
    batch: pl.DataFrame,
    exact: np.ndarray,
    bands: np.ndarray,
    cfg: DedupConfig,
    words: Words,
    progress: Progress = quiet,
) -> History | None:
    if index.size == 0:
        return None
    meta = index.meta
    own = meta["doc_id"].is_in(batch["doc_id"].implode()).to_numpy()
    # Capped like tonight's own candidates: a template shared by thousands of earlier
    # stories would otherwise pair every one of them with every copy tonight.
    pairs = cross_pairs(
        bands,
        index.keys,
        max_bucket=cfg.max_bucket,
        bucket_top=cfg.bucket_top,
        per_row=2 * cfg.max_candidates,
    )
    pairs = pairs.filter(~pl.col("right").is_in(np.flatnonzero(own).tolist()))
    adj = _adjacency(pairs)
    rows = np.unique(pairs["right"].to_numpy()).astype(np.int64)  # sorted history rows
    bodies = index.bodies(rows.tolist())
    # The same words tonight's stories are verified on, so a copy gets the same verdict
    # against last night's article as it would have got in one batch with it.
    texts = pl.Series([bodies.get(r, "") for r in rows], dtype=pl.Utf8)
    del bodies
    # Folded a batch at a time: folding holds a few copies of the texts it works on.
    hist_parts = [folded_words(part) for part in _slices(texts, cfg.batch_size)]
    del texts

    def verify_rows(hist_rows: I64, batch_rows: I64) -> Told:
        # In bulk, like tonight's own pairs: the compiled screen, then rapidfuzz, on
        # every core. The earlier nights' words and tonight's, side by side in one buffer.
        mine, at = np.unique(batch_rows, return_inverse=True)
        both = Words.concat([*hist_parts, words.take(mine)])
        a = np.searchsorted(rows, hist_rows)  # rows: the candidates' history rows, sorted
        verifier = PairVerifier(DocStore(both), cfg, progress)
        return verifier.telling(a, len(rows) + at.astype(np.int64), "earlier nights")

    # Exact copies of earlier articles: the first history row of each key tonight has.
    firsts = (
        meta.select("exact_key")
        .with_row_index("row")
        .filter(pl.Series(~own) & pl.col("exact_key").is_in(pl.Series(exact).implode()))
        .group_by("exact_key")
        .agg(pl.col("row").min())
    )
    hist_exact = {int(k): int(r) for k, r in firsts.iter_rows()}
    fields = meta.select("doc_id", "has_title", "source", "published", "updated", "n_tokens")

    def info(row: int) -> DocInfo:
        doc_id, has_title, source, published, updated, n_tokens = fields.row(row)
        return DocInfo(doc_id, bool(has_title), source, published, updated, int(n_tokens))

    return History(
        info=info,
        cluster_ids=meta["cluster_id"].to_list(),
        exact=hist_exact,
        pairs=adj,
        verify_rows=verify_rows,
    )


def deduplicate(
    batch: pl.DataFrame,
    cfg: DedupConfig,
    index: DedupIndex | None = None,
    progress: Progress = quiet,
    bodies: Iterable[pl.Series] | None = None,
) -> DedupResult:
    """Map every story of a batch to its cluster, its canonical copy and the reason.

    The texts are the batch's `body` column, or, for a batch without one, `bodies`: the
    texts in row order, in chunks (`cleaner dedup` streams them from the file, so a
    million stories' texts are never in memory at once; only their folded words are).

    >>> body = "Flood waters rose across the valley overnight, officials said. " * 4
    >>> df = pl.DataFrame({"doc_id": ["a", "b", "c"],
    ...                    "body": [body, body.upper(), "An unrelated story about trains."]})
    >>> deduplicate(df, DedupConfig()).mapping.select("doc_id", "duplicate_of", "kind").rows()
    [('a', None, None), ('b', 'a', 'exact'), ('c', None, None)]
    """
    df = _prepare(batch, with_body=bodies is None)
    params = lsh_params(cfg)
    if index is not None:
        index.check(params)
    texts = _slices(df["body"], cfg.batch_size) if bodies is None else bodies
    signed = _sign(texts, df.height, params, progress)
    exact, bands, n_tok, words = signed.exact, signed.bands, signed.n_tokens, signed.words
    sketch = spool_array(signed.sketch)  # off RAM while candidates are found (the peak)
    del signed
    rank = np.empty(df.height, np.int64)
    order = keep_order_frame(df, n_tok, cfg)
    rank[order] = np.arange(df.height)
    pairs = Candidates(
        *candidate_arrays(bands, rank, cfg.max_bucket, cfg.bucket_top, 2 * cfg.max_candidates)
    ).agreeing(sketch, n_tok, SlotFloor.of(cfg))
    del sketch
    hist = None
    if index is not None:
        hist = _history(index, df, exact, bands, cfg, words, progress)
    bands = spool_array(bands)  # read again only to save the index
    with acyclic():  # a million DocInfos, none in a cycle: see heap.py
        infos = doc_infos(df, n_tok)  # after the candidate search, the stage's peak

    def check(a: Doc, b: Doc) -> Verdict:
        return verify(a, b, cfg)

    verifier = PairVerifier(DocStore(words), cfg, progress)
    inputs = Inputs(
        infos=infos,
        order=order,
        exact=exact,
        pairs=pairs,
        doc=verifier.one.doc,
        verify_rows=verifier.telling,
    )
    mapping = assign(inputs, hist, check, cfg, cfg.max_candidates)
    del inputs, infos, verifier, pairs  # words, candidates, DocInfos: not needed any more
    if index is not None and index.size:
        known = index.meta.select("doc_id", pl.col("cluster_id").alias("known_cluster"))
        mapping = (
            mapping.join(known, on="doc_id", how="left", maintain_order="left")
            .with_columns(
                cluster_id=pl.coalesce("known_cluster", "cluster_id"),
                reason=pl.when(pl.col("known_cluster").is_not_null())
                .then(pl.lit("already accepted on an earlier night"))
                .otherwise(pl.col("reason")),
            )
            .drop("known_cluster")
        )
    by_id = df["doc_id"].arg_sort().to_numpy()  # the mapping's row order
    sigs = pl.DataFrame(
        {"doc_id": df["doc_id"], "exact_key": exact, "n_tokens": n_tok},
        schema={"doc_id": pl.Utf8, "exact_key": pl.UInt64, "n_tokens": pl.Int64},
    )[by_id]
    return DedupResult(mapping, sigs, bands, by_id, params)


def latest_revisions(mapping: pl.DataFrame, docs: pl.DataFrame) -> pl.DataFrame:
    """The latest revision of every story: one row per cluster_id with the doc_id to read.

    `mapping` holds doc_id, cluster_id and kind of all nights (articles have kind null);
    `docs` holds doc_id, published, updated. Among the canonical and its revisions the
    one updated (or published) last wins, then the larger doc_id.

    >>> import datetime as dt
    >>> m = pl.DataFrame({"doc_id": ["a", "b", "c"], "cluster_id": ["c-a"] * 3,
    ...                   "kind": [None, "revision", "near"]})
    >>> d = pl.DataFrame({"doc_id": ["a", "b", "c"],
    ...                   "published": [dt.date(2024, 1, 1)] * 3,
    ...                   "updated": [None, dt.date(2024, 1, 2), dt.date(2024, 1, 5)]})
    >>> latest_revisions(m, d).rows()
    [('c-a', 'b')]
    """
    when = pl.coalesce("updated", "published")
    return (
        mapping.filter(pl.col("kind").is_null() | (pl.col("kind") == "revision"))
        .select("doc_id", "cluster_id")
        .join(docs.select("doc_id", "published", "updated"), on="doc_id", how="left")
        .sort(when, "doc_id", nulls_last=False)
        .group_by("cluster_id", maintain_order=True)
        .agg(pl.col("doc_id").last())
        .sort("cluster_id")
    )
