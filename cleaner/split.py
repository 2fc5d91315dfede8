"""Cut a record that concatenates several stories into one Story per story.

Scrapers often save a listing page or a "next story" widget into the same file, so a
file can hold two or three stories back to back.  A boundary is only drawn on strong
evidence, because a false split (a subhead turned into a story of its own) is worse
than a missed one.  The cues, each a named rule recorded on the Story:

* ``repeated_headline``: a headline-like line followed within a few lines by a header
  block line (``Short Url``, ``Updated <date>``, ``Follow``) and by the same headline
  again, the layout of sites that print the headline above and below the photo;
* ``date_header``: a `` date YYYY-MM-DD`` header line, how some archives start a story;
* ``published_footer``: text after a ``Published in <Outlet>, <date>`` footer;
* ``separator``: a line of only a no-break space, ``* * *``, ``----`` or a form feed,
  followed by a title-like line that is itself followed by a story-start cue.

Candidate stories with fewer than ``min_story_lines`` non-blank lines are glued back
to their neighbour.  Line numbers are 1-based positions in the record's text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from cleaner.config import SplitConfig
from cleaner.dates import DATE
from cleaner.records import RawRecord, Story

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Only unmistakable header-block lines count: a bare date, a "By" line or a name alone
# also occur in comment threads and would cut a page dump into pieces.
_HEADER_CUE = re.compile(
    rf"^(?:Short Url|Follow|(?:Last )?Updated:?\s+{DATE}|(?:Published|Posted):?\s+{DATE})$"
)
_DATE_HEADER = re.compile(r"^\s*date \d{4}-\d{2}-\d{2}\b")
_FOOTER = re.compile(rf"^Published in [A-Z][\w .&'\u2019-]{{1,40}}?,\s+{DATE}\.?$")
_SEPARATOR = re.compile(r"^(?:[\s\xa0]*\xa0[\s\xa0]*|\s*(?:\*\s*){3,}|\s*[-_=~]{3,}\s*|\s*\f\s*)$")
_DATELINE = re.compile(
    r"^(?:\s*date \d{4}-\d{2}-\d{2}\s+)?[A-Z][A-Z .'-]{2,30}(?:,[\w .]+)?"
    r"\s*(?:\([A-Za-z .]+\)\s*)?[:\u2014\u2013-]\s"
)
_END_PUNCT = '.!?"\u201d\u2019:;),'
_WINDOW = 8  # non-blank lines searched after a headline for its header block


def raw_lines(text: str) -> list[str]:
    """Split record text into lines the way every stage numbers them.

    Only CR, LF and CRLF end a line (``str.splitlines`` would also split on form
    feeds and other separators, shifting line numbers in the audit trail).

    >>> raw_lines("a\\r\\nb\\rc\\n")
    ['a', 'b', 'c']
    """
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def is_blank(line: str) -> bool:
    """A line that carries nothing: empty, spaces, no-break spaces or a form feed."""
    return not line.strip()


def headline_like(line: str) -> bool:
    """Short, starts with a capital or digit, and does not end like a sentence.

    >>> headline_like("Thousands march in the capital"), headline_like("He said it was late.")
    (True, False)
    """
    text = line.strip()
    words = text.split()
    return (
        3 <= len(words) <= 25
        and (text[0].isupper() or text[0].isdigit() or text[0] in "\u2018\u201c\"'")
        and text[-1] not in _END_PUNCT.replace("\u2019", "").replace("\u201d", "")
        and not _HEADER_CUE.match(text)
    )


def _next_nonblank(lines: Sequence[str], start: int, count: int) -> list[int]:
    found: list[int] = []
    i = start
    while i < len(lines) and len(found) < count:
        if not is_blank(lines[i]):
            found.append(i)
        i += 1
    return found


def _repeated_headline(lines: Sequence[str], i: int) -> bool:
    """Headline, header block (at most one other line, the caption), the same headline."""
    if not headline_like(lines[i]):
        return False
    head = lines[i].strip()
    cue = False
    others = 0
    for j in _next_nonblank(lines, i + 1, _WINDOW):
        text = lines[j].strip()
        if text == head:
            return cue
        if _HEADER_CUE.match(text):
            cue = True
        else:
            others += 1
            if others > 1:
                return False
    return False


def _start_cue_after(lines: Sequence[str], i: int) -> bool:
    """Does a story plausibly start at line ``i`` (a title followed by a header or dateline)?"""
    if not headline_like(lines[i]):
        return False
    for j in _next_nonblank(lines, i + 1, 4):
        text = lines[j].strip()
        if _HEADER_CUE.match(text) or _DATELINE.match(lines[j]) or text == lines[i].strip():
            return True
    return False


def boundaries(lines: Sequence[str]) -> list[tuple[int, str]]:
    """Indexes (0-based) where a new story starts after the first, with the rule that fired.

    >>> boundaries(["Story number one", "Short Url", "Story number one", "Body.", "\\xa0",
    ...             "Story number two", "Follow", "Story number two", "Body two."])
    [(5, 'repeated_headline')]
    """
    first = next((i for i, line in enumerate(lines) if not is_blank(line)), len(lines))
    found: dict[int, str] = {}
    # Most records have no header-block line at all: then no headline check is needed.
    has_cue = any(_HEADER_CUE.match(line.strip()) for line in lines)
    for i in range(first + 1, len(lines)):
        line = lines[i]
        if is_blank(line) and not _SEPARATOR.match(line):
            continue
        if has_cue and _repeated_headline(lines, i):
            found[i] = "repeated_headline"  # the strongest cue names the cut
        elif _DATE_HEADER.match(line):
            found[i] = "date_header"
        elif _FOOTER.match(line.strip()) or _SEPARATOR.match(line):
            rule = "published_footer" if _FOOTER.match(line.strip()) else "separator"
            nxt = _next_nonblank(lines, i + 1, 1)
            if nxt and (rule == "published_footer" or _start_cue_after(lines, nxt[0])):
                found.setdefault(nxt[0], rule)
    return sorted(found.items())


def _nonblank_count(lines: Sequence[str]) -> int:
    return sum(1 for line in lines if not is_blank(line) and not _SEPARATOR.match(line))


def _trim(lines: Sequence[str], start: int, end: int) -> tuple[int, int]:
    """Shrink [start, end) so it neither starts nor ends with blank lines."""
    while start < end and is_blank(lines[start]):
        start += 1
    while end > start and is_blank(lines[end - 1]):
        end -= 1
    return start, end


def split(record: RawRecord, cfg: SplitConfig) -> list[Story]:
    """Cut ``record`` into stories; a record always yields at least one Story.

    An empty record still yields one (empty) Story, so validation can quarantine it
    with a reason instead of it vanishing silently.

    >>> from cleaner.records import RawRecord
    >>> text = ("Title number one\\nFollow\\nTitle number one\\nText.\\nMore.\\n\\xa0\\n"
    ...         "Title number two\\nFollow\\nTitle number two\\nText.\\nMore.")
    >>> rec = RawRecord("a.txt", "h", 0, text, "utf-8", "txt")
    >>> [(s.line_start, s.line_end, s.split_rule) for s in split(rec, SplitConfig())]
    [(1, 5, 'start'), (7, 11, 'repeated_headline')]
    """
    lines = raw_lines(record.text)
    cuts = boundaries(lines) if cfg.enabled else []
    spans: list[tuple[int, int, str]] = []
    starts = [(0, "start"), *cuts]
    for k, (start, rule) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(lines)
        spans.append((start, end, rule))
    merged: list[tuple[int, int, str]] = []
    for start, end, rule in spans:
        if merged and _nonblank_count(lines[start:end]) < cfg.min_story_lines:
            prev = merged.pop()
            merged.append((prev[0], end, prev[2]))
        else:
            merged.append((start, end, rule))
    if (
        len(merged) > 1
        and _nonblank_count(lines[merged[0][0] : merged[0][1]]) < cfg.min_story_lines
    ):
        first, second = merged[0], merged[1]
        merged[0:2] = [(first[0], second[1], first[2])]
    stories: list[Story] = []
    for index, (start, end, rule) in enumerate(merged):
        lo, hi = _trim(lines, start, end)
        if lo == hi:  # an all-blank record: keep its full (empty) range
            lo, hi = start, end
        stories.append(
            Story(
                record=record,
                story_index=index,
                line_start=lo + 1,
                line_end=hi,
                lines=tuple(lines[lo:hi]),
                split_rule=rule,
            )
        )
    return stories
