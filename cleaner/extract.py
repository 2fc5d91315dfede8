"""Turn a normalised story into an Article: its fields, its body and its audit trail.

Fields come from the lines around the body: the headline (also when printed twice
around the photo), a photo caption, summary bullets, a byline, a url, date stamps and
the dateline at the start of the body.  Each line that feeds a field leaves the body,
and every non-blank raw line gets exactly one audit entry saying where it went.

Scraper-supplied fields (``RawRecord.given``) win over text: the scraper saw the page.
Source precedence: given source, then ``ExtractConfig.source_by_dir``, then a
``Published in <Outlet>`` footer, then the publisher profile that recognised the layout.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import PurePosixPath

import xxhash

from cleaner.config import ExtractConfig
from cleaner.dates import DATE, parse_date
from cleaner.language import detect_language
from cleaner.normalise import fix_text
from cleaner.records import Article, Fate, Line, LineFate, Normalised
from cleaner.split import headline_like

_HEAD_ZONE = 12  # kept lines searched for the headline block at the top of a story
_BULLET = re.compile(r"^[\u2022\u00b7\u25aa\u2023\u25cf\u25e6]\s*(?P<text>.+)$")
_CAPTION = re.compile(
    r".{20,}\((?:AFP|Reuters|AP|EPA|Getty Images|Bloomberg|Xinhua|APP|File|"
    r"(?:AFP|Reuters|AP|EPA)/[\w .]+|Photo[^)]{0,40}|[A-Z][\w.]+ Photo)\)\.?$"
)
_BYLINE = re.compile(
    r"^(?:By|BY|Written by)\s+(?P<name>[A-Z][\w.'\u2019-]+(?:\s+(?:[A-Z][\w.'\u2019-]+|and|&|de|"
    r"van|bin|al-\w+))*)(?:\s*[,|\u2013\u2014-]\s*.{0,60})?$"
)
_URL = re.compile(r"^(?:URL:\s*)?(?P<url>https?://\S+)$")
_DATE_ONLY = re.compile(rf"^(?:{DATE})$")
_DATE_HEADER = re.compile(r"^date (?P<date>\d{4}-\d{2}-\d{2})\s*")
_DATELINE = re.compile(
    r"^(?P<city>[A-Z][A-Z.'\-]+(?: [A-Z][A-Z.'\-]+){0,3})(?:,\s*[A-Z][\w .]{1,30}?)?"
    r"\s*(?:\((?:[A-Za-z .]{1,20})\)\s*)?(?::|\s?[\u2014\u2013]|\s-)(?:\s*(?=\S)|$)"
)
# All-caps labels that start a paragraph the way a dateline does, but are not places.
_NOT_PLACES = frozenset(
    {
        "NOTE",
        "EDITOR'S NOTE",
        "UPDATE",
        "UPDATED",
        "BREAKING",
        "BREAKING NEWS",
        "CORRECTION",
        "EXCLUSIVE",
        "ANALYSIS",
        "OPINION",
        "WATCH",
        "VIDEO",
        "PHOTOS",
        "LIVE",
        "FACTBOX",
        "Q",
        "A",
    }
)
_FOOTER_SOURCE = re.compile(rf"Published in (?P<outlet>.+?),\s+(?:{DATE})")
_END = ".!?:;\"'\u201d\u2019)]\u00bb\u2026"


@dataclass(slots=True)
class _Draft:
    """Mutable working state while one story's fields are assigned (never leaves this module)."""

    lines: list[Line]
    fate: dict[int, tuple[Fate, str]]  # line_no -> (fate, rule) for kept lines taken out

    def free(self) -> list[Line]:
        return [x for x in self.lines if x.line_no not in self.fate]

    def take(self, line: Line, fate: Fate, rule: str) -> None:
        self.fate[line.line_no] = (fate, rule)


