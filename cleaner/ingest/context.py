"""What a format reader is handed (one file's stream and facts) and what it yields.

A reader is a generator ``reader(ctx) -> Iterator[RawRecord | Problem]``: records as
they are read, and a ``Problem`` for anything wrong with the file as a whole.  The
caller (``cleaner.ingest``) turns those into the file's one ``FileOutcome``; readers
never build outcomes and never catch what they cannot explain.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from cleaner.config import IngestConfig
from cleaner.ingest.decode import Plan, combine, decode_line
from cleaner.ingest.files import CHUNK, Decompressing
from cleaner.records import GivenFields, RawRecord

#: A damaged or oversized record keeps at most this many characters of its raw text:
#: enough for a person to see what went wrong, without copying a 2 GB line into
#: the quarantine file.
PREVIEW_CHARS = 20_000


@dataclass(frozen=True, slots=True)
class Problem:
    """One line about the file as a whole (not about one record)."""

    message: str


@dataclass(slots=True)
class FileCtx:
    """One input file as a reader sees it."""

    path: str  # RAW-relative posix path
    file_hash: str
    fmt: str  # format label, e.g. "jsonl.gz"
    cfg: IngestConfig
    stream: BinaryIO  # the (decompressed) content, from its start
    source: BinaryIO  # the file itself (seekable), for formats that need to seek
    decompressing: Decompressing | None
    plan: Plan

    def record(
        self,
        index: int,
        text: str,
        encoding: str,
        given: GivenFields | None = None,
        defect: str | None = None,
    ) -> RawRecord:
        """Build a record of this file; a defect keeps only a preview of huge text."""
        if defect is not None and len(text) > PREVIEW_CHARS:
            text = text[:PREVIEW_CHARS]
        return RawRecord(
            path=self.path,
            file_hash=self.file_hash,
            record_index=index,
            text=text,
            encoding=encoding,
            fmt=self.fmt,
            given=given or GivenFields(),
            defect=defect,
        )

    @property
    def truncated(self) -> bool:
        """True once a compressed stream has ended before its end marker."""
        return self.decompressing is not None and self.decompressing.truncated

    @property
    def limit(self) -> int:
        return self.cfg.max_record_bytes


def read_bounded(stream: BinaryIO, limit: int) -> tuple[bytes, bool]:
    """Read at most ``limit`` bytes; the flag says there was more (the rest is unread).

    >>> read_bounded(io.BytesIO(b"abcdef"), 4), read_bounded(io.BytesIO(b"abc"), 4)
    ((b'abcd', True), (b'abc', False))
    """
    parts: list[bytes] = []
    got = 0
    while got <= limit:
        chunk = stream.read(min(CHUNK, limit + 1 - got))
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    data = b"".join(parts)
    return data[:limit], len(data) > limit


@dataclass(frozen=True, slots=True)
class TextLine:
    """One physical line: 1-based number, text with its line ending, encoding used."""

    no: int
    text: str
    encoding: str
    oversize: bool  # longer than max_record_bytes: ``text`` is only its beginning


def iter_lines(ctx: FileCtx) -> Iterator[TextLine]:
    """The file's lines, decoded one by one, each held in memory only while in use.

    A line longer than ``max_record_bytes`` is never held whole: its start is kept
    (flagged ``oversize``) and the rest is read past in chunks.
    """
    p = ctx.plan
    if p.wide:
        wrapper = io.TextIOWrapper(ctx.stream, encoding=p.wide, errors="replace", newline="")
        no = 0
        while line := wrapper.readline(ctx.limit + 1):
            no += 1
            over = len(line) > ctx.limit and not line.endswith("\n")
            if over:
                while (rest := wrapper.readline(CHUNK)) and not rest.endswith("\n"):
                    pass
            yield TextLine(no, line, p.wide, over)
        wrapper.detach()
        return
    no = 0
    while raw := ctx.stream.readline(ctx.limit + 1):
        no += 1
        if no == 1 and p.bom == "utf-8-sig" and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        over = len(raw) > ctx.limit and not raw.endswith(b"\n")
        if over:
            while (tail := ctx.stream.readline(CHUNK)) and not tail.endswith(b"\n"):
                pass
            raw = raw[: PREVIEW_CHARS * 4]
        text, enc = decode_line(raw, p)
        if no == 1 and p.bom == "utf-8-sig":
            enc = "utf-8-sig" if enc in ("utf-8", p.primary) else enc
        yield TextLine(no, text, enc, over)


def lines_encoding(lines: list[TextLine], primary: str) -> str:
    """One encoding label for a record made of several lines."""
    return combine([ln.encoding for ln in lines], primary)
