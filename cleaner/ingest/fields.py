"""Mapping a scraper's record (a JSON object, a CSV row, a Parquet row) to text + fields.

Every scraper names its columns differently; ``FieldMap`` lists the names to try,
first match wins.  Keys are compared case-insensitively and a dotted name
(``meta.title``) reaches into nested objects, which covers most exporters without
per-scraper code.  A record with no usable text is not dropped: it becomes a defect
the pipeline quarantines with the reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from cleaner.config import FieldMap
from cleaner.records import GivenFields


@dataclass(frozen=True, slots=True)
class Mapped:
    """A record's text and the fields the scraper gave, or the reason there is no text."""

    text: str
    given: GivenFields
    defect: str | None


def lookup(record: Mapping[str, object], names: tuple[str, ...]) -> tuple[str, object] | None:
    """The first of ``names`` present (and not null) in ``record``, as ``(name, value)``.

    >>> lookup({"Headline": "A", "meta": {"url": "u"}}, ("title", "headline"))
    ('headline', 'A')
    >>> lookup({"meta": {"url": "u"}}, ("meta.url",))
    ('meta.url', 'u')
    """
    return _find(_fold(record), names)


def _find(folded: Mapping[str, object], names: tuple[str, ...]) -> tuple[str, object] | None:
    for name in names:
        value = folded.get(name.lower())
        if value is None and "." in name:
            value = _dotted(folded, name.lower().split("."))
        if value is not None:
            return name, value
    return None


def _fold(record: Mapping[str, object]) -> Mapping[str, object]:
    """Lower-cased keys; a record whose keys are already lower case is used as it is."""
    if all(isinstance(k, str) and k.islower() for k in record):
        return record
    return {str(k).lower(): v for k, v in record.items()}


def _dotted(folded: Mapping[str, object], parts: list[str]) -> object:
    value: object = folded
    for part in parts:
        if not isinstance(value, Mapping):
            return None
        value = _fold(value).get(part)
    return value


def as_field(value: object) -> str | None:
    """A given field as a string: dates in ISO form, blanks as None, lists joined.

    >>> as_field(dt.date(2024, 5, 1)), as_field("  "), as_field(["A. Writer", "B. Writer"])
    ('2024-05-01', None, 'A. Writer, B. Writer')
    """
    if value is None:
        return None
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        parts = [p for p in (as_field(v) for v in value) if p]
        return ", ".join(parts) or None
    if isinstance(value, Mapping):
        found = lookup(value, ("name", "title", "value"))
        return as_field(found[1]) if found else None
    text = str(value).strip()
    return text or None


def as_text(value: object) -> str | None:
    """The text field as a string; a list of paragraphs is joined by blank lines.

    Blank lines are how the raw .txt scrapes separate paragraphs, so split and
    normalise treat both the same way.

    >>> as_text(["First paragraph.", "Second one."])
    'First paragraph.\\n\\nSecond one.'
    """
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return "\n\n".join(v.strip() for v in value if v.strip())
    return None


def map_record(record: Mapping[str, object], fields: FieldMap) -> Mapped:
    """Pick the text and the given fields out of one record.

    >>> m = map_record({"body": "Some text.", "headline": "A title", "x": 1}, FieldMap())
    >>> m.text, m.given.title, m.defect
    ('Some text.', 'A title', None)
    >>> map_record({"headline": "A title"}, FieldMap()).defect
    'no text field (looked for text, body, content, article, story)'
    """

    record = _fold(record)

    def given(names: tuple[str, ...]) -> str | None:
        found = _find(record, names)
        return as_field(found[1]) if found else None

    fields_given = GivenFields(
        title=given(fields.title),
        url=given(fields.url),
        published=given(fields.published),
        source=given(fields.source),
        byline=given(fields.byline),
        language=given(fields.language),
    )
    found = _find(record, fields.text)
    if found is None:
        return Mapped("", fields_given, f"no text field (looked for {', '.join(fields.text)})")
    name, value = found
    text = as_text(value)
    if text is None:
        kind = type(value).__name__
        return Mapped("", fields_given, f"text field {name!r} holds a {kind}, not text")
    if not text.strip():
        return Mapped(text, fields_given, f"text field {name!r} is empty")
    return Mapped(text, fields_given, None)
