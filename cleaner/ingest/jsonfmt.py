"""Readers for JSON Lines and JSON files, both streamed.

JSON Lines is read a line at a time.  A ``.json`` file (a list of records, the way
Scrapy's exporter writes it, or one record object) is parsed one element at a time
from a sliding buffer with ``json.JSONDecoder.raw_decode``, so a 2 GB array never
sits in memory either: only the element being parsed does.  A malformed line costs
that line (quarantined with its raw text); a malformed array element ends the file,
because a JSON array has no reliable point to resume from.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from cleaner.ingest.context import PREVIEW_CHARS, FileCtx, Problem, iter_lines
from cleaner.ingest.fields import map_record
from cleaner.ingest.files import CHUNK
from cleaner.records import RawRecord

_DECODER = json.JSONDecoder()
_WS = " \t\r\n\ufeff"


def _record_from_value(
    ctx: FileCtx, index: int, value: object, raw: str, encoding: str, where: str
) -> RawRecord:
    """A record from one parsed JSON value; anything unusable becomes a defect."""
    if not isinstance(value, Mapping):
        kinds = {"str": "a string", "list": "an array", "NoneType": "null"}
        kind = kinds.get(type(value).__name__, type(value).__name__)
        return ctx.record(index, raw, encoding, defect=f"{where}: {kind}, not a JSON object")
    mapped = map_record(value, ctx.cfg.fields)
    if mapped.defect:
        return ctx.record(index, raw, encoding, mapped.given, f"{where}: {mapped.defect}")
    if len(mapped.text) > ctx.limit // 4 and len(mapped.text.encode()) > ctx.limit:
        why = f"{where}: text larger than max_record_bytes"
        return ctx.record(index, mapped.text, encoding, mapped.given, why)
    return ctx.record(index, mapped.text, encoding, mapped.given)


def read_jsonl(ctx: FileCtx) -> Iterator[RawRecord | Problem]:
    """One record per non-blank line; ``record_index`` is the 1-based line number."""
    for line in iter_lines(ctx):
        raw = line.text.rstrip("\r\n")
        where = f"line {line.no}"
        if line.oversize:
            yield ctx.record(
                line.no, raw, line.encoding, defect=f"{where}: longer than max_record_bytes"
            )
            continue
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            msg = f"{where}: invalid JSON ({exc.msg} at column {exc.colno})"
            yield ctx.record(line.no, raw, line.encoding, defect=msg)
            continue
        except RecursionError:
            yield ctx.record(line.no, raw, line.encoding, defect=f"{where}: JSON nested too deep")
            continue
        yield _record_from_value(ctx, line.no, value, raw, line.encoding, where)


def _text_chunks(ctx: FileCtx) -> Iterator[str]:
    """The content decoded chunk by chunk; non-UTF-8 bytes fall back to the legacy page."""
    p = ctx.plan
    name = p.wide or ("utf-8" if p.primary.startswith("utf-8") else p.primary)
    decoder = codecs.getincrementaldecoder(name)(errors="cleaner-legacy")
    while chunk := ctx.stream.read(CHUNK):
        yield decoder.decode(chunk)
    yield decoder.decode(b"", final=True)


def _legacy_fallback(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: decode a byte that is not UTF-8 as cp1252 (else latin-1)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start : exc.start + 1]
    try:
        return bad.decode("cp1252"), exc.start + 1
    except UnicodeDecodeError:
        return bad.decode("latin-1"), exc.start + 1


codecs.register_error("cleaner-legacy", _legacy_fallback)


@dataclass(frozen=True, slots=True)
class _Broken:
    index: int
    message: str
    raw: str


class _Buffer:
    """A sliding window over the decoded text: only the unparsed tail is kept."""

    def __init__(self, chunks: Iterator[str]) -> None:
        self.chunks = chunks
        self.text = ""
        self.pos = 0
        self.eof = False

    def more(self) -> bool:
        chunk = next(self.chunks, None)
        if chunk is None:
            self.eof = True
            return False
        self.text = self.text[self.pos :] + chunk
        self.pos = 0
        return True

    def skip_ws(self) -> bool:
        """Move past whitespace; False at the end of the input."""
        while True:
            while self.pos < len(self.text) and self.text[self.pos] in _WS:
                self.pos += 1
            if self.pos < len(self.text):
                return True
            if not self.more():
                return False

    def value(self, limit: int) -> tuple[object, str]:
        """Parse the value at ``pos``, reading more input while it is incomplete.

        Returns the value and its raw text (empty when longer than a preview).
        """
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as exc:
                incomplete = exc.pos >= len(self.text) - 6 or exc.msg.startswith("Unterminated")
                fits = len(self.text) - self.pos <= limit
                if incomplete and fits and not self.eof and self.more():
                    continue
                if len(self.text) - self.pos > limit:
                    raise ValueError("record larger than max_record_bytes") from None
                raise ValueError(f"invalid JSON ({exc.msg})") from None
            if end == len(self.text) and not self.eof and self.more():
                continue  # a number at the buffer's end may go on in the next chunk
            raw = self.text[self.pos : end] if end - self.pos <= PREVIEW_CHARS else ""
            self.pos = end
            return value, raw


def _json_values(buf: _Buffer, limit: int) -> Iterator[tuple[int, object, str] | _Broken]:
    """``(index, value, raw)`` for each record: array elements from 1, a lone object as 0."""
    if not buf.skip_ws():
        return
    array = buf.text[buf.pos] == "["
    if array:
        buf.pos += 1
    index = 0 if not array else 1
    while buf.skip_ws():
        if array and buf.text[buf.pos] == "]":
            buf.pos += 1
            if buf.skip_ws():
                yield _Broken(index, "trailing data after the JSON array", _peek(buf))
            return
        if array and index > 1:
            if buf.text[buf.pos] != ",":
                yield _Broken(index, "expected ',' between array elements", _peek(buf))
                return
            buf.pos += 1
            buf.skip_ws()
        try:
            value, raw = buf.value(limit)
        except (ValueError, RecursionError) as exc:
            yield _Broken(index, str(exc), _peek(buf))
            return
        yield index, value, raw
        index += 1
    if array:
        yield _Broken(index, "the JSON array is not closed (file cut short?)", "")


def _peek(buf: _Buffer) -> str:
    return buf.text[buf.pos : buf.pos + PREVIEW_CHARS]


def read_json(ctx: FileCtx) -> Iterator[RawRecord | Problem]:
    """Records of a ``.json`` file: each element of a top-level array, or one object."""
    encoding = ctx.plan.wide or ctx.plan.primary
    found = False
    for item in _json_values(_Buffer(_text_chunks(ctx)), ctx.limit):
        found = True
        if isinstance(item, _Broken):
            where = f"element {item.index}" if item.index else "document"
            defect = f"{where}: {item.message}; the rest of the file was not read"
            yield ctx.record(item.index, item.raw, encoding, defect=defect)
            return
        index, value, raw = item
        where = f"element {index}" if index else "document"
        if not raw:
            raw = json.dumps(value, ensure_ascii=False)[:PREVIEW_CHARS]
        yield _record_from_value(ctx, index, value, raw, encoding, where)
    if not found:
        yield Problem("no JSON value in the file")
