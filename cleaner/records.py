"""The typed records passed between stages.

Each stage takes one kind of record and returns the next, so what a stage adds is
visible in the type, never hidden in a ``metadata`` dictionary:

    RawRecord --split--> Story --normalise--> Normalised --extract--> Article

``FileOutcome`` is what ingest says about every input file (read, partly read, or
skipped with a reason), so the run manifest can list every file, including the ones
that produced nothing.  ``LineFate`` is one entry of a story's audit trail: where a
raw line went (a field, the body, or removed) and the rule that sent it there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

FileStatus = Literal["ok", "partial", "skipped"]

#: Where a raw line can end up.  ``body`` lines are the story; the field names say
#: which extracted field the line fed; ``removed`` lines carry the removing rule.
Fate = Literal[
    "body",
    "title",
    "summary",
    "caption",
    "published",
    "updated",
    "dateline",
    "byline",
    "source",
    "url",
    "removed",
]


@dataclass(frozen=True, slots=True)
class GivenFields:
    """Fields a scraper supplied next to the text (JSON, CSV, Parquet columns, HTML meta).

    They win over the fields extracted from the text: the scraper saw the page.
    Dates stay raw strings here; extract parses them with the same parser as text dates.
    """

    title: str | None = None
    url: str | None = None
    published: str | None = None
    source: str | None = None
    byline: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One text-bearing record read from an input file.

    A ``.txt`` file is one record; a JSON Lines or CSV file holds one per row.
    ``defect`` is set when the record could not be read properly (a malformed JSON
    line, say): the pipeline then quarantines it with that reason instead of
    dropping it.
    """

    path: str  # posix path relative to the RAW folder
    file_hash: str  # xxh3-128 of the whole input file's bytes, hex
    record_index: int  # 0 for single-record files, else the row / line number
    text: str
    encoding: str
    fmt: str  # "txt", "jsonl", "json", "csv", "parquet", "html" (+ ".gz")
    given: GivenFields = field(default_factory=GivenFields)
    defect: str | None = None


@dataclass(frozen=True, slots=True)
class FileOutcome:
    """What happened to one input file, for the run manifest."""

    path: str
    fmt: str
    size: int
    file_hash: str | None
    status: FileStatus
    records: int
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Story:
    """One story cut out of a record, with the line range it came from.

    Line numbers are 1-based and refer to the record's text, so an audit entry can
    always be traced back to the raw file.
    """

    record: RawRecord
    story_index: int
    line_start: int
    line_end: int
    lines: tuple[str, ...]
    split_rule: str  # the boundary rule that started this story ("start" for the first)


@dataclass(frozen=True, slots=True)
class LineFate:
    """One audit-trail entry: raw line ``line_no`` went to ``fate`` because of ``rule``."""

    line_no: int
    fate: Fate
    rule: str
    text: str


@dataclass(frozen=True, slots=True)
class Line:
    """A kept line after text repair, still tied to its raw line number.

    ``continued`` lists the raw lines of a hard-wrapped paragraph that were joined
    onto this one, so the audit trail still accounts for each of them.
    """

    line_no: int
    text: str
    continued: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Normalised:
    """A story after text repair and cruft removal, before fields are extracted."""

    story: Story
    lines: tuple[Line, ...]
    removed: tuple[LineFate, ...]
    fixes: tuple[str, ...]  # names of the text fixes that changed something
    profile: str | None  # the publisher profile that recognised the layout
    profile_source: str | None = None  # the source that profile implies, if any


@dataclass(frozen=True, slots=True)
class Article:
    """A story with its fields extracted: what the rest of the pipeline works on."""

    doc_id: str
    title: str | None
    body: str
    summary: tuple[str, ...]
    caption: str | None
    source: str | None
    published: date | None
    updated: date | None
    dateline: str | None
    byline: str | None
    url: str | None
    language: str | None
    word_count: int
    raw_path: str
    record_index: int
    story_index: int
    line_start: int
    line_end: int
    file_hash: str
    split_rule: str
    profile: str | None
    fixes: tuple[str, ...]
    audit: tuple[LineFate, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FailedCheck:
    """One failed expectation for one record."""

    expectation: str
    column: str | None
    severity: Literal["critical", "warning"]
    message: str


@dataclass(frozen=True, slots=True)
class StageTiming:
    """Seconds spent in one stage, and how many items went in and came out."""

    name: str
    seconds: float
    items_in: int
    items_out: int


@dataclass(frozen=True, slots=True)
class Counts:
    """A run's accounting: ``stories = articles + duplicates + rejected``."""

    files: int
    records: int
    stories: int
    articles: int
    duplicates: int
    rejected: int
    # Stories of changed files that an earlier run already published, left out.
    already_published: int = 0
