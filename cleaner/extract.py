"""Extract: a normalised story -> an Article with its fields."""

from __future__ import annotations

import re
from datetime import date

import xxhash

from cleaner.config import ExtractConfig
from cleaner.records import Article, LineFate, Normalised

_ISO = re.compile(r"\bdate (\d{4})-(\d{2})-(\d{2})\b")


def extract(item: Normalised, cfg: ExtractConfig) -> Article:
    story, record = item.story, item.story.record
    published = None
    for line in item.lines:
        m = _ISO.search(line.text)
        if m:
            published = date(int(m[1]), int(m[2]), int(m[3]))
            break
    body = "\n\n".join(line.text for line in item.lines)
    audit = tuple(
        sorted([*item.removed, *(LineFate(x.line_no, "body", "kept", x.text) for x in item.lines)],
               key=lambda f: f.line_no)
    )
    key = f"{record.path}\x1f{record.record_index}\x1f{story.story_index}\x1f{body}"
    return Article(
        doc_id=xxhash.xxh3_128_hexdigest(key.encode())[:16], title=record.given.title, body=body,
        summary=(), caption=None, source=record.given.source, published=published, updated=None,
        dateline=None, byline=None, url=record.given.url, language=None,
        word_count=len(body.split()), raw_path=record.path, record_index=record.record_index,
        story_index=story.story_index, line_start=story.line_start, line_end=story.line_end,
        file_hash=record.file_hash, split_rule=story.split_rule, profile=item.profile,
        fixes=item.fixes, audit=audit, warnings=(),
    )
