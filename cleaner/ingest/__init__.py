"""Ingest: every file under RAW becomes records plus exactly one ``FileOutcome``.

Scrapers write plain text, JSON Lines, JSON, CSV, Parquet and HTML, often gzipped,
in whatever encoding their platform had.  This stage reads all of them lazily and
makes bad input visible instead of fatal: a file that cannot be read is *skipped
with a reason*, a damaged record is yielded with ``defect`` set (so the pipeline
quarantines it with its raw text), and the file's ``FileOutcome`` says how many
records it gave and what went wrong, in one line per problem.  Nothing raises for
bad data; only a missing RAW folder (a usage error) does.

>>> import tempfile, pathlib
>>> raw = pathlib.Path(tempfile.mkdtemp())
>>> _ = (raw / "a.jsonl").write_text('{"body": "Hello."}\\n{"oops"\\n')
>>> for item in ingest(raw, IngestConfig()):
...     if isinstance(item, RawRecord):
...         print(item.record_index, item.defect or item.text)
...     else:
...         print(item.path, item.status, item.records)
1 Hello.
2 line 2: invalid JSON (Expecting ':' delimiter at column 8)
a.jsonl partial 2
"""

from __future__ import annotations

import csv
import lzma
import os
import zlib
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import BinaryIO

from cleaner.config import IngestConfig
from cleaner.errors import InputError
from cleaner.ingest.context import FileCtx, Problem
from cleaner.ingest.decode import bomless_utf16, plan, sniff_bom
from cleaner.ingest.files import (
    Kind,
    binary_kind,
    compression_from_magic,
    content_stream,
    hash_stream,
    kind_from_name,
    list_files,
    open_regular,
    sniff_text_format,
)
from cleaner.ingest.jsonfmt import read_json, read_jsonl
from cleaner.ingest.table import read_csv, read_parquet
from cleaner.ingest.text import declared_charset, read_html, read_txt
from cleaner.records import FileOutcome, FileStatus, RawRecord

__all__ = ["ingest"]

Reader = Callable[[FileCtx], Iterator[RawRecord | Problem]]

READERS: dict[str, Reader] = {
    "txt": read_txt,
    "jsonl": read_jsonl,
    "json": read_json,
    "csv": read_csv,
    "parquet": read_parquet,
    "html": read_html,
}

#: Bytes of (decompressed) content sniffed for format, binary-ness and encoding.
SAMPLE_BYTES = 65536


def ingest(
    raw_dir: Path, cfg: IngestConfig, skip: Collection[str] = ()
) -> Iterator[RawRecord | FileOutcome]:
    """Yield each file's records, then that file's ``FileOutcome``, in sorted path order.

    Paths are RAW-relative posix paths; files matching ``cfg.exclude`` are not inputs.
    Paths in ``skip`` are not opened at all: an incremental run knows them unchanged.
    """
    if not raw_dir.is_dir():
        raise InputError(f"RAW folder not found: {raw_dir} (give the folder your scraper writes)")
    for rel in sorted(list_files(raw_dir, cfg.exclude)):
        if rel not in skip:
            yield from ingest_file(raw_dir, rel, cfg)


def _outcome(
    rel: str, fmt: str, size: int, file_hash: str | None, records: int, problems: list[str]
) -> FileOutcome:
    if records == 0 and not problems:
        problems = ["no records found"]
    status: FileStatus = "skipped" if records == 0 else "partial" if problems else "ok"
    return FileOutcome(rel, fmt, size, file_hash, status, records, tuple(problems))


