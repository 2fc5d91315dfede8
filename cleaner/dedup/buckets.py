"""Compiled kernels of the candidate search (`lsh.candidate_arrays`): band-key entries.

Each is one linear pass over the (row, band) entries of a batch, tens of millions at a
million stories, where numpy would hold several temporaries of that size; `lsh` holds
their typed entry points and the specification (tests/test_dedup_lsh.py).
"""

from __future__ import annotations

import numpy as np

from cleaner.dedup.jit import compiled

_HIGH = 1 << 31  # keys at or above it sort after all the others
RANK = np.int64(0x7FFFFFFF)  # the rank bits of a packed bucket entry (`buckets`)


@compiled
def count_entries(keys):  # pragma: no cover - compiled
    """(non-zero low-32-bit keys below 2**31, those at or above it)."""
    low = high = 0
    for i in range(keys.shape[0]):
        for j in range(keys.shape[1]):
            k = np.uint64(keys[i, j]) & np.uint64(0xFFFFFFFF)
            if k >= _HIGH:
                high += 1
            elif k != 0:
                low += 1
    return low, high


@compiled
def fill_entries(keys, order, out, n_low):  # pragma: no cover - compiled
    """`key << 32 | order[row]` of each non-zero key: keys below 2**31 from out[0],
    the others from out[n_low], in row then band order."""
    lo, hi = 0, n_low
    for i in range(keys.shape[0]):
        r = np.uint64(order[i])
        for j in range(keys.shape[1]):
            k = np.uint64(keys[i, j]) & np.uint64(0xFFFFFFFF)
            if k == 0:
                continue
            if k >= _HIGH:
                out[hi] = (k << np.uint64(32)) | r
                hi += 1
            else:
                out[lo] = (k << np.uint64(32)) | r
                lo += 1


@compiled
def buckets(entries, max_bucket, bucket_top):  # pragma: no cover - compiled
    """The entries of buckets of two or more, from sorted `key << 32 | rank` entries.

    Per such entry one int64, `start << 32 | small << 31 | rank` (`RANK` masks the
    rank): its bucket's first position and whether the bucket is small. The entry's
    partners are the members before it, at most `bucket_top` in a bucket of more than
    `max_bucket` (`partners`). One word, so pairing an entry costs one random read, not
    one per field. Also the positions of the entries with partners.
    """
    m = len(entries)
    kept = 0
    i = 0
    while i < m:
        j = bucket_end(entries, i)
        if j - i > 1:
            kept += j - i
        i = j
    packed = np.empty(kept, np.int64)
    has = np.empty(kept, np.int32)
    out = h = i = 0
    while i < m:
        j = bucket_end(entries, i)
        size = j - i
        if size > 1:
            small = np.int64(1) if size <= max_bucket else np.int64(0)
            for t in range(size):
                rank = np.int64(entries[i + t] & np.uint64(0xFFFFFFFF))
                packed[out + t] = (np.int64(out) << 32) | (small << 31) | rank
                if t > 0:
                    has[h] = out + t
                    h += 1
            out += size
        i = j
    return packed, has[:h]


@compiled
def partners(packed, e, bucket_top):  # pragma: no cover - compiled
    """(rank, first partner's position, partners' count, small bucket) of entry e."""
    p = packed[e]
    start = p >> 32
    small = (p >> 31) & 1
    t = e - start
    return p & RANK, start, t if small else min(t, bucket_top), small


@compiled
def bucket_end(entries, i):  # pragma: no cover - compiled
    """The position after the last entry with entry i's key."""
    key = entries[i] >> np.uint64(32)
    j = i + 1
    while j < len(entries) and entries[j] >> np.uint64(32) == key:
        j += 1
    return j


@compiled
def by_chunk(entries, row, mask, chunk, n_groups):  # pragma: no cover - compiled
    """`entries` stably grouped by `(row[entry] & mask) // chunk` (a counting sort), and
    the groups' bounds."""
    bounds = np.zeros(n_groups + 1, np.int64)
    for e in entries:
        bounds[(row[e] & mask) // chunk + 1] += 1
    for g in range(n_groups):
        bounds[g + 1] += bounds[g]
    at = bounds[:-1].copy()
    out = np.empty_like(entries)
    for e in entries:
        g = (row[e] & mask) // chunk
        out[at[g]] = e
        at[g] += 1
    return out, bounds


@compiled
def pack_pairs(packed, sel, base, bucket_top):  # pragma: no cover - compiled
    """Each partner occurrence of the entries `sel` as `(left - base) << 33 | right << 1
    | rare` (`lsh._best_packed`); entries as `buckets` packs them. A row with the same
    key in two bands is not its own partner."""
    total = 0
    for e in sel:
        total += partners(packed, e, bucket_top)[2]
    out = np.empty(total, np.int64)
    k = 0
    for e in sel:
        left, start, count, small = partners(packed, e, bucket_top)
        for t in range(count):
            right = packed[start + t] & RANK
            if right < left:
                out[k] = ((left - base) << 33) | (right << 1) | small
                k += 1
    return out[:k]


# Tonight against the index (`lsh.cross_pairs`): only the history's keys that tonight
# may share are sorted, not all of them (82 million at a million stories).
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_FILTER_BITS = 25  # a 4 MB bit filter: a fraction of a random key passes it


@compiled
def key_filter(keys):  # pragma: no cover - compiled
    """A bit filter of the non-zero keys (low 32 bits) of `keys`: a key among them
    always passes `passes`, another one rarely."""
    seen = np.zeros(1 << (_FILTER_BITS - 6), np.uint64)
    for i in range(keys.shape[0]):
        for j in range(keys.shape[1]):
            k = np.uint64(keys[i, j]) & np.uint64(0xFFFFFFFF)
            if k != 0:
                f = _filter_bit(k)
                seen[f >> np.uint64(6)] |= np.uint64(1) << (f & np.uint64(63))
    return seen


@compiled
def _filter_bit(k):  # pragma: no cover - compiled
    """Key k's bit in the filter."""
    return (k * _GOLDEN) >> np.uint64(64 - _FILTER_BITS)


@compiled
def passes(seen, k):  # pragma: no cover - compiled
    """Whether non-zero key k (low 32 bits) passes the filter."""
    f = _filter_bit(k)
    return k != 0 and (seen[f >> np.uint64(6)] >> (f & np.uint64(63))) & np.uint64(1) != 0


@compiled
def filtered_entries(keys, order, seen):  # pragma: no cover - compiled
    """`key << 32 | order[row]` of each key of `keys` that passes the filter, in row
    then band order (`fill_entries` of those keys only)."""
    n = 0
    for i in range(keys.shape[0]):
        for j in range(keys.shape[1]):
            if passes(seen, np.uint64(keys[i, j]) & np.uint64(0xFFFFFFFF)):
                n += 1
    out = np.empty(n, np.uint64)
    n = 0
    for i in range(keys.shape[0]):
        r = np.uint64(order[i])
        for j in range(keys.shape[1]):
            k = np.uint64(keys[i, j]) & np.uint64(0xFFFFFFFF)
            if passes(seen, k):
                out[n] = (k << np.uint64(32)) | r
                n += 1
    return out
