"""Specs of the slot-agreement floor (`cleaner.dedup.sketch`).

A candidate pair is verified only when its bodies' sketches (one byte of each of the
128 whole-body MinHash slots) agree on at least the count expected at its floor: the
Jaccard at which the smaller body would be `candidate_min_containment` contained in the
larger, and at least `candidate_min_jaccard`. The floor must drop stories that share
their lead sentence and little else, and keep cut copies, noisy copies and templated
look-alikes (those are for the verification and the template guard to judge).
"""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import cleaner.dedup.pairs as pairs_module
from cleaner.config import DedupConfig
from cleaner.dedup import deduplicate, lsh_params
from cleaner.dedup.pairs import Candidates
from cleaner.dedup.sign import sign_texts
from cleaner.dedup.sketch import SlotFloor, agreement

CFG = DedupConfig(workers=1)
FLOOR = SlotFloor.of(CFG)
VOCAB = [f"{a}{b}" for a in ("ka", "lo", "mi", "nu", "pe", "ro", "su", "ti") for b in range(60)]


def _story(seed: int, n_words: int = 300) -> list[str]:
    """A story of made-up words, sentences of 12: different seeds share almost no 3-gram."""
    rnd = random.Random(seed)
    words = [rnd.choice(VOCAB) for _ in range(n_words)]
    return [w + ("." if i % 12 == 11 else "") for i, w in enumerate(words)]


def _noisy(words: list[str], share: float, seed: int) -> list[str]:
    """`share` of the words misspelt (one letter replaced), as OCR does."""
    rnd = random.Random(seed)
    return [w[:-1] + "x" if rnd.random() < share else w for w in words]


def _agreement(a: list[str], b: list[str]) -> int:
    s = sign_texts(pl.Series([" ".join(a), " ".join(b)]), lsh_params(CFG)).sketch
    return int(agreement(s, np.array([0]), np.array([1]))[0])


def _floor(a: list[str], b: list[str], floor: SlotFloor = FLOOR) -> int:
    return int(floor.slots(np.array([len(a)]), np.array([len(b)]))[0])


@settings(max_examples=200, deadline=None)
@given(
    hnp.arrays(
        np.uint8, st.tuples(st.integers(1, 12), st.integers(1, 130)), elements=st.integers(0, 3)
    ),
    st.data(),
)
def test_agreement_counts_equal_slots_of_each_pair(sketch: np.ndarray, data: st.DataObject) -> None:
    """The compiled count, split over threads, is the numpy count, for any number of pairs."""
    rows = st.integers(0, sketch.shape[0] - 1)
    n = data.draw(st.integers(0, 40))
    left = np.array(data.draw(st.lists(rows, min_size=n, max_size=n)), np.int32)
    right = np.array(data.draw(st.lists(rows, min_size=n, max_size=n)), np.int32)
    want = (sketch[left] == sketch[right]).sum(axis=1)
    assert agreement(sketch, left, right).tolist() == want.tolist()


def test_the_jaccard_floor_is_the_count_expected_at_min_jaccard() -> None:
    """J + (1 - J)/256 of the slots: a chance byte match is counted in, 0 turns it off."""
    same = np.array([302]), np.array([302])
    assert SlotFloor(128, 0.06, 0.0, 3).slots(*same).tolist() == [8]  # 128 * 0.0637 = 8.15
    assert SlotFloor(64, 0.5, 0.0, 3).slots(*same).tolist() == [32]  # 64 * 0.502 = 32.1
    assert SlotFloor(128, 0.0, 0.0, 3).slots(*same).tolist() == [0]
    with pytest.raises(ValueError, match="candidate_min_jaccard"):
        SlotFloor(128, 1.5, 0.0, 3)
    with pytest.raises(ValueError, match="candidate_min_containment"):
        SlotFloor(128, 0.0, -0.1, 3)


