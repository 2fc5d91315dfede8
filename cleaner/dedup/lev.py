"""rapidfuzz's Levenshtein alignment of two hashed word sequences, compiled.

The template guard reads changed numbers and names off a Levenshtein alignment, where a
word replaced by another faces it (an LCS alignment only deletes and inserts). This is
the alignment of rapidfuzz's `Levenshtein.opcodes`: common prefix and suffix first, the
bit-parallel matrix of Hyyrö (2003), and the same walk back through it, so ties between
equally cheap alignments are broken rapidfuzz's way (a property test holds the opcodes
equal). Opcodes are rows (tag, a0, a1, b0, b1), tags `EQUAL`, `REPLACE`, `INSERT`,
`DELETE`.
"""

from __future__ import annotations

import numpy as np

from cleaner.dedup.jit import compiled
from cleaner.dedup.lcs import common_affix, pattern_of, patterns
from cleaner.dedup.screen_words import word_hash

EQUAL, REPLACE, INSERT, DELETE = 0, 1, 2, 3
TAGS = ("equal", "replace", "insert", "delete")

_ONE = np.uint64(1)
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)


@compiled
def _bit(rows, r, c):  # pragma: no cover - compiled
    return (rows[r, c >> 6] >> np.uint64(c & 63)) & _ONE


@compiled
def _matrix(a, b):  # pragma: no cover - compiled
    """Vertical positive and negative deltas (VP, VN) of every row of the edit matrix."""
    na, nb = len(a), len(b)
    words = max(1, (na + 63) // 64)
    keys, slots, pm = patterns(a, words)
    vp_rows = np.empty((nb, words), np.uint64)
    vn_rows = np.empty((nb, words), np.uint64)
    vp = np.full(words, _ALL, np.uint64)
    vn = np.zeros(words, np.uint64)
    for j in range(nb):
        g = pattern_of(keys, slots, b[j])  # -1: a word of b not in a, no pattern bits
        add_carry = np.uint64(0)
        hp_carry = _ONE
        hn_carry = np.uint64(0)
        for w in range(words):
            x = pm[g, w] if g >= 0 else np.uint64(0)
            v_p, v_n = vp[w], vn[w]
            u = x & v_p
            t1 = u + add_carry
            c1 = t1 < u
            s = t1 + v_p
            c2 = s < t1
            add_carry = _ONE if (c1 or c2) else np.uint64(0)
            d0 = (s ^ v_p) | x | v_n
            hp = v_n | ~(d0 | v_p)
            hn = d0 & v_p
            hp_s = (hp << _ONE) | hp_carry
            hn_s = (hn << _ONE) | hn_carry
            hp_carry = hp >> np.uint64(63)
            hn_carry = hn >> np.uint64(63)
            vp[w] = hn_s | ~(d0 | hp_s)
            vn[w] = hp_s & d0
        vp_rows[j, :] = vp
        vn_rows[j, :] = vn
    return vp_rows, vn_rows


@compiled
def lev_opcodes(ha, hb):  # pragma: no cover - compiled
    """rapidfuzz's `Levenshtein.opcodes(ha, hb)` as rows (tag, a0, a1, b0, b1)."""
    n, m = len(ha), len(hb)
    p, s = common_affix(ha, hb)
    a = ha[p : n - s]
    b = hb[p : m - s]
    na, nb = len(a), len(b)
    # Edit operations (tag, position in a, position in b), walked back from the end.
    et = np.empty(na + nb, np.int64)
    ea = np.empty(na + nb, np.int64)
    eb = np.empty(na + nb, np.int64)
    k = 0
    col, row = na, nb
    if na > 0 and nb > 0:
        vp_rows, vn_rows = _matrix(a, b)
        while row != 0 and col != 0:
            if _bit(vp_rows, row - 1, col - 1):
                col -= 1
                et[k], ea[k], eb[k] = DELETE, col, row
                k += 1
            else:
                row -= 1
                if row and _bit(vn_rows, row - 1, col - 1):
                    et[k], ea[k], eb[k] = INSERT, col, row
                    k += 1
                else:
                    col -= 1
                    if a[col] != b[row]:
                        et[k], ea[k], eb[k] = REPLACE, col, row
                        k += 1
    while col != 0:
        col -= 1
        et[k], ea[k], eb[k] = DELETE, col, row
        k += 1
    while row != 0:
        row -= 1
        et[k], ea[k], eb[k] = INSERT, col, row
        k += 1
    # Editops to opcodes (rapidfuzz's `Editops.as_opcodes`), in text order.
    ops = np.empty((2 * k + 2, 5), np.int64)
    no = 0
    sa = sb = 0
    i = k - 1
    while i >= 0:
        xa, xb = ea[i] + p, eb[i] + p
        if sa < xa or sb < xb:
            ops[no, 0], ops[no, 1], ops[no, 2], ops[no, 3], ops[no, 4] = EQUAL, sa, xa, sb, xb
            no += 1
            sa, sb = xa, xb
        a0, b0, tag = sa, sb, et[i]
        while i >= 0 and et[i] == tag and sa == ea[i] + p and sb == eb[i] + p:
            if tag == REPLACE:
                sa += 1
                sb += 1
            elif tag == INSERT:
                sb += 1
            else:
                sa += 1
            i -= 1
        ops[no, 0], ops[no, 1], ops[no, 2], ops[no, 3], ops[no, 4] = tag, a0, sa, b0, sb
        no += 1
    if sa < n or sb < m:
        ops[no, 0], ops[no, 1], ops[no, 2], ops[no, 3], ops[no, 4] = EQUAL, sa, n, sb, m
        no += 1
    return ops[:no]


def opcodes(a: list[str], b: list[str]) -> list[tuple[str, int, int, int, int]]:
    """`lev_opcodes` of two word lists, compared lower-cased, as rapidfuzz's tuples.

    >>> opcodes("the cat sat".split(), "the dog sat down".split())
    [('equal', 0, 1, 0, 1), ('replace', 1, 2, 1, 2), ('equal', 2, 3, 2, 3), ('insert', 3, 3, 3, 4)]
    """
    ha = np.array([word_hash(w.lower()) for w in a], np.uint64)
    hb = np.array([word_hash(w.lower()) for w in b], np.uint64)
    return [(TAGS[t], x0, x1, y0, y1) for t, x0, x1, y0, y1 in lev_opcodes(ha, hb).tolist()]
