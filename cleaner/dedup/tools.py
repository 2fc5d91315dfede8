"""Library side of `cleaner dedup` (a Parquet file in, a mapping out) and `cleaner explain`."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq
import xxhash

from cleaner.config import DedupConfig
from cleaner.dedup import BATCH_SCHEMA, check_ids, deduplicate, lsh_params
from cleaner.dedup.align import align
from cleaner.dedup.doc import Doc
from cleaner.dedup.keys import fold_text, shingles, tokenize
from cleaner.dedup.sign import sign_texts
from cleaner.dedup.sketch import SlotFloor, agreement
from cleaner.dedup.verify import verify
from cleaner.progress import Progress, quiet


class UsageError(ValueError):
    """A user mistake (missing file, column or id): one line, exit code 2."""


@dataclass(frozen=True)
class DedupSummary:
    """What `dedup_parquet` wrote."""

    path: Path
    docs: int
    duplicates: int
    clusters: int
    ids_generated: bool


def content_ids(bodies: pl.Series | Iterable[pl.Series]) -> pl.Series:
    """Ids derived from content: xxh64 of the body, `-2`, `-3`... for repeated bodies.

    `bodies` is a column, or its chunks in row order.

    >>> content_ids(pl.Series(["a", "b", "a"])).to_list()
    ['d-d24ec4f1a98c6e5b', 'd-78452aa11af39f9b', 'd-d24ec4f1a98c6e5b-2']
    """
    chunks = [bodies] if isinstance(bodies, pl.Series) else bodies
    seen: dict[str, int] = {}
    out = []
    for chunk in chunks:
        for body in chunk.to_list():
            b = f"d-{xxhash.xxh64((body or '').encode()).hexdigest()}"
            seen[b] = seen.get(b, 0) + 1
            out.append(b if seen[b] == 1 else f"{b}-{seen[b]}")
    return pl.Series("doc_id", out, dtype=pl.Utf8)


def _text_chunks(source: Path, text_col: str, size: int) -> Iterator[pl.Series]:
    """The text column of a Parquet file in chunks of `size` rows, read as they are used.

    Read by polars one row group at a time (so a group is decoded once, in polars'
    own string format), then cut into chunks without a copy.
    """
    groups = pq.ParquetFile(source).metadata
    scan = pl.scan_parquet(source).select(pl.col(text_col))
    offset = 0
    for g in range(groups.num_row_groups):
        rows = groups.row_group(g).num_rows
        try:
            column = scan.slice(offset, rows).collect()[text_col].cast(pl.Utf8)
        except pl.exceptions.PolarsError as exc:
            raise UsageError(f"column {text_col!r} of {source} is not text: {exc}") from exc
        offset += rows
        for start in range(0, rows, size):
            yield column.slice(start, size)


def dedup_parquet(
    source: Path,
    out_dir: Path,
    text_col: str,
    id_col: str,
    cfg: DedupConfig,
    progress: Progress = quiet,
) -> DedupSummary:
    """Dedup a Parquet file and write `OUT/mapping.parquet`, one row per input row.

    Optional columns title, source, published, updated feed the keep rule when present.
    Without `id_col`, ids are derived from the text (see `content_ids`). The text column
    is streamed from the file in chunks: only the texts' folded words are held.
    """
    if not source.is_file():
        raise UsageError(f"input {source} does not exist; give a Parquet file")
    try:
        cols = pl.read_parquet_schema(source)
    except Exception as exc:  # polars raises several types for non-Parquet input
        raise UsageError(f"{source} is not a readable Parquet file: {exc}") from exc
    if text_col not in cols:
        raise UsageError(
            f"column {text_col!r} not in {source}; use --text-col (has: {', '.join(cols)})"
        )
    wanted: list[str] = [c for c in ("title", "source", "published", "updated") if c in cols]
    generated = id_col not in cols
    size = cfg.batch_size
    if generated:
        ids = content_ids(_text_chunks(source, text_col, size))
    else:
        ids = pl.read_parquet(source, columns=[id_col])[id_col].cast(pl.Utf8).alias("doc_id")
        try:
            check_ids(ids, id_col)
        except ValueError as exc:
            raise UsageError(f"{exc}; use --id-col to name a unique column") from exc
    try:
        lsh_params(cfg)
    except ValueError as exc:  # an option out of range: --lsh-threshold 1.5
        raise UsageError(str(exc)) from exc
    batch = pl.read_parquet(source, columns=wanted).with_columns(ids) if wanted else ids.to_frame()
    for c in ("published", "updated"):
        if c in wanted and batch.schema[c] != pl.Date:
            batch = batch.with_columns(pl.col(c).cast(pl.Date, strict=False))
    batch = batch.select(
        [
            pl.col(c) if c in batch.columns else pl.lit(None, t).alias(c)
            for c, t in BATCH_SCHEMA.items()
            if c != "body"
        ]
    )
    texts = _text_chunks(source, text_col, size)
    mapping = deduplicate(batch, cfg, progress=progress, bodies=texts).mapping
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "mapping.parquet"
    tmp = out_dir / f".mapping.parquet.tmp-{os.getpid()}"
    mapping.write_parquet(tmp)
    os.replace(tmp, path)
    dups = int(mapping["duplicate_of"].is_not_null().sum())
    return DedupSummary(path, mapping.height, dups, mapping["cluster_id"].n_unique(), generated)


@dataclass(frozen=True)
class Explanation:
    """Why two texts are, or are not, duplicates."""

    a: str
    b: str
    exact: bool
    jaccard: float  # word-shingle Jaccard (what MinHash estimates)
    slots_agreeing: int  # body MinHash slots the two sketches agree on (`sketch`)
    slot_floor: int  # fewer: a pair the stage does not verify (`sketch.SlotFloor`)
    similarity: float
    containment: float
    duplicate: bool
    kind: str | None
    rule: str
    shared: tuple[str, ...]  # longest shared passages, folded
    only_a: tuple[str, ...]  # passages of a not in b
    only_b: tuple[str, ...]
    template_changes: tuple[tuple[str, str], ...]


def _passages(words: list[str], spans: list[tuple[int, int]], limit: int) -> tuple[str, ...]:
    spans = sorted(spans, key=lambda s: (-(s[1] - s[0]), s[0]))[:limit]
    return tuple(" ".join(words[s:e]) for s, e in sorted(spans))


def _gaps(n: int, covered: list[tuple[int, int]], min_len: int) -> list[tuple[int, int]]:
    out, pos = [], 0
    for s, e in sorted(covered):
        if s - pos >= min_len:
            out.append((pos, s))
        pos = max(pos, e)
    if n - pos >= min_len:
        out.append((pos, n))
    return out


def explain(
    label_a: str, text_a: str, label_b: str, text_b: str, cfg: DedupConfig, limit: int = 5
) -> Explanation:
    """Scores, shared and differing passages, verdict and deciding rule for two texts.

    >>> e = explain("a", "The dam held after the storm. Crews cheered.",
    ...             "b", "the dam held after the storm, crews cheered", DedupConfig())
    >>> e.exact, e.duplicate, e.kind
    (True, True, 'exact')
    """
    wa, wb = fold_text(text_a).split(), fold_text(text_b).split()
    tb = tokenize(pl.Series([text_a, text_b]))
    sh = shingles(tb, cfg.shingle_size)
    sa, sb = set(sh.hashes[sh.doc == 0].tolist()), set(sh.hashes[sh.doc == 1].tolist())
    jac = len(sa & sb) / len(sa | sb) if sa | sb else 0.0
    signed = sign_texts(pl.Series([text_a, text_b], dtype=pl.Utf8), lsh_params(cfg))  # as dedup
    slots = int(agreement(signed.sketch, np.zeros(1, np.int32), np.ones(1, np.int32))[0])
    floor = int(SlotFloor.of(cfg).slots(signed.n_tokens[:1], signed.n_tokens[1:])[0])
    al = align(wa, wb, cfg.min_run)
    exact = bool(signed.exact[0] == signed.exact[1]) and bool(wa)
    kind: str | None
    changes: tuple[tuple[str, str], ...]
    sim, cont = al.similarity, al.containment
    if exact:
        v_dup, kind, rule, changes = (
            True,
            "exact",
            "same text after folding case, punctuation, quotes and whitespace",
            (),
        )
    else:
        v = verify(Doc.of(text_a), Doc.of(text_b), cfg)
        v_dup, kind, rule, changes = v.duplicate, v.kind, v.rule, v.template_changes
        if v.similarity or v.containment:  # the scores that decided (misspelt words count)
            sim, cont = v.similarity, v.containment
    return Explanation(
        label_a,
        label_b,
        exact,
        jac,
        slots,
        floor,
        sim,
        cont,
        v_dup,
        kind,
        rule,
        _passages(wa, [(s, s + n) for s, _, n in al.shared], limit),
        _passages(wa, _gaps(len(wa), [(s, s + n) for s, _, n in al.shared], 3), limit),
        _passages(wb, _gaps(len(wb), [(t, t + n) for _, t, n in al.shared], 3), limit),
        changes,
    )


def load_text(arg: str, parquets: list[Path], text_col: str, id_col: str) -> tuple[str, str]:
    """(label, text) for a file path, or for a doc_id found in one of the Parquet files."""
    path = Path(arg)
    if path.is_file():
        return str(path), path.read_text(encoding="utf-8", errors="replace")
    for p in parquets:
        schema = pl.read_parquet_schema(p)
        if id_col not in schema or text_col not in schema:
            continue
        hit = pl.scan_parquet(p).filter(pl.col(id_col) == arg).select(text_col).collect()
        if hit.height:
            return arg, str(hit.item(0, 0) or "")
    where = ", ".join(str(p) for p in parquets) or "no Parquet file"
    raise UsageError(f"{arg!r} is neither a file nor a {id_col} in {where}; give --parquet")
