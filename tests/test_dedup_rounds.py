"""Which candidates `cluster.assign` verifies: a story's best `template_stop` first, its
weaker ones (up to `max_candidates`) only when the best ones told something.

The verifier here is a table: pair -> "copy", "templated" (the template guard stopped
it) or a plain miss, so the tests see exactly which pairs were asked for.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from cleaner.config import DedupConfig
from cleaner.dedup.cluster import DocInfo, Inputs, assign
from cleaner.dedup.doc import Doc
from cleaner.dedup.keys import I64
from cleaner.dedup.pairs import Candidates, Told
from cleaner.dedup.verify import Verdict

COPY = Verdict(True, "near", 0.9, 0.9, (), "test: a copy")
OTHER = Verdict(False, None, 0.1, 0.1, (), "test: another story")
CFG = DedupConfig(max_candidates=5, template_stop=3, miss_stop=3, workers=1)


def _run(outcome: dict[tuple[int, int], str], n: int, cfg: DedupConfig) -> list[tuple[int, int]]:
    """Run assign on rows 0..n-1 (row 0 ranks best) with every pair of `outcome` as a
    candidate (row, better row), the first listed of a row sharing the most bands;
    return the pairs it verified, in order."""
    asked: list[tuple[int, int]] = []
    pairs = list(outcome)
    rare = [len(pairs) - k for k in range(len(pairs))]  # earlier in the table = better

    def verify_rows(better: I64, rows: I64, stage: str) -> Told:
        found, stopped = [], []
        for i, (b, r) in enumerate(zip(better.tolist(), rows.tolist(), strict=True)):
            asked.append((r, b))
            what = outcome[(r, b)]
            if what == "copy":
                found.append((i, COPY))
            elif what == "templated":
                stopped.append(i)
        return Told(found, np.array(stopped, np.int64))

    inp = Inputs(
        infos=[DocInfo(f"d{k:02d}", True, "s", None, None, 50) for k in range(n)],
        order=np.arange(n, dtype=np.int64),
        exact=list(range(n)),
        pairs=Candidates(
            np.array([r for r, _ in pairs], np.int32),
            np.array([b for _, b in pairs], np.int32),
            np.array(rare, np.int32),
            np.array(rare, np.int32),
        ),
        doc=lambda row: Doc.of(f"text {row}"),
        verify_rows=verify_rows,
    )
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