def test_the_containment_floor_is_the_jaccard_at_that_containment_of_the_smaller() -> None:
    """Bodies of a and b shingles, the smaller C contained: J = C m / (a + b - C m)."""
    f = SlotFloor(128, 0.0, 0.2, 3)
    # 300 and 300 shingles, 60 shared: J = 60 / 540 = 0.111 -> 128 * 0.1146 = 14.7
    assert f.slots(np.array([302]), np.array([302])).tolist() == [14]
    # 100 and 1000 shingles, 20 shared: J = 20 / 1080 = 0.0185 -> 128 * 0.0221 = 2.8
    assert f.slots(np.array([102]), np.array([1002])).tolist() == [2]
    # with the Jaccard floor, the higher of the two decides
    g = SlotFloor(128, 0.06, 0.2, 3)
    assert g.slots(np.array([302, 102]), np.array([302, 1002])).tolist() == [14, 8]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 5000), st.integers(0, 5000)), min_size=1, max_size=20),
    st.floats(0.0, 1.0),
    st.floats(0.0, 1.0),
)
def test_the_floor_is_symmetric_and_never_below_either_floor_alone(
    sizes: list[tuple[int, int]], min_jaccard: float, min_containment: float
) -> None:
    a, b = (np.array(x) for x in zip(*sizes, strict=True))
    both = SlotFloor(128, min_jaccard, min_containment, 3)
    floor = both.slots(a, b)
    assert floor.tolist() == both.slots(b, a).tolist()
    jaccard_only = SlotFloor(128, min_jaccard, 0.0, 3).slots(a, b)
    containment_only = SlotFloor(128, 0.0, min_containment, 3).slots(a, b)
    assert floor.tolist() == np.maximum(jaccard_only, containment_only).tolist()
    assert ((floor >= 0) & (floor <= 128)).all()


@settings(max_examples=200, deadline=None)
@given(
    hnp.arrays(
        np.uint8, st.tuples(st.integers(1, 12), st.integers(1, 130)), elements=st.integers(0, 2)
    ),
    st.data(),
    st.floats(0.0, 1.0),
    st.floats(0.0, 1.0),
)
def test_the_compiled_floor_is_the_count_against_the_numpy_floor(
    sketch: np.ndarray, data: st.DataObject, min_jaccard: float, min_containment: float
) -> None:
    """`passing` = `agreement` >= `slots`: the compiled pass and its numpy spec agree."""
    rows = st.integers(0, sketch.shape[0] - 1)
    n = data.draw(st.integers(0, 40))
    left = np.array(data.draw(st.lists(rows, min_size=n, max_size=n)), np.int32)
    right = np.array(data.draw(st.lists(rows, min_size=n, max_size=n)), np.int32)
    n_tokens = np.array(
        data.draw(st.lists(st.integers(0, 3000), min_size=len(sketch), max_size=len(sketch))),
        np.int64,
    )
    floor = SlotFloor(sketch.shape[1], min_jaccard, min_containment, data.draw(st.integers(1, 5)))
    want = agreement(sketch, left, right) >= floor.slots(n_tokens[left], n_tokens[right])
    assert floor.passing(sketch, left, right, n_tokens).tolist() == want.tolist()


def test_agreeing_keeps_exactly_the_pairs_at_or_above_the_floor() -> None:
    sketch = np.array([[1, 2, 3, 4], [1, 2, 3, 9], [1, 9, 9, 9], [7, 7, 7, 7]], np.uint8)
    c = Candidates(*np.array([[1, 2, 3, 2], [0, 0, 0, 1], [5, 6, 7, 8], [1, 2, 3, 4]], np.int32))
    n_tokens = np.full(4, 302)
    # (1, 0) agrees on 3 slots, (2, 0) on 1, (3, 0) on 0, (2, 1) on 2
    kept = c.agreeing(sketch, n_tokens, SlotFloor(4, 0.9, 0.0, 3))  # 4 * 0.9004 = 3.6: 3 slots
    assert kept.left.tolist() == [1] and kept.right.tolist() == [0]
    assert kept.hits.tolist() == [5] and kept.rare.tolist() == [1]
    assert c.agreeing(sketch, n_tokens, SlotFloor(4, 0.25, 0.0, 3)).left.tolist() == [1, 2, 2]
    # containment 0.9 of two bodies of one size: J = 0.9 / 1.1 = 0.82 -> 3 slots
    assert c.agreeing(sketch, n_tokens, SlotFloor(4, 0.0, 0.9, 3)).left.tolist() == [1]
    # ... while a body a tenth of the other's needs only 0.9 * 30 / (330 - 27) = 0.09 -> 0
    short = np.array([302, 32, 302, 302])
    assert c.agreeing(sketch, short, SlotFloor(4, 0.0, 0.9, 3)).left.tolist() == [1, 2]
    assert c.agreeing(sketch, n_tokens, SlotFloor(4, 0.0, 0.0, 3)) is c


