"""Star clusters from the verified matches, held as arrays and walked by compiled code.

`cluster.assign` verifies the candidate pairs; this module groups the matches into
stars (`cluster` says why stars): the best-connected story first becomes a centre and
takes its matches that no centre took before, in keep-rule order. A story longer than
the centre joins only if it matches the longer members already in (when it contains
the centre) or is not told apart from them by the template guard (otherwise): a short
text found inside two longer ones (a shared standard lead, a cut templated story) says
nothing about whether the longer ones are one story, and another club's report on the
same template can be close to an excerpt of this one.

A million stories give about a million matches. As dicts of dicts they cost ~0.4 GB
and seconds of scattered lookups that grow faster than the batch; here they are two
int arrays and their verdicts, and the walk is one compiled loop. The loop hands a
centre back to Python only when its rule needs a pair that was never verified (a longer
story and a longer member that are not a match): `stars` asks the verifier, settles that
centre, and the loop goes on from the next one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from cleaner.dedup.jit import compiled, frozen
from cleaner.dedup.keys import I64
from cleaner.dedup.verify import Verdict

# Whether rows x and y are one story (`matches`) / one template with other facts
# (`told_apart`), asked of pairs that are not matches; rows in any order.
PairCheck = Callable[[int, int], bool]


@dataclass(frozen=True)
class Matches:
    """The verified matches of a batch: rows a[i] and b[i] are copies, as verdicts[i] says.

    Each pair of rows is listed once; `keys` are the pairs' keys (`is_match`), sorted.
    """

    a: I64
    b: I64
    verdicts: Sequence[Verdict]
    keys: I64

    @staticmethod
    def of(a: I64, b: I64, verdicts: Sequence[Verdict]) -> Matches:
        """The matches, a pair listed twice kept once, with its later verdict.

        >>> v, w = (Verdict(True, k, 1.0, 1.0, (), "") for k in ("near", "contained"))
        >>> m = Matches.of(np.array([3, 1, 2]), np.array([1, 3, 0]), [v, w, v])
        >>> m.a.tolist(), m.b.tolist(), [x.kind for x in m.verdicts]
        ([1, 2], [3, 0], ['contained', 'near'])
        """
        a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
        key = (np.minimum(a, b) << 32) | np.maximum(a, b)  # one per unordered pair
        keys, last = np.unique(key[::-1], return_index=True)
        keep = np.sort(len(key) - 1 - last)
        if len(keep) == len(key):
            return Matches(a, b, list(verdicts), keys)
        return Matches(a[keep], b[keep], [verdicts[i] for i in keep.tolist()], keys)


@compiled
def is_match(keys, x, y):  # pragma: no cover - compiled
    """Whether rows x and y are a match, by the sorted pair keys of `Matches`."""
    pair = (min(x, y) << 32) | max(x, y)
    at = np.searchsorted(keys, pair)
    return at < len(keys) and keys[at] == pair


@dataclass(frozen=True)
class Stars:
    """Where each row went: its centre (-1: in no star) and the match by which it joined
    (an index into `Matches`; -1 for a centre and a row in no star)."""

    centre: I64
    joined_by: I64


def stars(
    m: Matches,
    rank: I64,
    n_tokens: I64,
    extra: I64,
    matches: PairCheck,
    told_apart: PairCheck,
) -> Stars:
    """Stars of the matches among `len(rank)` rows; the best-connected row first.

    A row's weight is its number of matches plus `extra` (its exact copies); ties go to
    the better rank. `matches` and `told_apart` are asked only of pairs that are not in
    `m`.

    >>> v = Verdict(True, "near", 1.0, 1.0, (), "")
    >>> m = Matches.of(np.array([1, 2, 4]), np.array([0, 0, 3]), [v, v, v])
    >>> no = lambda x, y: False
    >>> s = stars(m, np.arange(5), np.full(5, 100), np.zeros(5, np.int64), no, no)
    >>> s.centre.tolist(), s.joined_by.tolist()
    ([0, 0, 0, 3, 3], [-1, 0, 1, -1, 2])
    """
    n = len(rank)
    centre = np.full(n, -1, np.int64)
    joined_by = np.full(n, -1, np.int64)
    if len(m.a) == 0:
        return Stars(centre, joined_by)
    n_edges = len(m.a)
    src = np.concatenate([m.a, m.b])
    dst = np.concatenate([m.b, m.a])
    edge = np.concatenate([np.arange(n_edges), np.arange(n_edges)])
    by = np.lexsort((rank[dst], src))  # each row's matches, best-ranked partner first
    partner, edge = dst[by], edge[by]
    degree = np.bincount(src, minlength=n)
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(degree, out=indptr[1:])
    rows = np.flatnonzero(degree)
    centres = rows[np.lexsort((rank[rows], -(degree[rows] + extra[rows])))]
    contained = np.array([v.kind == "contained" for v in m.verdicts], np.bool_)
    keys = frozen(m.keys, np.int64)
    width = int(degree.max()) + 1  # a centre and its matches
    args = (
        frozen(centres, np.int64),
        frozen(indptr, np.int64),
        frozen(partner, np.int64),
        frozen(edge, np.int64),
        frozen(n_tokens, np.int64),
        frozen(contained, np.bool_),
        keys,
        np.empty((3, width), np.int64),  # the walk's scratch: a centre's group so far
    )

    at = 0
    while True:
        at = _walk(at, *args, centre, joined_by)
        if at == len(centres):
            return Stars(centre, joined_by)
        # The walk stopped at a centre whose rule needs a pair that is no match: settle
        # it here as the walk would, asking the verifier, and let the walk go on after it.
        c = int(centres[at])
        group, longer = [(c, -1)], list[int]()
        for k in range(int(indptr[c]), int(indptr[c + 1])):
            o = int(partner[k])
            if centre[o] >= 0:
                continue
            if n_tokens[o] > n_tokens[c]:
                if contained[edge[k]]:
                    if not all(is_match(keys, e, o) or matches(e, o) for e in longer):
                        continue
                    longer.append(o)
                elif any(not is_match(keys, e, o) and told_apart(e, o) for e in longer):
                    continue
            group.append((o, int(edge[k])))
        for o, e in group:
            centre[o], joined_by[o] = c, e
        at += 1


@compiled
def _walk(
    start, centres, indptr, partner, edge, n_tokens, contained, keys, scratch, centre, joined_by
):  # pragma: no cover - compiled
    """Settle centres[start:] in order; stop at the first whose rule needs a pair that
    is no match (its position is returned; len(centres) when all are settled).

    A story longer than the centre joins as `stars` says; when every longer member
    already in matches it, the answer needs no verification: it joins (and, if it
    contains the centre, counts as a longer member itself).
    """
    group, via, longer = scratch[0], scratch[1], scratch[2]
    for p in range(start, len(centres)):
        c = centres[p]
        if centre[c] >= 0:
            continue
        n_group, n_longer, handed = 0, 0, False
        for k in range(indptr[c], indptr[c + 1]):
            o = partner[k]
            if centre[o] >= 0:
                continue
            if n_tokens[o] > n_tokens[c]:
                for t in range(n_longer):
                    if not is_match(keys, longer[t], o):
                        handed = True
                        break
                if handed:
                    break
                if contained[edge[k]]:
                    longer[n_longer] = o
                    n_longer += 1
            group[n_group] = o
            via[n_group] = edge[k]
            n_group += 1
        if handed:
            return p
        centre[c] = c
        for t in range(n_group):
            centre[group[t]] = c
            joined_by[group[t]] = via[t]
    return len(centres)
