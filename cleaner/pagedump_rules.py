"""Named rules for page-dump lines: comment-section starts, and cruft inside the article.

Why separate: the span finder decides *where* the article is; these small rules decide
which furniture lines inside it still go ('Share', 'Advertisement', 'Read more', related
links), each under a name that the audit trail records.

>>> inside_rule(["Advertisement"], 0)
'advertisement'
>>> inside_rule(["The council met on Monday."], 0)
''
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_COMMENT_START_RE = re.compile(
    r"^\W*(?:\d+\s+)?(?:comments?|responses?|replies|reactions?|thoughts)\b.{0,40}$"
    r"|^\W*(?:reader\s+)?comments?\s*(?:\(\d+\))?\W*$"
    r"|^\W*(?:leave|post|add|write|submit)\s+(?:a|your|new)\s+(?:comment|reply|response)"
    r"|^\W*\d+\s+(?:comments?|responses?|thoughts|replies)\b"
    r"|^\W*(?:join|start)\s+the\s+(?:conversation|discussion)"
    r"|^\W*comments\s+are\s+closed"
    r"|^\W*(?:show|view|see|read)\s+(?:all\s+)?(?:\d+\s+)?comments?\b",
    re.IGNORECASE,
)


def is_comment_section_start(line: str) -> bool:
    """True for a short line that opens a comment section ('12 Comments', 'Leave a Reply').

    >>> is_comment_section_start("{ 14 comments… read them below or add one }")
    True
    >>> is_comment_section_start("Comments on the budget were mixed, the minister said.")
    False
    """
    text = line.strip()
    return 0 < len(text) <= 80 and bool(_COMMENT_START_RE.search(text))


_SENTENCE_END = (".", "!", "?", '"', "\u201d", "\u2019", "\u00bb", ":")


def is_furniture_line(line: str) -> bool:
    """A short line that is not a sentence: a menu entry, a button, a link, a label.

    >>> is_furniture_line("Privacy Policy")
    True
    >>> is_furniture_line("He left.")
    False
    """
    text = line.strip()
    return 0 < len(text.split()) <= 4 and not text.endswith(_SENTENCE_END)


_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("advertisement", re.compile(r"^\W*(?:advertisement|advertising|sponsored|ad)\W*$", re.I)),
    (
        "share_buttons",
        re.compile(
            r"^\W*(?:(?:share|tweet|email|e-mail|print|facebook|twitter|google\+?|linkedin|"
            r"pinterest|reddit|digg|stumbleupon|whatsapp|recommend|like|pin it|save|"
            r"share this(?: article| story)?|follow us|follow|text size|a a a|\+1)"
            r"(?:\s*\(?\d{1,6}\)?)?\W*){1,6}$",
            re.I,
        ),
    ),
    (
        "read_more",
        re.compile(r"^\W*(?:read|see|view)\s+(?:more|full|the full|all)\b.{0,40}$", re.I),
    ),
    ("copyright", re.compile(r"\u00a9|^\W*copyright\b|all rights reserved", re.I)),
)


# A run of this many adjacent short non-sentence lines (no blank line between) inside the
# span is a link list ('Related stories', a tag cloud), not story text.
LINK_RUN = 3
_LIST_ITEM = re.compile(r"^(?:[-*\u2022\u25cf\u25aa]|\d{1,2}[.)])\s")


LINK_MAX_WORDS = 8


def _link_list_line(line: str) -> bool:
    """A link-list entry: a headline-like line of a few words that is not a sentence."""
    text = line.strip()
    return (
        0 < len(text.split()) <= LINK_MAX_WORDS
        and not text.endswith(_SENTENCE_END)
        and not _LIST_ITEM.match(text)
    )


def in_link_run(lines: Sequence[str], i: int) -> bool:
    """True when lines[i] belongs to a run of LINK_RUN adjacent short link-like lines.

    Bulleted or numbered items are spared: short list items are part of many stories.

    >>> in_link_run(["Related", "Flood fund opens", "Ferry fares rise", "Text."], 1)
    True
    >>> in_link_run(["\u2022 Eggs", "\u2022 Flour", "\u2022 Milk"], 1)
    False
    """
    if not _link_list_line(lines[i]):
        return False
    lo = i
    while lo > 0 and lo > i - LINK_RUN and _link_list_line(lines[lo - 1]):
        lo -= 1
    hi = i
    while hi + 1 < len(lines) and hi < lo + LINK_RUN - 1 and _link_list_line(lines[hi + 1]):
        hi += 1
    return hi - lo + 1 >= LINK_RUN


def inside_rule(lines: Sequence[str], i: int, body_from: int = 0) -> str:
    """Name of the cruft rule that drops lines[i] inside the article span, or ''.

    ``body_from``: where the story's first paragraph starts; the short lines above it
    (headline, date, byline) are never taken for a link list.
    """
    text = lines[i].strip()
    if not text:
        return ""
    for name, pattern in _RULES:
        if pattern.search(text):
            return name
    if i > body_from and in_link_run(lines, i):
        return "nav_link_list"
    return ""
