"""Slot agreement: the candidates whose bodies have too little in common are not verified.

A pair becomes a candidate when it shares one band: `rows` slots of the body's or the
lead's MinHash at once. Two different stories whose leads share a sentence (a quote,
an agency's opening line) share a lead band now and then although their bodies have
little else in common, and the more stories a batch holds on one news cycle the more
such pairs there are: on the benchmark corpus they are what grows from 200k stories to
a million (the median rejected candidate agrees on 13 of 128 body slots at 200k and on
7 at 1M; verified duplicates on 72 and 73).

Every story keeps one byte of each of its body's MinHash slots (its sketch,
`lsh.sketches`): two bodies agree on a slot with probability J + (1 - J) / 256, J their
shingle Jaccard, so the agreement over `num_perm` slots estimates J for a few
nanoseconds, next to the microseconds of an alignment. A candidate whose agreement
stays below the count expected at `candidate_min_jaccard` is not verified.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt

from cleaner.dedup.jit import compiled, frozen
from cleaner.dedup.keys import U8

_CHANCE = 1 / 256  # two unrelated slots share their low byte
_THREADS = 2  # the box's cores; the counts do not depend on it


def min_agreement(min_jaccard: float, num_perm: int) -> int:
    """Slots two bodies must agree on: the count expected at `min_jaccard` (0: none).

    >>> min_agreement(0.06, 128), min_agreement(0.0, 128)
    (8, 0)
    """
    if not 0.0 <= min_jaccard <= 1.0:
        raise ValueError(f"candidate_min_jaccard must be in [0, 1], got {min_jaccard}")
    if min_jaccard == 0.0:
        return 0
    return int(num_perm * (min_jaccard + (1.0 - min_jaccard) * _CHANCE))


@compiled
def _count(sketch, left, right, out):  # pragma: no cover - compiled
    k = sketch.shape[1]
    for i in range(len(left)):
        a, b = left[i], right[i]
        n = 0
        for j in range(k):
            n += sketch[a, j] == sketch[b, j]
        out[i] = n


def agreement(sketch: U8, left: npt.NDArray[np.integer], right: npt.NDArray[np.integer]) -> U8:
    """Slots on which the sketches of rows `left[i]` and `right[i]` agree.

    >>> s = np.array([[1, 2, 3], [1, 2, 4], [9, 9, 9]], np.uint8)
    >>> agreement(s, np.array([0, 0, 1]), np.array([1, 2, 1])).tolist()
    [2, 0, 3]
    """
    if sketch.shape[1] > 255:
        raise ValueError(f"sketches of {sketch.shape[1]} slots: at most 255 are counted")
    sk = frozen(sketch, np.uint8)
    a, b = frozen(left, np.int32), frozen(right, np.int32)  # candidates' own dtype
    out = np.empty(len(a), np.uint8)
    cut = len(a) // _THREADS

    def part(lo: int, hi: int) -> None:
        _count(sk, a[lo:hi], b[lo:hi], out[lo:hi])

    with ThreadPoolExecutor(_THREADS) as pool:  # the kernel releases the GIL
        list(pool.map(part, (0, cut), (cut, len(a))))
    return out
