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


def inside_rule(lines: Sequence[str], i: int) -> str:
    """Name of the cruft rule that drops lines[i] inside the article span, or ''."""
    text = lines[i].strip()
    if not text:
        return ""
    for name, pattern in _RULES:
        if pattern.search(text):
            return name
    return ""
