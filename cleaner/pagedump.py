"""Whole-page text dumps: find the one article among navigation, link lists and comments.

Why: scrapers often save a page's whole visible text. The story is one contiguous run of
prose in it; everything around (menus, related-story lists, share rows, comments, footers)
must go, and each dropped line must say why, for the audit trail.

How: every line gets an article-likeness score from general features
(cleaner/pagedump_features.py, scored by cleaner/pagedump_model.py); the article is the
maximum-scoring contiguous segment of ``words * (score - THRESHOLD)`` (Kadane), widened
back to the repeated headline and, on request, cut where a comment section starts; then
the furniture lines inside it (share rows, 'Advertisement', 'Read more', copyright) are
dropped by named rules (cleaner/pagedump_rules.py).

>>> page = ["Storm closes port - Daily Post", "Home", "World", "Sport", "",
...         "Storm closes port", "",
...         "A winter storm closed the port on Monday, officials said, stranding ships.", "",
...         "Crews expect to reopen the docks by Wednesday if the wind drops as forecast.", "",
...         "Share", "", "Copyright 2012 Daily Post. All rights reserved."]
>>> for line, v in zip(page, extract_article(page)):
...     if v.keep and line:
...         print(line)
Storm closes port
A winter storm closed the port on Monday, officials said, stranding ships.
Crews expect to reopen the docks by Wednesday if the wind drops as forecast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cleaner.pagedump_features import WORD_RE, find_title_line, line_features
from cleaner.pagedump_model import line_scores
from cleaner.pagedump_rules import inside_rule, is_comment_section_start, is_furniture_line

# A line counts for the article span when its score is above this; fitted scores are
# calibrated probabilities, so 0.5 means "as likely article as not".
THRESHOLD = 0.5
# The headline is looked for this many non-blank lines above the span start.
HEADLINE_REACH = 12
# A comment-section header cuts the span only after this many article words, so that a
# "Comments (3)" link next to the headline cannot cut the story itself.
MIN_WORDS_BEFORE_COMMENTS = 40

# A non-article line costs the span at least this many words: a run of one-word menu
# entries is as much evidence against the span as a long line.
MIN_LINE_COST = 4

# The first span line with this many words starts the story body; the short lines above
# it are its head (headline, date, byline) and are not judged as link lists.
BODY_WORDS = 12

OUTSIDE = "outside_article_span"
COMMENTS = "comment_block"


@dataclass(frozen=True, slots=True)
class LineVerdict:
    """Whether one input line is kept, and the named rule that dropped it ('' when kept)."""

    keep: bool
    rule: str


KEPT = LineVerdict(keep=True, rule="")


def max_segment(values: Sequence[float]) -> tuple[int, int]:
    """First and last index of the maximum-sum contiguous segment; (0, -1) if none is positive.

    Ties keep the earliest, shortest segment, so the result is deterministic.

    >>> max_segment([-1.0, 2.0, -0.5, 3.0, -4.0, 1.0])
    (1, 3)
    >>> max_segment([-1.0, -2.0])
    (0, -1)
    """
    best_sum, best = 0.0, (0, -1)
    run, start = 0.0, 0
    for i, v in enumerate(values):
        if run <= 0.0:
            run, start = 0.0, i
        run += v
        if run > best_sum + 1e-12:
            best_sum, best = run, (start, i)
    return best


@dataclass(frozen=True, slots=True)
class Span:
    """Article lines first..last (last < first: none); comments cut_from..segment_end."""

    first: int
    last: int
    cut_from: int
    segment_end: int


def article_span(
    lines: Sequence[str], *, drop_comments: bool = False, scores: Sequence[float] | None = None
) -> Span:
    """Where the article is: the best segment, cut at comments, widened to the headline.

    ``scores`` (one per line) replaces the packaged model's; the fitting script passes
    held-out scores to measure a model on documents it was not fitted on.
    """
    tokens = [WORD_RE.findall(line) for line in lines]
    if scores is None:
        scores = line_scores(line_features(lines))
    values = [
        (len(t) if s >= THRESHOLD else max(len(t), MIN_LINE_COST)) * (s - THRESHOLD) if t else 0.0
        for t, s in zip(tokens, scores, strict=True)
    ]
    first, last = max_segment(values)
    if last < first:
        return Span(first, last, last + 1, last)
    cut = last + 1
    words = 0
    for i in range(first, last + 1):
        if (
            drop_comments
            and words >= MIN_WORDS_BEFORE_COMMENTS
            and is_comment_section_start(lines[i])
        ):
            cut = i
            break
        words += len(tokens[i])
    last_kept = cut - 1
    while last_kept > first and not tokens[last_kept]:
        last_kept -= 1
    title_at = find_title_line(tokens)
    if 0 < title_at < first:
        between = sum(1 for t in tokens[title_at:first] if t)
        if between <= HEADLINE_REACH:
            first = title_at
    return Span(first, last_kept, cut, last)


def extract_article(
    lines: Sequence[str], *, drop_comments: bool = False, scores: Sequence[float] | None = None
) -> list[LineVerdict]:
    """One verdict per input line: keep the article span minus the cruft lines inside it.

    ``drop_comments``: also cut the span where a reader-comment section starts ('12
    Comments', 'Leave a Reply'), dropping the rest as ``comment_block``. Off by default
    because the reference annotation keeps the comments on most pages that have them, so
    cutting them lowers the measured F1 (bench/results/pagedump.md shows both figures).
    ``scores``: see article_span.
    """
    span = article_span(lines, drop_comments=drop_comments, scores=scores)
    body_from = next(
        (i for i in range(span.first, span.last + 1) if len(lines[i].split()) >= BODY_WORDS),
        span.first,
    )
    verdicts: list[LineVerdict] = []
    for i in range(len(lines)):
        if span.first <= i <= span.last:
            rule = inside_rule(lines, i, body_from)
            verdicts.append(KEPT if not rule else LineVerdict(keep=False, rule=rule))
        elif span.cut_from <= i <= span.segment_end:
            verdicts.append(LineVerdict(keep=False, rule=COMMENTS))
        else:
            verdicts.append(LineVerdict(keep=False, rule=OUTSIDE))
    return verdicts


# looks_like_page_dump: a page dump has many short furniture lines (menus, link lists);
# a cleanly scraped story has at most a small header block of them.
DUMP_MIN_FURNITURE = 10
DUMP_MIN_FURNITURE_SHARE = 0.25


def looks_like_page_dump(lines: Sequence[str]) -> bool:
    """True when the text is a whole-page dump rather than a cleanly scraped story.

    Why: extract_article is only worth running (and only safe) on page dumps; a clean
    story with a short header block ('Short Url', 'Updated ...', 'Follow') is left alone.

    >>> looks_like_page_dump(["Headline", "Follow", "A long paragraph of the story, as said."])
    False
    >>> looks_like_page_dump(["Home", "World", "Sport", "Contact", "About us"] * 4)
    True
    """
    nonblank = [line for line in lines if WORD_RE.search(line)]
    if not nonblank:
        return False
    furniture = sum(1 for line in nonblank if is_furniture_line(line))
    return furniture >= DUMP_MIN_FURNITURE and furniture >= DUMP_MIN_FURNITURE_SHARE * len(nonblank)