def _open_problem(path: Path, exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        if os.path.islink(path):
            return "broken symbolic link"
        return "file vanished before it could be read"
    if isinstance(exc, PermissionError):
        return "permission denied (cannot read the file)"
    if isinstance(exc, IsADirectoryError):
        return str(exc)
    return f"cannot open: {exc.strerror or exc}"


def ingest_file(raw_dir: Path, rel: str, cfg: IngestConfig) -> Iterator[RawRecord | FileOutcome]:
    """Records of one file, then its outcome; never raises for anything in the file."""
    path = raw_dir / rel
    kind = kind_from_name(rel)
    try:
        fh, size = open_regular(path)
    except OSError as exc:
        yield _outcome(rel, kind.label, 0, None, 0, [_open_problem(path, exc)])
        return
    with fh:
        try:
            file_hash = hash_stream(fh)
        except OSError as exc:
            yield _outcome(rel, kind.label, size, None, 0, [f"read error: {exc.strerror or exc}"])
            return
        if size == 0:
            yield _outcome(rel, kind.label, 0, file_hash, 0, ["empty file"])
            return
        yield from _read(fh, rel, kind, size, file_hash, cfg)


def _read(
    src: BinaryIO, rel: str, kind: Kind, size: int, file_hash: str, cfg: IngestConfig
) -> Iterator[RawRecord | FileOutcome]:
    """Settle the format and encoding from a sample, then run the format's reader."""
    problems: list[str] = []
    src.seek(0)
    compression = compression_from_magic(src.read(8))
    if kind.compression and compression is None:
        problems.append(f"named {kind.compression} but not compressed; read as plain")
    try:
        stream, dec = content_stream(src, compression)
        sample = stream.read(SAMPLE_BYTES)
    except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as exc:
        what = f"corrupt {compression} data" if compression else "read error"
        yield _outcome(rel, kind.label, size, file_hash, 0, [f"{what}: {_one_line(exc)}"])
        return
    fmt = kind.fmt
    label = fmt + (compression or "")
    if not sample:
        why = (
            f"{compression} stream truncated before any content"
            if dec and dec.truncated
            else ("empty after decompression")
        )
        yield _outcome(rel, label, size, file_hash, 0, [why])
        return
    complete = len(sample) < SAMPLE_BYTES
    if fmt != "parquet":
        wide = sniff_bom(sample) in ("utf-16", "utf-32") or bomless_utf16(sample)
        binary = None if wide else binary_kind(sample)
        if sample.startswith(b"PAR1") and fmt == "unknown":
            fmt = "parquet"
        elif binary:
            named = f" in a .{fmt} file" if fmt != "unknown" else ""
            yield _outcome(rel, label, size, file_hash, 0, [f"skipped: {binary}{named}"])
            return
        elif fmt == "unknown":
            p = plan(sample, complete=complete)
            head = sample[:4096].decode(p.wide or "utf-8", errors="replace")
            fmt = sniff_text_format(head)
        label = fmt + (compression or "")
    declared = declared_charset(sample) if fmt == "html" else None
    stream, dec = content_stream(src, compression)  # from the start again
    ctx = FileCtx(
        path=rel,
        file_hash=file_hash,
        fmt=label,
        cfg=cfg,
        stream=stream,
        source=src,
        decompressing=dec,
        plan=plan(sample, declared, complete=complete),
    )
    yield from _run(ctx, READERS[fmt], size, problems)


def _run(
    ctx: FileCtx, reader: Reader, size: int, problems: list[str]
) -> Iterator[RawRecord | FileOutcome]:
    """Run one reader, count what it yields, and turn any failure into a problem line."""
    records = 0
    defects = 0
    first_defect = ""
    try:
        for item in reader(ctx):
            if isinstance(item, Problem):
                problems.append(item.message)
                continue
            records += 1
            if item.defect:
                defects += 1
                first_defect = first_defect or item.defect
            yield item
    except Exception as exc:  # bad data must never stop the night: report it instead
        where = f"after {records} record(s): " if records else ""
        problems.append(f"{where}{_describe(exc, ctx)}")
    if ctx.decompressing is not None and ctx.decompressing.truncated:
        read = ctx.decompressing.consumed
        problems.append(f"compressed stream truncated after {read} bytes: the end is missing")
    if defects:
        problems.insert(0, f"{defects} damaged record(s) quarantined (first: {first_defect})")
    yield _outcome(ctx.path, ctx.fmt, size, ctx.file_hash, records, problems)


def _describe(exc: BaseException, ctx: FileCtx) -> str:
    """One line naming what went wrong, in the user's terms where we know them."""
    if isinstance(exc, zlib.error | lzma.LZMAError | EOFError) or (
        ctx.decompressing is not None and isinstance(exc, OSError)
    ):
        return f"corrupt compressed data: {_one_line(exc)}"
    if isinstance(exc, OSError):
        return f"read error: {exc.strerror or _one_line(exc)}"
    if isinstance(exc, csv.Error):
        return f"CSV: {_one_line(exc)}"
    if type(exc).__module__.startswith("pyarrow"):
        return f"Parquet: {_one_line(exc)}"
    if isinstance(exc, UnicodeError):
        return f"undecodable text: {_one_line(exc)}"
    return f"{type(exc).__name__}: {_one_line(exc)}"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 240 else text[:237] + "..."
