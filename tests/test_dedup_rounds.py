"""Which candidates `cluster.assign` verifies: a story's best `template_stop` first, its
weaker ones (up to `max_candidates`) only when the best ones told something; and earlier
nights' articles, all stories' best ones in one call, the best duplicate winning.

The verifier here is a table: pair -> "copy", "templated" (the template guard stopped
it) or a plain miss, so the tests see exactly which pairs were asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest

from cleaner.config import DedupConfig
from cleaner.dedup.cluster import DocInfo, History, Inputs, assign
from cleaner.dedup.doc import Doc
from cleaner.dedup.keys import I64
from cleaner.dedup.pairs import Candidates, Told
from cleaner.dedup.verify import Verdict

COPY = Verdict(True, "near", 0.9, 0.9, (), "test: a copy")
OTHER = Verdict(False, None, 0.1, 0.1, (), "test: another story")
CFG = DedupConfig(max_candidates=5, template_stop=3, miss_stop=3, workers=1)


def _inputs(
    n: int,
    pairs: list[tuple[int, int]],
    exact: list[int],
    asked: list[tuple[int, int]],
    outcome: dict[tuple[int, int], str],
) -> Inputs:
    """Rows 0..n-1 (row 0 ranks best) with these candidate pairs (row, better row), the
    first listed of a row sharing the most bands, verified by the `outcome` table."""
    rare = [len(pairs) - k for k in range(len(pairs))]  # earlier in the table = better
    return Inputs(
        infos=[DocInfo(f"d{k:02d}", True, "s", None, None, 50) for k in range(n)],
        order=np.arange(n, dtype=np.int64),
        exact=np.array(exact, np.uint64),
        pairs=Candidates(
            np.array([r for r, _ in pairs], np.int32),
            np.array([b for _, b in pairs], np.int32),
            np.array(rare, np.int32),
            np.array(rare, np.int32),
        ),
        doc=lambda row: Doc.of(f"text {row}"),
        verify_rows=_table(outcome, asked),
    )


def _table(
    outcome: dict[tuple[int, int], str], asked: list[tuple[int, int]]
) -> Callable[..., Told]:
    """A bulk verifier that reads verdicts of pairs (row, partner) off `outcome`."""

    def verify_rows(better: I64, rows: I64, stage: str = "") -> Told:
        found, stopped = [], []
        for i, (b, r) in enumerate(zip(better.tolist(), rows.tolist(), strict=True)):
            asked.append((r, b))
            what = outcome.get((r, b), "miss")
            if what == "copy":
                found.append((i, COPY))
            elif what == "templated":
                stopped.append(i)
        return Told(found, np.array(stopped, np.int64))

    return verify_rows


def _run(outcome: dict[tuple[int, int], str], n: int, cfg: DedupConfig) -> list[tuple[int, int]]:
    """Run assign with every pair of `outcome` a candidate; the pairs it verified, in order."""
    asked: list[tuple[int, int]] = []
    inp = _inputs(n, list(outcome), list(range(n)), asked, outcome)
    assign(inp, None, lambda a, b: OTHER, cfg, cfg.max_candidates)
    return asked


def _five(row: int, first: list[str], rest: str = "copy") -> dict[tuple[int, int], str]:
    """Row `row`'s five candidates (rows 0-4): the first three told `first`."""
    return {(row, b): (first[b] if b < 3 else rest) for b in range(5)}


def test_a_story_whose_best_three_were_other_stories_stops_there() -> None:
    asked = _run(_five(9, ["miss", "miss", "miss"]), 10, CFG)
    assert asked == [(9, 0), (9, 1), (9, 2)]


@pytest.mark.parametrize(
    "first",
    [
        ["copy", "miss", "miss"],  # a copy among the best: a wire story with many copies
        ["miss", "templated", "miss"],  # a templated look-alike: not a plain miss
        ["templated", "templated", "miss"],
        ["miss", "miss", "copy"],
    ],
)
def test_a_story_whose_best_ones_told_something_goes_on(first: list[str]) -> None:
    asked = _run(_five(9, first), 10, CFG)
    assert asked == [(9, b) for b in range(5)]


def test_three_templated_look_alikes_stop_a_story_too() -> None:
    asked = _run(_five(9, ["templated"] * 3), 10, CFG)
    assert asked == [(9, 0), (9, 1), (9, 2)]


def test_miss_stop_counts_misses_of_the_first_round_and_0_turns_it_off() -> None:
    outcome = _five(9, ["copy", "miss", "miss"]) | _five(8, ["miss"] * 3)
    two = _run(outcome, 10, replace(CFG, miss_stop=2))
    assert sorted(two) == sorted([(8, 0), (8, 1), (8, 2), (9, 0), (9, 1), (9, 2)])
    off = _run(outcome, 10, replace(CFG, miss_stop=0))
    assert sorted(off) == sorted(outcome)


def test_the_stop_is_per_story() -> None:
    outcome = _five(9, ["miss"] * 3) | _five(8, ["miss", "copy", "miss"])
    asked = _run(outcome, 10, CFG)
    assert sorted(asked) == sorted([(9, 0), (9, 1), (9, 2), *((8, b) for b in range(5))])


def _history(
    pairs: dict[int, list[tuple[int, int, int]]],
    outcome: dict[tuple[int, int], str],
    asked: list[tuple[int, int]],
) -> History:
    """Earlier nights' articles 0-9 (ids h0..h9); pairs: batch row -> (rare, hits, row)."""
    return History(
        info=lambda r: DocInfo(f"h{r}", True, "s", None, None, 50),
        cluster_ids=[f"c-h{r}" for r in range(10)],
        exact={},
        pairs=pairs,
        verify_rows=_table(outcome, asked),
    )


def test_earlier_nights_best_ranked_duplicate_wins_all_verified_at_once() -> None:
    # Row 0's history candidates by rank: 7 (most rare bands), 5, 3; 5 and 3 are copies.
    # Row 1 is an exact copy of row 0 tonight: only the head of its group is verified.
    asked: list[tuple[int, int]] = []
    hist = _history(
        {0: [(1, 9, 3), (3, 2, 7), (2, 4, 5)], 1: [(5, 5, 4)], 2: [(1, 1, 6)]},
        {(0, 5): "copy", (0, 3): "copy", (2, 6): "copy"},
        asked,
    )
    inp = _inputs(3, [], [10, 10, 11], [], {})
    mapping = assign(inp, hist, lambda a, b: OTHER, CFG, CFG.max_candidates)
    assert asked == [(0, 7), (0, 5), (0, 3), (2, 6)]  # one call, each head's best first
    # The exact copy goes with its group to the earlier article.
    assert mapping.sort("doc_id")["duplicate_of"].to_list() == ["h5", "h5", "h6"]


def test_earlier_nights_candidates_are_capped_per_story() -> None:
    asked: list[tuple[int, int]] = []
    hist = _history({0: [(9 - k, 1, k) for k in range(8)]}, {}, asked)
    assign(_inputs(1, [], [10], [], {}), hist, lambda a, b: OTHER, CFG, 3)
    assert asked == [(0, 0), (0, 1), (0, 2)]
