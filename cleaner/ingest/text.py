"""Readers for whole-document formats: plain text and HTML pages.

Both are one record per file, so the file is read whole, but never more than
``max_record_bytes`` of it: a runaway file becomes a quarantined preview, not a
memory spike.  HTML goes through trafilatura, a maintained article extractor, so
navigation, comments and footers are left behind by a tool measured for exactly
that, and its metadata (title, date, canonical url, site name, author) becomes the
record's given fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from configparser import ConfigParser
from functools import lru_cache

from cleaner.ingest.context import FileCtx, Problem, read_bounded
from cleaner.ingest.decode import decode_bytes
from cleaner.records import GivenFields, RawRecord

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_HTML_LANG = re.compile(r"""<html[^>]*\slang\s*=\s*["']?([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)?)""", re.I)


def _whole(ctx: FileCtx, what: str) -> tuple[bytes, str | None]:
    """The file's bytes, and a defect reason when they are oversized or cut short."""
    data, over = read_bounded(ctx.stream, ctx.limit)
    if over:
        return data, f"{what} larger than max_record_bytes ({ctx.limit}); only its start is kept"
    if ctx.truncated:
        return data, "compressed stream truncated: the end of the text is missing"
    return data, None


def read_txt(ctx: FileCtx) -> Iterator[RawRecord | Problem]:
    """One plain-text file is one record (split cuts it into stories later)."""
    data, defect = _whole(ctx, "text file")
    text, encoding = decode_bytes(data)
    if not text.strip() and defect is None:
        yield Problem("no text (the file holds only whitespace)")
        return
    yield ctx.record(0, text, encoding, defect=defect)


def declared_charset(data: bytes) -> str | None:
    """The charset an HTML page declares in its first bytes, if any.

    >>> declared_charset(b'<meta http-equiv="Content-Type" content="text/html; charset=cp1251">')
    'cp1251'
    """
    m = _META_CHARSET.search(data[:4096])
    return m.group(1).decode("ascii") if m else None


@lru_cache(maxsize=1)
def _trafilatura_config() -> ConfigParser:
    from trafilatura.settings import use_config

    config = use_config()
    # The default timeout uses SIGALRM, which only works in the main thread; a stuck
    # page is bounded by max_record_bytes instead.
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")
    return config


def read_html(ctx: FileCtx) -> Iterator[RawRecord | Problem]:
    """Extract the article of one HTML page with trafilatura (never fetching anything).

    Paragraphs come out one per line; they are separated by blank lines here, the
    way the plain-text scrapes separate them, so later stages see one convention.
    """
    import trafilatura

    data, defect = _whole(ctx, "HTML page")
    html, encoding = decode_bytes(data, declared_charset(data))
    if not html.strip():
        yield Problem("no text (the file holds only whitespace)")
        return
    doc = trafilatura.bare_extraction(
        html,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        config=_trafilatura_config(),
    )
    body = (getattr(doc, "text", None) or "").strip() if doc is not None else ""
    lang = _HTML_LANG.search(html[:4096])
    given = GivenFields(
        title=_clean(getattr(doc, "title", None)),
        url=_clean(getattr(doc, "url", None)),
        published=_clean(getattr(doc, "date", None)),
        source=_clean(getattr(doc, "sitename", None)),
        byline=_clean(getattr(doc, "author", None)),
        language=_clean(getattr(doc, "language", None)) or (lang.group(1) if lang else None),
    )
    if not body:
        page = trafilatura.html2txt(html) or ""
        yield ctx.record(0, page, encoding, given, defect or "HTML page: no article text found")
        return
    text = "\n\n".join(p.strip() for p in body.split("\n") if p.strip()) + "\n"
    yield ctx.record(0, text, encoding, given, defect)


def _clean(value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None
