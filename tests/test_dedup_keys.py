"""Key specs: the fast tokenizer splits exactly like `fold_text`, keys are pinned per
KEY_VERSION, do not depend on chunking, and old indexes are refused."""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.config import DedupConfig
from cleaner.dedup import (
    BATCH_SCHEMA,
    DedupIndex,
    IndexMismatchError,
    _sign,
    _slices,
    deduplicate,
    lsh_params,
)
from cleaner.dedup.keys import (
    _NFKC_STABLE,
    KEY_VERSION,
    exact_keys,
    fold_text,
    shingle_views,
    shingles,
    tokenize,
)

CASES = json.loads((Path(__file__).parent / "cases" / "dedup_keys.json").read_text())
# Letters, digits, separators and the characters the folding rules single out.
ALPHABET = [
    *"aAbBzZ019 ,.%'-_\n\t",
    *["\u2019", "\u201c", "\u2026", "\u00a0", "\u202f", "\u00e9", "e\u0301", "\ufb01"],
    *["\uff21", "\u2122", "\u00b4", "\u4e2d", "\u00bd", "\u0131", "\u00df"],
]
TEXTS = st.lists(st.sampled_from(ALPHABET), max_size=40).map("".join)


def _same_structure(texts: list[str]) -> None:
    tb = tokenize(pl.Series(texts, dtype=pl.Utf8), words=True)
    assert tb.words is not None
    seen: dict[str, int] = {}
    back: dict[int, str] = {}
    for i, text in enumerate(texts):
        words = fold_text(text).split()
        hashes = tb.tokens_of(i).tolist()
        assert len(words) == len(hashes), (text, words)
        # The words verification reads are the same tokens, with their case kept.
        assert tb.words.text(i).lower().split() == words, (text, tb.words.text(i))
        for w, h in zip(words, hashes, strict=True):
            assert seen.setdefault(w, h) == h
            assert back.setdefault(h, w) == w


@settings(max_examples=300, deadline=None)
@given(st.lists(TEXTS, min_size=1, max_size=6))
def test_tokens_are_the_words_of_fold_text(texts: list[str]) -> None:
    _same_structure(texts)


def test_tokens_match_fold_text_on_tricky_texts() -> None:
    _same_structure([c["input"] for c in CASES["cases"]] + ["", " ", "\u2026", "a\u2026b"])


def test_nfkc_shortcut_only_skips_characters_nfkc_keeps() -> None:
    stable = re.compile(f"[{_NFKC_STABLE}]")
    for code in range(sys.maxunicode + 1):
        c = chr(code)
        if 0xD800 <= code <= 0xDFFF or not stable.fullmatch(c):
            continue
        assert unicodedata.normalize("NFKC", c) == c, hex(code)
        assert unicodedata.combining(c) == 0, hex(code)


def test_key_values_are_pinned_for_this_key_version() -> None:
    assert CASES["key_version"] == KEY_VERSION, "keys changed: bump KEY_VERSION and the cases"
    texts = [c["input"] for c in CASES["cases"]]
    keys = exact_keys(tokenize(pl.Series(texts)))
    assert [f"{int(k):016x}" for k in keys] == [c["exact_key"] for c in CASES["cases"]]


def test_keys_do_not_depend_on_the_batch() -> None:
    texts = [c["input"] for c in CASES["cases"]]
    together = tokenize(pl.Series(texts))
    for i, text in enumerate(texts):
        alone = tokenize(pl.Series([text]))
        assert alone.hashes.tolist() == together.tokens_of(i).tolist()


def test_sign_does_not_depend_on_chunk_size() -> None:
    texts = [c["input"] for c in CASES["cases"]] * 3 + [None, ""]
    body = pl.Series(texts, dtype=pl.Utf8)
    p = lsh_params(DedupConfig())
    small = _sign(_slices(body, 2), len(body), p)
    large = _sign(_slices(body, 1000), len(body), p)
    for name in ("exact", "bands", "n_tokens", "sketch"):
        assert np.array_equal(getattr(small, name), getattr(large, name)), name
    assert np.array_equal(small.words.offsets, large.words.offsets)
    assert np.array_equal(small.words.data, large.words.data)
    assert small.bands.dtype == np.uint32


@given(st.lists(st.integers(0, 9), max_size=30).map(lambda w: " ".join(f"w{x}" for x in w)))
def test_lead_view_is_the_whole_view_cut_to_the_lead(text: str) -> None:
    tb = tokenize(pl.Series([text, "x y", text]))
    whole, head = shingle_views(tb, 3, (None, 5))
    assert whole.hashes.tolist() == shingles(tb, 3).hashes.tolist()
    assert head.hashes.tolist() == shingles(tb, 3, lead=5).hashes.tolist()
    cut = tokenize(pl.Series([" ".join(text.split()[:5]), "x y", " ".join(text.split()[:5])]))
    assert head.hashes.tolist() == shingles(cut, 3).hashes.tolist()


def test_index_saved_with_the_old_keys_is_refused(tmp_path: Path) -> None:
    cfg = DedupConfig()
    body = "Harbour cranes stood idle on Tuesday as the port waited for the storm to pass."
    batch = pl.DataFrame(
        {"doc_id": ["a"], "body": [body]}, schema={"doc_id": pl.Utf8, "body": pl.Utf8}
    ).with_columns(
        [
            pl.lit(None).cast(t).alias(c)
            for c, t in BATCH_SCHEMA.items()
            if c not in ("doc_id", "body")
        ]
    )
    index = DedupIndex.load(tmp_path)
    index.add(batch, deduplicate(batch, cfg, index)).save(tmp_path)
    DedupIndex.load(tmp_path).check(lsh_params(cfg))  # same version: accepted
    for part in (tmp_path / "dedup").glob("*.parquet"):
        df = pl.read_parquet(part)
        old = {k: v for k, v in json.loads(df["params"][0]).items() if k != "key_version"}
        df.with_columns(params=pl.lit(json.dumps(old, sort_keys=True))).write_parquet(part)
    with pytest.raises(IndexMismatchError):
        deduplicate(batch, cfg, DedupIndex.load(tmp_path))


def test_an_empty_batch_signs_to_empty_arrays() -> None:
    """A night whose stories were all published before dedups an empty batch."""
    s = _sign(_slices(pl.Series([], dtype=pl.Utf8), 10), 0, lsh_params(DedupConfig()))
    assert len(s.exact) == len(s.bands) == len(s.n_tokens) == len(s.sketch) == 0
    assert s.words.offsets.tolist() == [0]
