"""Star clusters (`dedup.stars`): the compiled walk gives the stars of the plain rule.

The rule, as `cluster` states it and as it was first written (dicts of matches, one
centre at a time, best-connected first): a centre takes its free matches in rank order;
one longer than the centre joins only if it matches the longer members already in (when
it contains the centre) or is not told apart from them (otherwise). The compiled walk
hands a centre back to Python when that needs a pair that is not a match; the property
test holds the two equal on random match graphs, the cases below pin what the rule does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.dedup.stars import Matches, Stars, stars
from cleaner.dedup.verify import Verdict

NEAR = Verdict(True, "near", 0.9, 0.9, (), "test")
CONTAINED = Verdict(True, "contained", 0.5, 0.95, (), "test")
Pair = tuple[int, int]


@dataclass(frozen=True)
class Graph:
    """Rows 0..n-1 (row i ranked i), their matches (a, b, contained) and what the
    verifier says of pairs that are no match (as (smaller, larger) rows)."""

    pairs: list[tuple[int, int, bool]]
    n_tokens: list[int]
    extra: list[int]  # exact copies of each row
    other_match: frozenset[Pair] = frozenset()
    other_apart: frozenset[Pair] = frozenset()


def _reference(g: Graph) -> tuple[list[int], list[int]]:
    """The rule with dicts: (centre of each row, match it joined by)."""
    n = len(g.n_tokens)
    edges: dict[int, dict[int, int]] = {}
    for i, (a, b, _) in enumerate(g.pairs):
        edges.setdefault(a, {})[b] = i
        edges.setdefault(b, {})[a] = i

    def matches(x: int, y: int) -> bool:
        return y in edges.get(x, {}) or (min(x, y), max(x, y)) in g.other_match

    def told_apart(x: int, y: int) -> bool:
        return y not in edges.get(x, {}) and (min(x, y), max(x, y)) in g.other_apart

    centre, joined = [-1] * n, [-1] * n
    for c in sorted(edges, key=lambda r: (-(len(edges[r]) + g.extra[r]), r)):
        if centre[c] >= 0:
            continue
        group, longer = [(c, -1)], list[int]()
        for o in sorted(edges[c]):
            if centre[o] >= 0:
                continue
            e = edges[c][o]
            if g.n_tokens[o] > g.n_tokens[c]:
                if g.pairs[e][2]:
                    if not all(matches(x, o) for x in longer):
                        continue
                    longer.append(o)
                elif any(told_apart(x, o) for x in longer):
                    continue
            group.append((o, e))
        for o, e in group:
            centre[o], joined[o] = c, e
    return centre, joined


def _stars(g: Graph, asked: list[Pair] | None = None) -> Stars:
    """`stars` on the graph; the pairs it asks the verifier about go to `asked`."""

    def check(table: frozenset[Pair]) -> Callable[[int, int], bool]:
        def ask(x: int, y: int) -> bool:
            if asked is not None:
                asked.append((x, y))
            return (min(x, y), max(x, y)) in table

        return ask

    m = Matches.of(
        np.array([a for a, _, _ in g.pairs], np.int64),
        np.array([b for _, b, _ in g.pairs], np.int64),
        [CONTAINED if c else NEAR for _, _, c in g.pairs],
    )
    n = len(g.n_tokens)
    return stars(
        m,
        np.arange(n, dtype=np.int64),
        np.array(g.n_tokens, np.int64),
        np.array(g.extra, np.int64),
        check(g.other_match),
        check(g.other_apart),
    )


@st.composite
def _graphs(draw: st.DrawFn) -> Graph:
    n = draw(st.integers(2, 12))
    all_pairs = [(a, b) for a in range(n) for b in range(a)]
    chosen = draw(st.lists(st.sampled_from(all_pairs), unique=True, max_size=24))
    others = [(b, a) for a, b in all_pairs if (a, b) not in chosen]
    some = st.lists(st.sampled_from(others), unique=True) if others else st.just([])
    return Graph(
        pairs=[(a, b, draw(st.booleans())) for a, b in chosen],
        n_tokens=draw(st.lists(st.integers(10, 14), min_size=n, max_size=n)),
        extra=draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)),
        other_match=frozenset(draw(some)),
        other_apart=frozenset(draw(some)),
    )


@settings(max_examples=300, deadline=None)
@given(_graphs())
def test_the_compiled_walk_gives_the_stars_of_the_plain_rule(g: Graph) -> None:
    got = _stars(g)
    assert (got.centre.tolist(), got.joined_by.tolist()) == _reference(g)


def test_a_longer_copy_that_does_not_match_a_longer_member_stays_out() -> None:
    # Centre 0 (most matches) is contained in 1 and 2, both longer; 1 and 2 were never
    # verified as a pair: the verifier is asked, says no, and 2 stays out (a star of its
    # own). Said yes, 2 joins.
    pairs = [(1, 0, True), (2, 0, True), (3, 0, False)]
    asked: list[Pair] = []
    got = _stars(Graph(pairs, [10, 20, 20, 10], [0] * 4), asked)
    assert got.centre.tolist() == [0, 0, 2, 0]
    assert asked == [(1, 2)]
    yes = Graph(pairs, [10, 20, 20, 10], [0] * 4, other_match=frozenset({(1, 2)}))
    assert _stars(yes).centre.tolist() == [0] * 4


def test_longer_members_that_match_each_other_need_no_verification() -> None:
    pairs = [(1, 0, True), (2, 0, True), (2, 1, False)]
    asked: list[Pair] = []
    got = _stars(Graph(pairs, [10, 20, 20], [0] * 3), asked)
    # 0, 1 and 2 all have two matches: 0 (best rank) is the centre and takes both.
    assert got.centre.tolist() == [0, 0, 0]
    assert got.joined_by.tolist() == [-1, 0, 1]
    assert asked == []


def test_a_longer_look_alike_told_apart_from_a_longer_member_stays_out() -> None:
    # 2 is close to the centre (not contained) and longer; the guard tells it apart from
    # 1, already in: it stays out. Not told apart, it joins.
    pairs = [(1, 0, True), (2, 0, False)]
    apart = _stars(Graph(pairs, [10, 20, 20], [0] * 3, other_apart=frozenset({(1, 2)})))
    assert apart.centre.tolist() == [0, 0, 2]
    assert _stars(Graph(pairs, [10, 20, 20], [0] * 3)).centre.tolist() == [0, 0, 0]


def test_exact_copies_count_towards_the_centre() -> None:
    # 1 has one match and two exact copies: it is the centre, not 0 with two matches;
    # 2 is left a star of its own.
    pairs = [(1, 0, False), (2, 0, False)]
    assert _stars(Graph(pairs, [10] * 3, [0, 2, 0])).centre.tolist() == [1, 1, 2]
    assert _stars(Graph(pairs, [10] * 3, [0] * 3)).centre.tolist() == [0, 0, 0]