def _title(
    d: _Draft,
    given: str | None,
    removed: Sequence[LineFate],
) -> tuple[str | None, str | None]:
    """Title and caption from the top of the story: repeated headline, given title, headline."""
    top = d.lines[:_HEAD_ZONE]
    for i, first in enumerate(top):
        if not headline_like(first.text) or _BYLINE.match(first.text):
            continue
        for j in range(i + 1, len(top)):
            if top[j].text != first.text:
                continue
            between = top[i + 1 : j]
            # The layout: headline, caption, header block (already removed), headline.
            header = any(first.line_no < e.line_no < top[j].line_no for e in removed)
            if between and not (header and len(between) == 1):
                break
            d.take(first, "title", "repeated_headline")
            d.take(top[j], "title", "repeated_headline")
            for line in between:
                d.take(line, "caption", "between_headlines")
            caption = " ".join(x.text for x in between) or None
            return (given or first.text), caption
    if given:
        for line in top[:3]:
            if line.text.casefold() == given.strip().casefold():
                d.take(line, "title", "given_title")
        return given.strip(), None
    if len(d.lines) >= 3:
        first = d.lines[0]
        words = len(first.text.split())
        if (
            headline_like(first.text)
            and 3 <= words <= 20
            and not _BULLET.match(first.text)
            and not _DATELINE.match(first.text)
        ):
            d.take(first, "title", "headline_line")
            return first.text, None
    return None, None


def _header_fields(d: _Draft) -> tuple[list[str], list[str], str | None, list[str]]:
    """Summary bullets, captions, byline and url lines; dates alone on a line."""
    summary: list[str] = []
    captions: list[str] = []
    byline: str | None = None
    urls: list[str] = []
    free = d.free()
    head = free[:8]
    in_bullets = False
    for line in head:
        bullet = _BULLET.match(line.text)
        if bullet and (in_bullets or not summary):
            d.take(line, "summary", "summary_bullet")
            summary.append(bullet.group("text").strip())
            in_bullets = True
        elif summary:
            in_bullets = False
    for k, line in enumerate(d.free()):
        if (
            _CAPTION.match(line.text)
            and len(line.text.split()) <= 60
            and not _DATELINE.match(line.text)
        ):
            d.take(line, "caption", "caption_credit")
            captions.append(line.text)
        elif (k < 8 or k >= len(free) - 3) and (m := _URL.match(line.text)):
            d.take(line, "url", "bare_url")
            urls.append(m.group("url"))
        elif (
            (k < 8 or k >= len(free) - 3)
            and (m := _BYLINE.match(line.text))
            and len(line.text.split()) <= 12
            and byline is None
        ):
            d.take(line, "byline", "byline")
            byline = m.group("name")
        elif k < 8 and _DATE_ONLY.match(line.text):
            d.take(line, "published", "date_line")
    return summary, captions, byline, urls


def _source(item: Normalised, cfg: ExtractConfig, fated: Sequence[LineFate]) -> str | None:
    given = item.story.record.given.source
    if given:
        return given.strip()
    parents = PurePosixPath(item.story.record.path).parents
    for parent in parents:
        for key in (str(parent), parent.name):
            if key and key != "." and key in cfg.source_by_dir:
                return cfg.source_by_dir[key]
    for entry in fated:
        if entry.fate == "source" and (m := _FOOTER_SOURCE.search(fix_text(entry.text))):
            return m.group("outlet").strip()
    return item.profile_source


def _fated_byline(fated: Sequence[LineFate]) -> str | None:
    """A byline line that a profile rule moved to the byline field, minus its "By ".

    >>> _fated_byline([LineFate(2, "byline", "byline_desk", "By Ann Lee | Metro Desk")])
    'Ann Lee | Metro Desk'
    """
    for entry in fated:
        if entry.fate == "byline":
            text = fix_text(entry.text).strip()
            return re.sub(r"^[Bb]y\s+", "", text) or None
    return None


def _first_date(fated: Sequence[LineFate], fate: str) -> date | None:
    for entry in fated:
        if entry.fate == fate and (found := parse_date(fix_text(entry.text))):
            return found
    return None


def truncated(paragraph: str) -> bool:
    """A prose paragraph that stops in the middle of a lower-case word.

    Headlines, menu items and list entries also lack a full stop, so we ask for prose
    (ten words with a comma or an inner sentence break, or fifteen words) ending in a lower-case
    letter: Title Case lines, numbers and credits do not count.

    >>> truncated("The report, written by analysts, was developed by the manufacturer c")
    True
    >>> truncated("Officials said the report would be published next week."), truncated("Weather")
    (False, False)
    >>> truncated("Ten Ways To Spend A Long Weekend In The Northern Mountain Valleys")
    False
    """
    text = paragraph.rstrip()
    words = text.split()
    if len(words) < 10 or not words[-1].isalpha() or not words[-1].islower():
        return False
    return "," in text or ". " in text or len(words) >= 15


