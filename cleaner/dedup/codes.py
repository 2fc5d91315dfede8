"""Word codes: each text of a pair as a string of one character per word, for rapidfuzz.

rapidfuzz aligns two lists of Python strings at a cost that is mostly the lists: a
300-word story is split into 300 string objects, and each is hashed on the way in. Its
alignments (`LCSseq.opcodes`, `Levenshtein.opcodes`) depend only on which elements are
equal, so two strings in which each character stands for one lower-cased word (the same
word, the same character, within the pair) align exactly as the word lists do, and are
written by the compiled screen (`screen.screen_rows`) for each pair it passes, from the
rows it has already parsed, with no object per word. Verification (`verify.check`)
aligns these. Each word's flags (number, name) come along; since the template guard runs
compiled in the screen (`guard_kernel`), nothing in the stage reads them.

Words are told apart by the screen's 64-bit hash of their lower-cased letters
(`screen_words.parse_row`), as the screen's own alignment does: two different words of a
pair share a code only on a hash collision (odds about 1e-8 over a million stories'
verification). Rows the screen does not parse (a letter outside Latin-1) get no codes
and are aligned on their word lists.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cleaner.dedup.jit import compiled
from cleaner.dedup.screen_words import NAME, NUMBER

_SURROGATES = 0xD800  # code points 0xD800-0xDFFF cannot be in a Python str
_MAX_CODE = 0x10FFFF


@dataclass(frozen=True)
class PairCodes:
    """A pair's word codes, and each word's flags (`screen_words.NUMBER`, `NAME`)."""

    a: str
    b: str
    flags_a: bytes
    flags_b: bytes


@compiled
def emit(ha, hb, fa, fb, out, flags, pos):  # pragma: no cover - compiled
    """Write the codes of a pair's word hashes ha, hb (then their flags fa, fb) from
    out[pos]; returns where the next pair starts, or -1 past the last code point."""
    n = len(ha) + len(hb)
    size = 1
    while size < 2 * n:
        size *= 2
    keys = np.empty(size, np.uint64)
    code = np.full(size, -1, np.int64)
    nu = 0
    for side in range(2):
        h = ha if side == 0 else hb
        fl = fa if side == 0 else fb
        for t in range(len(h)):
            q = np.int64(h[t] & np.uint64(size - 1))
            while code[q] >= 0 and keys[q] != h[t]:
                q = (q + 1) & (size - 1)
            if code[q] < 0:
                c = nu + 1
                if c >= _SURROGATES:
                    c += 0x800
                if c > _MAX_CODE:
                    return -1
                keys[q] = h[t]
                code[q] = c
                nu += 1
            out[pos] = code[q]
            flags[pos] = fl[t] & (NUMBER | NAME)
            pos += 1
    return pos


def capacity(
    offsets: npt.NDArray[np.int64], a: npt.NDArray[np.int64], b: npt.NDArray[np.int64]
) -> int:
    """Words pairs (row a[i], row b[i]) hold at most: a word and its space take 2+ bytes."""
    nbytes = (offsets[a + 1] - offsets[a]) + (offsets[b + 1] - offsets[b])
    return int(((nbytes + 2) // 2).sum())


def decode(
    out: npt.NDArray[np.uint32],
    flags: npt.NDArray[np.uint8],
    used: int,
    spans: npt.NDArray[np.int64],
) -> list[PairCodes | None]:
    """The pairs' codes as strings, from what `emit` wrote; spans[i] = (start, len a,
    len b), len a -1 for a pair without codes.

    >>> out = np.array([1, 2, 3, 4, 1, 2], np.uint32)
    >>> flags = np.array([2, 0, 0, 2, 0, 0], np.uint8)
    >>> c = decode(out, flags, 6, np.array([[0, 3, 3], [6, -1, 0]]))
    >>> c[0].a, c[0].b, list(c[0].flags_b), c[1]
    ('\\x01\\x02\\x03', '\\x04\\x01\\x02', [2, 0, 0], None)
    """
    text, fl = out[:used].tobytes().decode("utf-32-le"), flags[:used].tobytes()
    found: list[PairCodes | None] = []
    for start, la, lb in spans.tolist():
        if la < 0:
            found.append(None)
        else:
            mid, end = start + la, start + la + lb
            found.append(PairCodes(text[start:mid], text[mid:end], fl[start:mid], fl[mid:end]))
    return found