def test_a_shared_lead_sentence_stays_below_the_floor() -> None:
    """Two stories opening on the same quote: a candidate through their leads, not a copy."""
    quote = _story(1, 24)
    a, b = quote + _story(2), quote + _story(3)
    assert _agreement(a, b) < _floor(a, b, SlotFloor.of(replace(CFG, candidate_min_containment=0)))
    assert _agreement(a, b) < _floor(a, b)


def test_a_shared_lead_and_paragraph_stay_below_the_containment_floor() -> None:
    """A sixth of two stories in common: over the Jaccard floor, not a copy of either."""
    shared = _story(6, 50)
    a, b = shared + _story(7, 250), shared + _story(8, 250)
    jaccard_only = SlotFloor.of(replace(CFG, candidate_min_containment=0))
    assert _floor(a, b, jaccard_only) <= _agreement(a, b) < _floor(a, b)


@pytest.mark.parametrize(
    ("why", "copy"),
    [
        ("a copy cut to its first 25 %", lambda s: s[:75]),
        ("a copy cut to 40 % with 3 % of its words misspelt", lambda s: _noisy(s[:120], 0.03, 7)),
        ("a copy with 10 % of its words misspelt", lambda s: _noisy(s, 0.10, 8)),
        ("a copy with a paragraph added", lambda s: s + _story(9, 60)),
    ],
)
def test_copies_stay_above_the_floor(why: str, copy: object) -> None:
    story = _story(4)
    assert callable(copy)
    assert _agreement(story, copy(story)) >= _floor(story, copy(story)), why


def test_templated_look_alikes_stay_above_the_floor() -> None:
    """Look-alikes differing in figures must reach the template guard, which names them."""
    story = _story(5)
    other = [str(i) if i % 10 == 0 else w for i, w in enumerate(story)]
    assert _agreement(story, other) >= _floor(story, other)


def _verified_pairs(df: pl.DataFrame, cfg: DedupConfig, monkeypatch: pytest.MonkeyPatch) -> int:
    seen = [0]
    original = pairs_module.PairVerifier.telling

    def spy(self, a, b, stage="pairs"):  # type: ignore[no-untyped-def]
        seen[0] += len(a)
        return original(self, a, b, stage)

    monkeypatch.setattr(pairs_module.PairVerifier, "telling", spy)
    deduplicate(df, cfg)
    monkeypatch.setattr(pairs_module.PairVerifier, "telling", original)
    return seen[0]


def test_the_stage_verifies_only_candidates_above_the_floor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Stories sharing a lead quote are not verified; the floor at 0 verifies them all."""
    quote = _story(11, 30)
    story = _story(12)
    texts = [quote + _story(20 + i) for i in range(6)] + [story, story[:150]]
    df = pl.DataFrame(
        {"doc_id": [f"d{i}" for i in range(len(texts))], "body": [" ".join(t) for t in texts]}
    )
    with_floor = _verified_pairs(df, CFG, monkeypatch)
    without = _verified_pairs(
        df, replace(CFG, candidate_min_jaccard=0.0, candidate_min_containment=0.0), monkeypatch
    )
    containment_only = _verified_pairs(df, replace(CFG, candidate_min_jaccard=0.0), monkeypatch)
    jaccard_only = _verified_pairs(df, replace(CFG, candidate_min_containment=0.0), monkeypatch)
    assert with_floor == containment_only == jaccard_only == 1  # the cut copy, its story
    assert without > with_floor
    mapping = deduplicate(df, CFG).mapping
    assert mapping.filter(pl.col("duplicate_of").is_not_null())["doc_id"].to_list() == ["d7"]
