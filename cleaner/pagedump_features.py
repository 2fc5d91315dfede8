"""Per-line features of a whole-page text dump, and the linear score built from them.

Why features and not rules alone: in a page dump the article is the long run of prose that
navigation, link lists, share rows and footers surround. Each line is described by a few
general, site-independent numbers (length, sentence punctuation, capitalisation, blank
lines around it, boilerplate vocabulary, how prose-like its neighbours are, where it sits
in the page), plus the same for its neighbours. A small boosted-tree model
(cleaner/pagedump_model.py) turns them into an article-likeness score; it was fitted
offline (bench/pagedump_fit.py) and ships as plain data, so nothing is learned or
downloaded at run time.

>>> f = line_features(["Home", "", "The mayor said on Monday that the bridge reopens.", ""])
>>> round(f[2][FEATURE_NAMES.index("ends_sentence")], 1)
1.0
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

WORD_RE = re.compile(r"\w+")
_SENTENCE_END = (".", "!", "?", '"', "\u201d", "\u2019", "\u00bb", ".)", "'")
_INNER_SENTENCE = re.compile(r"[a-z0-9\u00e0-\u00ff][.!?][\"\u201d\u2019]?\s+[A-Z\"\u201c]")
_DATE_RE = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b"
    r"|\b\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b"
    r"|\b\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}\b"
    r"|\b\d{1,2}:\d{2}\s*(?:am|pm|a\.m\.|p\.m\.)?",
    re.IGNORECASE,
)
_TIME_AGO_RE = re.compile(
    r"\b\d+\s+(?:seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)\s+ago\b",
    re.IGNORECASE,
)
# Words that mark page furniture rather than story text. Kept short and generic on purpose.
_BOILERPLATE_WORDS = """
    share tweet email e-mail print facebook twitter linkedin pinterest reddit digg
    stumbleupon google+ rss subscribe subscription newsletter login log sign register
    password username comment comments reply replies permalink posted advertisement
    advertise sponsored copyright rights reserved privacy terms cookies cookie policy
    contact sitemap careers menu search home next previous prev older newer archive archives
    tags tagged categories category filed related popular trending recommended click here
    more loading widget feed follow like likes views recent
"""
BOILERPLATE_WORDS = frozenset(_BOILERPLATE_WORDS.split())
# Function words: prose is about 40% function words, menus and titles far fewer (jusText's
# stop-word density).
_STOPWORDS = """
    a an the and or but if of to in on at by for with from as into about than then that this
    these those it its is are was were be been being has have had do does did will would can
    could should may might must not no so such he she they we i his her their our him them
    who which what when where while there here also just only very more most after before
    over under up down out said says
"""
STOPWORDS = frozenset(_STOPWORDS.split())
# Words that address the reader: forms, prompts and calls to action, not story text.
_UI_WORDS = """
    you your please click enter submit sign login log subscribe required optional posted
    comment comments preview verify moderated email e-mail password username
