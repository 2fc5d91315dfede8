"""Words of a folded text as the compiled screen reads them (numba kernels).

A row of `keys.Words` is UTF-8 words separated by spaces. The screen never builds a
Python string: it hashes each word lower-cased (ASCII and Latin-1 capitals), flags it as
a number, a name or a fact by the rules `verify` applies to Python strings (a property
test holds them equal), and decodes a word's letters only when two words must be
compared letter by letter (a typo, a misspelt name).
"""

from __future__ import annotations

import numpy as np

from cleaner.dedup.jit import compiled

# Capitalised words that are not names: sentence starts, headline words and the words of
# page furniture lines ("Share this article", "Read more", "Comments (0)"), which a copy
# carries in other places than the other and which are never a template's facts.
_NOT_NAME_WORDS = """
    a an the this that these those it its he she they we i you his her their our my
    in on at of for from by with to as and or but if when while after before since
    said says there here what who which where why how not no yes one two three new
    mr mrs ms dr monday tuesday wednesday thursday friday saturday sunday
    advertisement sponsored share follow read more click subscribe print page related
    stories comments photo updated
"""
NOT_NAMES = frozenset(_NOT_NAME_WORDS.split())

NUMBER, NAME, FACT = 1, 2, 4  # word flags


_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


def word_hash(word: str) -> int:
    """The screen's hash of a lower-cased word: FNV-1a over its UTF-8 bytes.

    >>> word_hash("the") == word_hash("the"), word_hash("the") == word_hash("a")
    (True, False)
    """
    h = 0xCBF29CE484222325
    for byte in word.encode("utf-8"):
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


@compiled
def parse_row(buf, s, e, not_names):  # pragma: no cover
    """Words of one row as byte spans, with lower-case hashes and flags, in one pass.

    ok is False when a character is outside what the screen case-folds (ASCII and
    Latin-1 letters and digits): such rows are passed on unscreened. A Latin-1 letter
    is two bytes, 0xC3 and a second byte; 0xC3 0x80-0x9E (but 0x97, the multiplication
    sign) are capitals, lower-cased by adding 32 to the second byte.
    """
    cap = (e - s + 2) // 2  # a word and its space take 2+ bytes
    start = np.empty(cap, np.int64)
    size = np.empty(cap, np.int64)
    h = np.empty(cap, np.uint64)
    flags = np.empty(cap, np.uint8)
    ok = True
    t = 0
    i = s
    while i < e:
        c = buf[i]
        if c == 32:
            i += 1
            continue
        first = i
        first_upper = 65 <= c <= 90 or (
            c == 0xC3 and i + 1 < e and 0x80 <= buf[i + 1] <= 0x9E and buf[i + 1] != 0x97
        )
        first_digit = 48 <= c <= 57
        hv = _FNV_OFFSET
        digits = True
        chars = 0
        while i < e:
            c = buf[i]
            if c == 32:
                break
            i += 1
            if c < 0x80:  # ASCII, most bytes
                chars += 1
                if c < 48 or c > 57:
                    digits = False
                if 65 <= c <= 90:
                    c += 32
                hv = (hv ^ np.uint64(c)) * _FNV_PRIME
                continue
            digits = False
            if c >= 0xC0:
                chars += 1
            hv = (hv ^ np.uint64(c)) * _FNV_PRIME
            if c != 0xC3:
                ok = False  # outside Latin-1, or a stray continuation byte
            elif i < e and 0x80 <= buf[i] <= 0xBF:  # the letter's second byte
                d = buf[i]
                i += 1
                if d <= 0x9E and d != 0x97:
                    d += 32
                hv = (hv ^ np.uint64(d)) * _FNV_PRIME
        start[t] = first
        size[t] = i - first
        h[t] = hv
        f = 0
        if digits:
            f |= NUMBER
        if first_digit or (first_upper and chars >= 2):
            f |= FACT
        if first_upper and chars >= 2:
            j = np.searchsorted(not_names, hv)
            if j >= len(not_names) or not_names[j] != hv:
                f |= NAME
        flags[t] = f
        t += 1
    return start[:t], size[:t], h[:t], flags[:t], ok


