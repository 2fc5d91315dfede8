"""Specs of the compiled signing (`cleaner.dedup.sign`): the numpy keys, exactly.

`keys.tokenize` + `keys.exact_keys` + `lsh.batch_band_keys` (+ `lsh.batch_sketches`)
define the keys an index stores; `sign_texts` must give the same bytes for every text,
or an index written by one would not match stories signed by the other.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.config import DedupConfig
from cleaner.dedup import lsh_params
from cleaner.dedup.keys import LOW32, exact_keys, tokenize
from cleaner.dedup.lsh import LshParams, batch_band_keys, batch_sketches
from cleaner.dedup.result import DedupParams
from cleaner.dedup.sign import sign_texts

CASES = json.loads((Path(__file__).parent / "cases" / "dedup_keys.json").read_text())
# Letters, digits, separators and characters folding singles out; plus a small
# vocabulary so texts share shingles (collisions, densification from few bins).
PIECES = [
    *"aAbBzZ019 ,.%'-_\n\t",
    *["\u2019", "\u201c", "\u2026", "\u00a0", "\u202f", "\u00e9", "e\u0301", "\ufb01"],
    *["\uff21", "\u2122", "\u00b4", "\u4e2d", "\u00bd", "\u0131", "\u00df", "\u0130"],
    *[" council ", " Budget ", " 1,300 ", " 5% ", " voted "],
]
TEXTS = st.lists(st.sampled_from(PIECES), max_size=120).map("".join)


def _numpy_keys(texts: list[str | None], p: DedupParams) -> tuple[np.ndarray, ...]:
    tb = tokenize(pl.Series(texts, dtype=pl.Utf8), words=True)
    assert tb.words is not None
    keys = batch_band_keys(
        tb, p.shingle_size, p.num_perm, p.lead_tokens, LshParams(p.bands, p.rows)
    )
    return (
        exact_keys(tb),
        (keys & LOW32).astype(np.uint32),
        tb.lengths,
        tb.words.offsets,
        tb.words.data,
        batch_sketches(tb, p.shingle_size, p.num_perm),
    )


def _assert_same(texts: list[str | None], p: DedupParams) -> None:
    s = sign_texts(pl.Series(texts, dtype=pl.Utf8), p)
    got = (s.exact, s.bands, s.n_tokens, s.words.offsets, s.words.data, s.sketch)
    names = ("exact", "bands", "n_tokens", "offsets", "words", "sketch")
    for name, a, b in zip(names, got, _numpy_keys(texts, p), strict=True):
        assert a.dtype == b.dtype, name
        assert np.array_equal(a, b), (name, texts)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(TEXTS, st.none()), min_size=1, max_size=6))
def test_compiled_keys_are_the_numpy_keys(texts: list[str | None]) -> None:
    _assert_same(texts, lsh_params(DedupConfig()))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(TEXTS, min_size=1, max_size=4),
    st.integers(1, 8),
    st.sampled_from([8, 16, 64, 128]),
    st.integers(1, 40),
)
def test_compiled_keys_follow_every_parameter(
    texts: list[str], size: int, num_perm: int, lead: int
) -> None:
    """Shingle size, bins, lead length and banding are parameters, not constants."""
    bands = max(1, num_perm // 5)
    _assert_same(texts, DedupParams(size, num_perm, lead, bands, num_perm // bands, 2))


def test_compiled_keys_on_the_pinned_cases_and_long_texts() -> None:
    """The pinned key cases, a text with one token per bin and one far longer than a lead."""
    texts: list[str | None] = [c["input"] for c in CASES["cases"]]
    texts += ["", None, "one", " ".join(f"w{i}" for i in range(3000)), "x " * 5000]
    _assert_same(texts, lsh_params(DedupConfig()))


def test_a_text_keeps_its_keys_in_any_batch() -> None:
    texts = [c["input"] for c in CASES["cases"]]
    p = lsh_params(DedupConfig())
    together = sign_texts(pl.Series(texts), p)
    for i, text in enumerate(texts):
        alone = sign_texts(pl.Series([text]), p)
        assert alone.exact[0] == together.exact[i]
        assert np.array_equal(alone.bands[0], together.bands[i])
        assert alone.words.text(0) == together.words.text(i)


def test_an_empty_text_has_the_same_exact_key_alone_and_in_company() -> None:
    """An empty story's key must not depend on whether its chunk has any words."""
    p = lsh_params(DedupConfig())
    alone = sign_texts(pl.Series(["", None], dtype=pl.Utf8), p)
    company = sign_texts(pl.Series(["", "some words here"]), p)
    assert alone.exact[0] == alone.exact[1] == company.exact[0]
    assert not alone.bands.any()
