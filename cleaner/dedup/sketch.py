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
stays below the count expected at its floor (`SlotFloor`) is not verified: the Jaccard at
which the smaller body would be `candidate_min_containment` contained in the larger, and
at least `candidate_min_jaccard`. On the benchmark corpus, 200k and 1M stories verify
2.16 and 2.31 candidates per story with this floor, 2.31 and 2.62 with the Jaccard floor
alone.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from cleaner.dedup.jit import compiled, frozen
from cleaner.dedup.keys import I64, U8

if TYPE_CHECKING:
    from cleaner.config import DedupConfig

Ints = npt.NDArray[np.integer]
_CHANCE = 1 / 256  # two unrelated slots share their low byte
_THREADS = 2  # the box's cores; the counts do not depend on it


@dataclass(frozen=True, slots=True)
class SlotFloor:
    """The least agreement a candidate pair needs, from the sizes of its two bodies.

    Bodies of a and b shingles sharing s have Jaccard J = s / (a + b - s), and the
    smaller one is contained in the larger to C = s / min(a, b). Verification judges
    containment (a copy cut to a fifth of its story is a duplicate), so the floor is the
    Jaccard at which the smaller body would be `min_containment` contained,
    J = C m / (a + b - C m) with m = min(a, b), and never below `min_jaccard`: for two
    bodies of one size, C 0.2 is J 0.11; for a body a fifth of the other's size, J 0.035
    and `min_jaccard` decides.

    >>> f = SlotFloor(128, 0.06, 0.2, 3)
    >>> f.slots(np.array([302, 62, 302, 0]), np.array([302, 302, 5002, 302])).tolist()
    [14, 8, 8, 8]
    >>> SlotFloor(128, 0.0, 0.0, 3).slots(np.array([302]), np.array([302])).tolist()
    [0]
    """

    num_perm: int
    min_jaccard: float
    min_containment: float
    shingle_size: int

    def __post_init__(self) -> None:
        for name in ("min_jaccard", "min_containment"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"candidate_{name} must be in [0, 1], got {getattr(self, name)}")

    @property
    def off(self) -> bool:
        """No floor: every candidate is verified."""
        return self.min_jaccard <= 0.0 and self.min_containment <= 0.0

    @staticmethod
    def of(cfg: DedupConfig) -> SlotFloor:
        return SlotFloor(
            cfg.num_perm, cfg.candidate_min_jaccard, cfg.candidate_min_containment, cfg.shingle_size
        )

    def slots(self, tokens_a: Ints, tokens_b: Ints) -> I64:
        """Slots the bodies of `tokens_a[i]` and `tokens_b[i]` tokens must agree on."""
        a = np.maximum(np.asarray(tokens_a, np.float64) - (self.shingle_size - 1), 1.0)
        b = np.maximum(np.asarray(tokens_b, np.float64) - (self.shingle_size - 1), 1.0)
        cm = self.min_containment * np.minimum(a, b)
        j = np.maximum(self.min_jaccard, cm / (a + b - cm))
        need = np.floor(self.num_perm * (j + (1.0 - j) * _CHANCE)).astype(np.int64)
        return np.where(j > 0.0, need, 0)

    def passing(self, sketch: U8, left: Ints, right: Ints, n_tokens: I64) -> npt.NDArray[np.bool_]:
        """Whether rows `left[i]` and `right[i]` agree on their floor's slots at least.

        `agreement(...) >= slots(n_tokens[left], n_tokens[right])`, the floors computed in
        a compiled loop rather than as float arrays of a million candidates.

        >>> s = np.array([[1, 2, 3], [1, 2, 4], [9, 9, 9]], np.uint8)
        >>> f = SlotFloor(3, 0.5, 0.0, 3)
        >>> f.passing(s, np.array([0, 0, 1]), np.array([1, 2, 1]), np.full(3, 30)).tolist()
        [True, False, True]
        """
        counts = agreement(sketch, left, right)
        a, b = frozen(left, np.int32), frozen(right, np.int32)  # candidates' own dtype
        out = np.empty(len(a), np.bool_)
        floor = (self.num_perm, self.min_jaccard, self.min_containment, self.shingle_size - 1)
        _pass(counts, a, b, frozen(n_tokens, np.int64), *floor, out)
        return out


@compiled
def _pass(counts, left, right, tokens, num_perm, min_j, min_c, less, out):  # pragma: no cover
    """counts[i] >= `SlotFloor.slots` of pair i: the same float operations, pair by pair.

    Apart from `_count`: with the comparison in its loop, the count is not vectorised
    (4x slower on 7M candidates)."""
    for i in range(len(left)):
        sa = max(np.float64(tokens[left[i]]) - less, 1.0)
        sb = max(np.float64(tokens[right[i]]) - less, 1.0)
        cm = min_c * min(sa, sb)
        j = max(min_j, cm / (sa + sb - cm))
        need = np.floor(num_perm * (j + (1.0 - j) * _CHANCE)) if j > 0.0 else 0.0
        out[i] = counts[i] >= need


@compiled
def _count(sketch, left, right, out):  # pragma: no cover - compiled
    k = sketch.shape[1]
    for i in range(len(left)):
        a, b = left[i], right[i]
        n = 0
        for j in range(k):
            n += sketch[a, j] == sketch[b, j]
        out[i] = n


def agreement(sketch: U8, left: Ints, right: Ints) -> U8:
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
