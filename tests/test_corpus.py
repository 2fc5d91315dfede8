"""The benchmark's corpus generator leaves out templated copies no reader could attribute."""

from __future__ import annotations

import json
import random
from itertools import islice
from pathlib import Path

import polars as pl
import pytest

import bench.corpus as corpus
from bench.corpus import Drawn, ambiguous_copies, invented_sentences, iter_corpus

CASES = json.loads((Path(__file__).parent / "cases" / "corpus_ambiguous.json").read_text())


@pytest.mark.parametrize("case", CASES["cases"], ids=lambda c: c["why"][:60])
def test_ambiguous_copies(case: dict) -> None:
    rows = [
        Drawn({"doc_id": label, "label": label}, kind, text)
        for label, kind, text in case["stories"]
    ]
    kinds = {label: kind for label, kind, _ in case["stories"]}
    rows += [
        Drawn({"doc_id": d, "label": label}, kinds[label], kept)
        for d, label, kept in case["copies"]
    ]
    assert sorted(ambiguous_copies(rows)) == case["ambiguous"]


def _two_forecasts(rng: random.Random, kind: int) -> str:
    """A template with two fillings only, sharing their first sentence: cut copies of one
    are often the other's too."""
    low = rng.choice([3, 8])
    return (
        "Temperatures in Harlow will reach 21 degrees on Monday, the weather office said. "
        f"Rain of up to 12 millimetres is expected by Tuesday and the low will fall to {low} "
        "degrees, with a high of 25 degrees at the weekend in the Marsh valley and the hills."
    )


def test_iter_corpus_leaves_out_exactly_the_ambiguous_copies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(corpus, "templated", _two_forecasts)
    pool = invented_sentences(random.Random(1), 300)
    drawn = list(islice(corpus._draw(pool, 5), 3000))
    skip = ambiguous_copies(drawn)
    assert skip, "two fillings of one template must give ambiguous cut copies"
    assert all(d.kind is not None for d in drawn if d.row["doc_id"] in skip)
    # Only copies go: each left-out row's story has a row of its own before it.
    firsts = {}
    for d in drawn:
        firsts.setdefault(d.row["label"], d.row["doc_id"])
    assert not skip & set(firsts.values())
    got = pl.concat(list(iter_corpus(3000, pool, seed=5, chunk=700)))
    want = pl.DataFrame(
        [d.row for d in drawn if d.row["doc_id"] not in skip], schema=corpus.CORPUS_SCHEMA
    )
    assert got.equals(want)  # every other row as drawn, in order


def test_iter_corpus_is_deterministic() -> None:
    pool = invented_sentences(random.Random(2), 300)
    first = pl.concat(list(iter_corpus(1500, pool, seed=9, chunk=400)))
    assert first.height <= 1500
    assert first.equals(pl.concat(list(iter_corpus(1500, pool, seed=9))))