def doc_id(raw_path: str, record_index: int, story_index: int, body: str) -> str:
    """Stable id: first 16 hex chars of xxh3-128 over provenance and body.

    >>> doc_id("a.txt", 0, 0, "Body.")
    '2a32e9567428d5b0'
    """
    key = f"{raw_path}\x1f{record_index}\x1f{story_index}\x1f{body}"
    return xxhash.xxh3_128_hexdigest(key.encode("utf-8"))[:16]


def _body_start(
    d: _Draft,
) -> tuple[list[Line], dict[int, str], dict[int, str], date | None, str | None]:
    """Strip a `` date YYYY-MM-DD`` header and a ``CITY:`` dateline from the body start.

    They may be glued to the first paragraph or stand on lines of their own.
    """
    body_lines = d.free()
    texts = {x.line_no: x.text for x in body_lines}
    rules: dict[int, str] = {}
    header_date: date | None = None
    dateline: str | None = None
    while body_lines:
        first = body_lines[0]
        text = first.text
        applied: list[str] = []
        if header_date is None and dateline is None and (m := _DATE_HEADER.match(text)):
            header_date = parse_date(m.group("date"))
            text = text[m.end() :]
            applied.append("date_header")
        if (
            dateline is None
            and (m := _DATELINE.match(text))
            and m.group("city").strip() not in _NOT_PLACES
        ):
            dateline = m.group("city").strip()
            text = text[m.end() :]
            applied.append("dateline")
        if not applied:
            break
        rules[first.line_no] = "+".join(applied)
        if text.strip():
            texts[first.line_no] = text.strip()
            break
        d.take(
            first, "dateline" if applied[-1] == "dateline" else "published", rules[first.line_no]
        )
        body_lines = body_lines[1:]
    return body_lines, texts, rules, header_date, dateline


def extract(item: Normalised, cfg: ExtractConfig) -> Article:
    """Assign every kept line to a field or the body, and build the Article."""
    story = item.story
    record = story.record
    given = record.given
    d = _Draft(list(item.lines), {})
    title, between_caption = _title(d, given.title, item.removed)
    summary, captions, byline, urls = _header_fields(d)
    if between_caption:
        captions.insert(0, between_caption)

    body_lines, texts, rules, header_date, dateline = _body_start(d)
    paragraphs = [texts[x.line_no] for x in body_lines]
    body = "\n\n".join(paragraphs)

    fated = list(item.removed)
    for line in item.lines:
        if line.line_no in d.fate:
            fate, rule = d.fate[line.line_no]
            fated.append(LineFate(line.line_no, fate, rule, _raw(item, line.line_no)))
    fated.sort(key=lambda e: e.line_no)

    updated = _first_date(fated, "updated")
    published = (
        parse_date(given.published)
        or header_date
        or _first_date(fated, "published")
        or _first_date(fated, "source")
        or updated
    )
    audit = list(fated)
    for line in body_lines:
        audit.append(
            LineFate(
                line.line_no, "body", rules.get(line.line_no, "kept"), _raw(item, line.line_no)
            )
        )
    for line in item.lines:
        fate_rule = d.fate.get(line.line_no, ("body", "rejoined_wrap"))
        for n in line.continued:
            audit.append(LineFate(n, fate_rule[0], "rejoined_wrap", _raw(item, n)))
    audit.sort(key=lambda e: e.line_no)

    warnings = ("truncated_paragraph",) if any(truncated(p) for p in paragraphs) else ()
    return Article(
        doc_id=doc_id(record.path, record.record_index, story.story_index, body),
        title=title,
        body=body,
        summary=tuple(summary),
        caption="\n".join(captions) or None,
        source=_source(item, cfg, fated),
        published=published,
        updated=updated,
        dateline=dateline,
        byline=given.byline or byline or _fated_byline(fated),
        url=given.url or (urls[0] if urls else None),
        language=given.language or detect_language(body),
        word_count=len(body.split()),
        raw_path=record.path,
        record_index=record.record_index,
        story_index=story.story_index,
        line_start=story.line_start,
        line_end=story.line_end,
        file_hash=record.file_hash,
        split_rule=story.split_rule,
        profile=item.profile,
        fixes=item.fixes,
        audit=tuple(audit),
        warnings=warnings,
    )


def _raw(item: Normalised, line_no: int) -> str:
    return item.story.lines[line_no - item.story.line_start]