@compiled
def letters(buf, s, n, lower):  # pragma: no cover - compiled
    """Code points of a Latin-1 word's UTF-8 bytes buf[s:s+n], lower-cased if asked."""
    out = np.empty(n, np.int32)
    k = 0
    i = s
    while i < s + n:
        c = np.int32(buf[i])
        if c == 0xC3:
            c = 0xC0 + (buf[i + 1] & 0x3F)
            i += 2
        else:
            i += 1
        if lower and ((65 <= c <= 90) or (0xC0 <= c <= 0xDE and c != 0xD7)):
            c += 32
        out[k] = c
        k += 1
    return out[:k]


@compiled
def _levenshtein(x, y):  # pragma: no cover - compiled
    lx, ly = len(x), len(y)
    prev = np.arange(ly + 1)
    cur = np.empty(ly + 1, np.int64)
    for i in range(1, lx + 1):
        cur[0] = i
        for j in range(1, ly + 1):
            cost = 0 if x[i - 1] == y[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
        prev, cur = cur, prev
    return prev[ly]


@compiled
def _lcs_len(x, y):  # pragma: no cover - compiled
    lx, ly = len(x), len(y)
    prev = np.zeros(ly + 1, np.int64)
    cur = np.zeros(ly + 1, np.int64)
    for i in range(1, lx + 1):
        for j in range(1, ly + 1):
            if x[i - 1] == y[j - 1]:
                cur[j] = prev[j - 1] + 1
            else:
                cur[j] = max(prev[j], cur[j - 1])
        prev, cur = cur, prev
    return prev[ly]


@compiled
def same_word(x, y):  # pragma: no cover - compiled
    """`align.same_word` on lower-cased code points."""
    lx, ly = len(x), len(y)
    if lx < 3 or ly < 3:
        return False
    dx = 0
    for c in x:
        if 48 <= c <= 57:
            dx += 1
    dy = 0
    for c in y:
        if 48 <= c <= 57:
            dy += 1
    if dx == lx or dy == ly:
        return False
    if dx > 0 and dy > 0:
        if dx != dy:
            return False
        i = j = 0
        for _ in range(dx):
            while not (48 <= x[i] <= 57):
                i += 1
            while not (48 <= y[j] <= 57):
                j += 1
            if x[i] != y[j]:
                return False
            i += 1
            j += 1
    k = 1 if max(lx, ly) < 5 else 2
    if abs(lx - ly) > k:
        return False
    return _levenshtein(x, y) <= k


# Letters OCR misreads for others, as (read, meant) code points, applied in this order:
# "1" and "i" for "l", "0" for "o", then "rn" for "m", "cl" for "d", "vv" for "w".
# guard.OCR_MISREADS is the same list as text; a property test holds the two equal.
OCR_PAIRS = ((114, 110, 109), (99, 108, 100), (118, 118, 119))
OCR_SINGLES = ((49, 108), (105, 108), (48, 111))


@compiled
def ocr_key(x):  # pragma: no cover - compiled
    """Lower-cased code points with OCR misreads undone: `guard.ocr_key`."""
    out = x.copy()
    n = len(out)
    for q in OCR_SINGLES:
        for i in range(n):
            if out[i] == q[0]:
                out[i] = q[1]
    for p in OCR_PAIRS:
        k = 0
        i = 0
        while i < n:
            if i + 1 < n and out[i] == p[0] and out[i + 1] == p[1]:
                out[k] = p[2]
                i += 2
            else:
                out[k] = out[i]
                i += 1
            k += 1
        n = k
    return out[:n]


@compiled
def same_name(xc, yc, xl, yl, name_similarity):  # pragma: no cover
    """`guard.same_name`: one edit (two in long names) apart, or ratio >= the setting,
    or one edit (two) apart once OCR misreads are undone."""
    edits = 1 if len(xc) < 8 else 2
    if _levenshtein(xl, yl) <= edits:
        return True
    total = len(xc) + len(yc)
    if total > 0 and 2.0 * _lcs_len(xc, yc) / total >= name_similarity:
        return True
    return _levenshtein(ocr_key(xl), ocr_key(yl)) <= edits


@compiled
def other_name(xl, yl, similarity):  # pragma: no cover - compiled
    """`guard.other_name` on lower-cased code points: names of 4+ letters sharing few
    letters once OCR misreads are undone (the ratio computed as rapidfuzz's `fuzz.ratio`)."""
    if len(xl) < 4 or len(yl) < 4:
        return False
    kx, ky = ocr_key(xl), ocr_key(yl)
    total = len(kx) + len(ky)
    ratio = 100.0 * (1.0 - (total - 2 * _lcs_len(kx, ky)) / total) if total else 100.0
    return ratio < 100 * similarity