"""
UI_WORDS = frozenset(_UI_WORDS.split())
_COMMENT_RE = re.compile(
    r"\b(?:repl(?:y|ies)|comments?|report abuse|flag|permalink|says:|wrote:|said\.\.\.)\b",
    re.IGNORECASE,
)
_COPYRIGHT_RE = re.compile(r"\u00a9|\(c\)\s*\d{4}|\bcopyright\b|all rights reserved", re.I)
_SEPARATORS = re.compile(r"\s[|\u00bb\u203a\u2022\u00b7/>]\s|^\W+$")

FEATURE_NAMES: tuple[str, ...] = (
    "bias",
    "log_words",
    "words_ge_8",
    "words_ge_15",
    "words_ge_30",
    "ends_sentence",
    "inner_sentences",
    "comma_rate",
    "title_case_rate",
    "digit_rate",
    "boilerplate_rate",
    "boilerplate_short",
    "comment_words",
    "copyright",
    "separators",
    "date_or_time",
    "time_ago",
    "blank_before",
    "blank_after",
    "repeated_in_page",
    "prev_prose",
    "next_prose",
    "window_prose",
    "relative_position",
    "position_sq",
    "url_or_email",
    "ends_colon",
    "starts_lower",
    "title_line",
    "after_title_near",
    "after_title_mid",
    "after_title_far",
    "before_title",
    "block_log_lines",
    "block_mean_words",
    "after_comment_header",
    "after_copyright",
    "stopword_rate",
    "stopword_rate_long",
    "ui_word_rate",
    "words_1",
    "words_2_3",
    "words_4_7",
    "relative_length",
    "prose_x_window",
)
N_FEATURES = len(FEATURE_NAMES)


def _is_prose(words: int, ends: bool) -> float:
    """Prose-likeness of a line on a 0..1 scale: sentence endings and length count."""
    if words >= 25:
        return 1.0
    if ends and words >= 8:
        return 1.0
    if words >= 12:
        return 0.5
    return 0.0


_COMMENT_HEADER_RE = re.compile(
    r"^(?:\d+\s+)?(?:comments?|responses?|repl(?:y|ies)|discussion)\b"
    r"|^(?:leave|post|add|write|submit)\s+(?:a|your)\s+(?:comment|reply|response)"
    r"|^(?:show|view|see|read)\s+(?:all\s+)?(?:\d+\s+)?comments?",
    re.IGNORECASE,
)
_TITLE_SPLIT = re.compile(r"\s[-|:\u2013\u2014\u00bb]\s")


def find_title_line(tokens: Sequence[list[str]]) -> int:
    """Index of the line (after the first) that best repeats the page title, or -1.

    Why: a dump starts with the page's <title> ("Headline - Site"); the article begins
    where the headline is printed again, so that line anchors the span.

    >>> find_title_line([["Big", "storm", "hits", "Site"], ["Home"], ["Big", "storm", "hits"]])
    2
    """
    first = next((t for t in tokens if t), None)
    if not first:
        return -1
    title = {t.lower() for t in first}
    best, best_cov = -1, 0.5
    start = next(i for i, t in enumerate(tokens) if t) + 1
    for i in range(start, len(tokens)):
        toks = tokens[i]
        if not toks or len(toks) > 3 * len(title) + 3:
            continue
        low = {t.lower() for t in toks}
        inside = len(low & title)
        if inside < 0.8 * len(low) or (inside < 2 and len(title) > 2):
            continue
        cov = inside / len(title)
        if cov > best_cov + 1e-9:
            best, best_cov = i, cov
    return best


def line_features(lines: Sequence[str]) -> list[list[float] | None]:
    """One feature vector per line (``None`` for blank lines), in FEATURE_NAMES order."""
    n = len(lines)
    stripped = [line.strip() for line in lines]
    tokens = [WORD_RE.findall(s) for s in stripped]
    counts = Counter(s for s in stripped if s)
    ends = [s.endswith(_SENTENCE_END) for s in stripped]
    prose = [_is_prose(len(t), e) if t else -1.0 for t, e in zip(tokens, ends, strict=True)]
    nonblank = [i for i in range(n) if tokens[i]]
    order = {line_no: k for k, line_no in enumerate(nonblank)}
    m = len(nonblank)
    title_at = find_title_line(tokens)
    title_k = order.get(title_at, -1)
    block_of = [0] * n
    blocks: list[tuple[int, int]] = []
    i = 0
    while i < n:
        if not tokens[i]:
            i += 1
            continue
        j = i
        while j < n and tokens[j]:
            j += 1
        words = sum(len(tokens[x]) for x in range(i, j))
        for x in range(i, j):
            block_of[x] = len(blocks)
        blocks.append((j - i, words))
        i = j
    has_copyright = [
        bool(t) and bool(_COPYRIGHT_RE.search(s)) for t, s in zip(tokens, stripped, strict=True)
    ]
    comment_seen = [False] * n
    copyright_seen = [False] * n
    c_seen = r_seen = False
    for i in range(n):
        comment_seen[i] = c_seen
        copyright_seen[i] = r_seen
        if tokens[i] and len(tokens[i]) <= 8:
            c_seen = c_seen or bool(_COMMENT_HEADER_RE.search(stripped[i]))
        if tokens[i]:
            r_seen = r_seen or has_copyright[i]
    lengths = sorted(len(tokens[i]) for i in nonblank)
    long_line = max(8, lengths[(9 * len(lengths)) // 10]) if lengths else 8
    out: list[list[float] | None] = [None] * n
    for i in nonblank:
        s = stripped[i]
        toks = tokens[i]
        w = len(toks)
        k = order[i]
        prev_p = prose[nonblank[k - 1]] if k > 0 else 0.0
        next_p = prose[nonblank[k + 1]] if k + 1 < m else 0.0
        window = [prose[nonblank[j]] for j in range(max(0, k - 3), min(m, k + 4)) if j != k]
        lower = [t.lower() for t in toks]
        boiler = sum(1 for t in lower if t in BOILERPLATE_WORDS)
        alpha = [t for t in toks if t[0].isalpha()]
        titled = sum(1 for t in alpha if t[0].isupper())
        digits = sum(1 for t in toks if t.isdigit())
        rel = k / m if m else 0.0
        stop_rate = sum(1 for t in lower if t in STOPWORDS) / w
        win_mean = sum(window) / len(window) if window else 0.0
        out[i] = [
            1.0,
            math.log1p(w),
            float(w >= 8),
            float(w >= 15),
            float(w >= 30),
            float(ends[i]),
            min(len(_INNER_SENTENCE.findall(s)), 5) / 5 if w > 4 else 0.0,
            s.count(",") / w,
            titled / len(alpha) if alpha else 0.0,
            digits / w,
            boiler / w,
            float(boiler > 0 and w <= 4),
            float(bool(_COMMENT_RE.search(s))),
            float(has_copyright[i]),
            float(bool(_SEPARATORS.search(s))),
            float(bool(_DATE_RE.search(s))),
            float("ago" in s and bool(_TIME_AGO_RE.search(s))),
            float(i == 0 or not tokens[i - 1]),
            float(i + 1 >= n or not tokens[i + 1]),
            float(counts[s] > 1),
            prev_p,
            next_p,
            win_mean,
            rel,
            rel * rel,
            float("http" in s or "www." in s or "@" in s),
            float(s.endswith(":")),
            float(s[:1].islower()),
            float(i == title_at),
            float(title_k >= 0 and 0 < k - title_k <= 5),
            float(title_k >= 0 and 5 < k - title_k <= 40),
            float(title_k >= 0 and k - title_k > 40),
            float(title_k >= 0 and k < title_k),
            math.log1p(blocks[block_of[i]][0]),
            math.log1p(blocks[block_of[i]][1] / blocks[block_of[i]][0]),
            float(comment_seen[i]),
            float(copyright_seen[i]),
            stop_rate,
            stop_rate * float(w >= 8),
            sum(1 for t in lower if t in UI_WORDS) / w,
            float(w == 1),
            float(2 <= w <= 3),
            float(4 <= w <= 7),
            min(w / long_line, 2.0),
            win_mean * math.log1p(w),
        ]
    return out


# Neighbour context: these features of the two lines above and the two below (blank lines
# skipped) are appended to each line's own, so that a short line inside a run of prose and
# the same line inside a menu look different to the model.
CONTEXT_FEATURES: tuple[str, ...] = (
    "log_words",
    "ends_sentence",
    "inner_sentences",
    "title_case_rate",
    "boilerplate_rate",
    "stopword_rate",
)
CONTEXT_OFFSETS: tuple[int, ...] = (-1, 1, -2, 2)
_CONTEXT_COLUMNS = [FEATURE_NAMES.index(name) for name in CONTEXT_FEATURES]
DESIGN_WIDTH = N_FEATURES + len(CONTEXT_FEATURES) * len(CONTEXT_OFFSETS)


def design_matrix(features: Sequence[list[float] | None]) -> np.ndarray:
    """Model input: one row per non-blank line, its features then its neighbours' context.

    The fitting script and the scorer both build their input here, so they cannot drift.

    >>> design_matrix(line_features(["Home", "", "News"])).shape == (2, DESIGN_WIDTH)
    True
    """
    rows = [f for f in features if f is not None]
    if not rows:
        return np.zeros((0, DESIGN_WIDTH))
    own = np.asarray(rows, dtype=np.float64)
    ctx = own[:, _CONTEXT_COLUMNS]
    blocks = [own]
    for offset in CONTEXT_OFFSETS:
        shifted = np.zeros_like(ctx)
        if offset < 0 and len(ctx) > -offset:
            shifted[-offset:] = ctx[:offset]
        elif offset > 0 and len(ctx) > offset:
            shifted[:-offset] = ctx[offset:]
        blocks.append(shifted)
    return np.hstack(blocks)
