"""rapidfuzz's longest-common-subsequence alignment of two hashed word sequences, compiled.

The screen aligns word hashes with the same bit-parallel LCS as rapidfuzz's
`LCSseq.opcodes`, common prefix and suffix first, and recovers the same equal blocks
(ties broken rapidfuzz's way), so its shared runs are rapidfuzz's (a property test holds
them equal: `screen.equal_blocks`).
"""

from __future__ import annotations

import numpy as np

from cleaner.dedup.jit import compiled

_ONE = np.uint64(1)
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)


@compiled
def patterns(a, words):  # pragma: no cover - compiled
    """Pattern bits of each distinct word of a (`words` 64-bit words each), and the small
    open-addressing table that finds a word's row (the words are hashes already: their
    low bits are the slot). Returns (slot keys, slot rows, pattern rows)."""
    size = 1
    while size < 2 * len(a) + 2:
        size *= 2
    mask = np.uint64(size - 1)
    keys = np.empty(size, np.uint64)
    slots = np.full(size, -1, np.int64)
    pm = np.zeros((len(a), words), np.uint64)  # a row per distinct word at most
    nu = 0
    for pos in range(len(a)):
        q = np.int64(a[pos] & mask)
        while slots[q] >= 0 and keys[q] != a[pos]:
            q = (q + 1) & (size - 1)
        if slots[q] < 0:
            keys[q] = a[pos]
            slots[q] = nu
            nu += 1
        pm[slots[q], pos >> 6] |= _ONE << np.uint64(pos & 63)
    return keys, slots, pm


@compiled
def pattern_of(keys, slots, h):  # pragma: no cover - compiled
    """The pattern row of word h (`patterns`), -1 for a word not in a."""
    size = len(keys)
    q = np.int64(h & np.uint64(size - 1))
    while slots[q] >= 0 and keys[q] != h:
        q = (q + 1) & (size - 1)
    return slots[q]


@compiled
def common_affix(ha, hb):  # pragma: no cover - compiled
    """Lengths of the common prefix and of the common suffix after it, as rapidfuzz
    strips them before aligning."""
    n, m = len(ha), len(hb)
    p = 0
    while p < n and p < m and ha[p] == hb[p]:
        p += 1
    s = 0
    while s < n - p and s < m - p and ha[n - 1 - s] == hb[m - 1 - s]:
        s += 1
    return p, s


@compiled
def lcs_blocks(ha, hb):  # pragma: no cover - compiled
    """Equal blocks (start a, start b, length) of rapidfuzz's LCS alignment of ha and hb."""
    n, m = len(ha), len(hb)
    p, s = common_affix(ha, hb)
    na, nb = n - p - s, m - p - s
    mi = np.empty(min(n, m), np.int64)
    mj = np.empty(min(n, m), np.int64)
    k = 0
    for t in range(p):
        mi[k] = t
        mj[k] = t
        k += 1
    if na > 0 and nb > 0:
        a = ha[p : p + na]
        b = hb[p : p + nb]
        words = (na + 63) // 64
        keys, slots, pm = patterns(a, words)
        rows = np.empty((nb, words), np.uint64)
        cur = np.full(words, _ALL, np.uint64)
        for j in range(nb):
            g = pattern_of(keys, slots, b[j])
            if g >= 0:
                carry = np.uint64(0)
                for w in range(words):
                    sw = cur[w]
                    u = sw & pm[g, w]
                    t1 = sw + carry
                    c1 = t1 < sw
                    x = t1 + u
                    c2 = x < t1
                    carry = np.uint64(1) if (c1 or c2) else np.uint64(0)
                    cur[w] = x | (sw - u)
            rows[j, :] = cur
        col, row = na, nb
        rk = 0
        ri = np.empty(min(na, nb), np.int64)
        rj = np.empty(min(na, nb), np.int64)
        while row > 0 and col > 0:
            if (rows[row - 1, (col - 1) >> 6] >> np.uint64((col - 1) & 63)) & _ONE:
                col -= 1
            else:
                row -= 1
                if row == 0 or (rows[row - 1, (col - 1) >> 6] >> np.uint64((col - 1) & 63)) & _ONE:
                    col -= 1  # a match: the bit above is set, or the first row
                    ri[rk] = col + p
                    rj[rk] = row + p
                    rk += 1
        for t in range(rk - 1, -1, -1):
            mi[k] = ri[t]
            mj[k] = rj[t]
            k += 1
    for t in range(s):
        mi[k] = n - s + t
        mj[k] = m - s + t
        k += 1
    blocks = np.empty((k, 3), np.int64)
    nbk = 0
    for t in range(k):
        if nbk > 0:
            last = blocks[nbk - 1]
            if last[0] + last[2] == mi[t] and last[1] + last[2] == mj[t]:
                last[2] += 1
                continue
        blocks[nbk, 0] = mi[t]
        blocks[nbk, 1] = mj[t]
        blocks[nbk, 2] = 1
        nbk += 1
    return blocks[:nbk]
