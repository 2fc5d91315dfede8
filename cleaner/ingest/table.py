"""Readers for tabular exports: CSV and Parquet, both streamed row by row.

CSV goes through the standard ``csv`` module fed with lines we decode ourselves, so
each row is traced back to its physical lines: a row damaged by a broken quote is
quarantined with exactly the lines it swallowed, and reading resumes after them.
Parquet is read in record batches of only the columns the field map names.
"""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

from cleaner.ingest.context import FileCtx, Problem, TextLine, iter_lines, lines_encoding
from cleaner.ingest.fields import map_record
from cleaner.ingest.files import CHUNK
from cleaner.records import RawRecord

#: Rows per Parquet batch: a few MB of news text, so memory stays flat while the
#: per-batch overhead of pyarrow stays small.
PARQUET_BATCH_ROWS = 512

_DELIMITERS = ",;\t|"


class _Tracker:
    """Feeds decoded lines to ``csv.reader`` and remembers which ones the row used."""

    def __init__(self, lines: Iterator[TextLine], limit: int) -> None:
        self.lines = lines
        self.limit = limit
        self.taken: list[TextLine] = []
        self.size = 0

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = next(self.lines)
        self.taken.append(line)
        self.size += len(line.text)
        if line.oversize or self.size > self.limit:
            raise _Oversize
        return line.text

    def take(self) -> list[TextLine]:
        taken, self.taken, self.size = self.taken, [], 0
        return taken


class _Oversize(Exception):
    """A row grew past max_record_bytes (usually a quote that is never closed)."""


def pick_delimiter(header: str) -> str:
    """The delimiter a header line uses most (outside quotes), comma by default.

    >>> pick_delimiter("title;body;date"), pick_delimiter('"a,b"\\tc\\td'), pick_delimiter("x")
    (';', '\\t', ',')
    """
    outside = "".join(part for i, part in enumerate(header.split('"')) if i % 2 == 0)
    counts = [(outside.count(d), -i, d) for i, d in enumerate(_DELIMITERS)]
    best = max(counts)
    return best[2] if best[0] else ","


def read_csv(ctx: FileCtx) -> Iterator[RawRecord | Problem]:
    """One record per data row; ``record_index`` is the 1-based line the row starts on."""
    tracker = _Tracker(iter_lines(ctx), ctx.limit)
    first = next(tracker, None)
    if first is None:
        yield Problem("no header row")
        return
    delimiter = pick_delimiter(first)
    header = [h.strip() for h in next(csv.reader([first], delimiter=delimiter))]
    tracker.take()
    primary = ctx.plan.wide or ctx.plan.primary
    while True:
        reader = csv.reader(tracker, delimiter=delimiter)
        try:
            for row in reader:
                lines = tracker.take()
                if not any(cell.strip() for cell in row):
                    continue  # a blank line between rows is not a record
                yield _row_record(ctx, header, row, lines, lines_encoding(lines, primary))
            return
        except (_Oversize, csv.Error) as exc:
            lines = tracker.take()
            if isinstance(exc, _Oversize):
                why = "row longer than max_record_bytes (a quote never closed?)"
            else:
                why = f"unreadable row ({exc})"
            start = lines[0].no if lines else 0
            raw = "".join(ln.text for ln in lines)
            enc = lines_encoding(lines, primary)
            yield ctx.record(start, raw, enc, defect=f"line {start}: {why}")


def _row_record(
    ctx: FileCtx, header: list[str], row: list[str], lines: list[TextLine], enc: str
) -> RawRecord:
    start = lines[0].no if lines else 0
    raw = "".join(ln.text for ln in lines)
    where = f"line {start}"
    if len(lines) > 1 and raw.count('"') % 2:
        why = f"{where}: unbalanced quote spans {len(lines)} lines"
        return ctx.record(start, raw, enc, defect=why)
    if len(row) != len(header) and any(cell.strip() for cell in row):
        why = f"{where}: row has {len(row)} fields, header has {len(header)} (broken quote?)"
        return ctx.record(start, raw, enc, defect=why)
    mapped = map_record(dict(zip(header, row, strict=False)), ctx.cfg.fields)
    if mapped.defect:
        return ctx.record(start, raw, enc, mapped.given, f"{where}: {mapped.defect}")
    return ctx.record(start, mapped.text, enc, mapped.given)


def _seekable(ctx: FileCtx, spool: BinaryIO) -> BinaryIO:
    """Parquet needs random access: a compressed file is unpacked to a temporary file."""
    if ctx.decompressing is None:
        ctx.source.seek(0)
        return ctx.source
    shutil.copyfileobj(ctx.stream, spool, CHUNK)
    spool.seek(0)
    return spool


def _wanted_columns(names: list[str], ctx: FileCtx) -> list[str]:
    f = ctx.cfg.fields
    wanted = {
        n.split(".")[0].lower()
        for group in (f.text, f.title, f.url, f.published, f.source, f.byline, f.language)
        for n in group
    }
    return [n for n in names if n.lower() in wanted]


def read_parquet(ctx: FileCtx) -> Iterator[RawRecord | Problem]:
    """One record per row (1-based ``record_index``), read in batches of mapped columns."""
    import pyarrow.parquet as pq

    with tempfile.TemporaryFile(prefix="cleaner-parquet-") as spool:
        pf = pq.ParquetFile(_seekable(ctx, spool))
        columns = _wanted_columns(pf.schema_arrow.names, ctx)
        if not columns:
            yield Problem(f"no mapped column (columns: {', '.join(pf.schema_arrow.names[:12])})")
            return
        index = 0
        for batch in pf.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=columns):
            for row in batch.to_pylist():
                index += 1
                mapped = map_record(row, ctx.cfg.fields)
                where = f"row {index}"
                if mapped.defect:
                    raw = json.dumps(row, ensure_ascii=False, default=str)
                    yield ctx.record(index, raw, "utf-8", mapped.given, f"{where}: {mapped.defect}")
                elif len(mapped.text) > ctx.limit // 4 and len(mapped.text.encode()) > ctx.limit:
                    why = f"{where}: text larger than max_record_bytes"
                    yield ctx.record(index, mapped.text, "utf-8", mapped.given, why)
                else:
                    yield ctx.record(index, mapped.text, "utf-8", mapped.given)
        if index == 0:
            yield Problem("the Parquet file has no rows")
