"""Stand-in for the page-dump article finder (the real module is built on another branch).

It implements the agreed API trivially, so normalise can already call it: no text is
taken for a page dump, and every line is kept.  The integrator replaces this file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LineVerdict:
    """Keep or drop one line of a page dump, with the rule that decided."""

    keep: bool
    rule: str


def looks_like_page_dump(lines: Sequence[str]) -> bool:
    """Stand-in: never claims a text is a page dump.

    >>> looks_like_page_dump(["Home", "News", "Sport"])
    False
    """
    return False


def extract_article(lines: Sequence[str]) -> list[LineVerdict]:
    """Stand-in: keeps every line.

    >>> extract_article(["Home"])
    [LineVerdict(keep=True, rule='stand_in')]
    """
    return [LineVerdict(keep=True, rule="stand_in") for _ in lines]
