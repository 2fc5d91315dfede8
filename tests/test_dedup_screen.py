"""Specs of the compiled screen: rapidfuzz's alignment, Python's word rules, golden pairs."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import LCSseq

from cleaner.config import DedupConfig
from cleaner.dedup.align import same_word as py_same_word
from cleaner.dedup.doc import Doc, is_name, is_number
from cleaner.dedup.guard import nested_facts, ocr_key
from cleaner.dedup.guard import other_name as py_other_name
from cleaner.dedup.guard import same_name as py_same_name
from cleaner.dedup.screen import (
    GUARD,
    PASS,
    REJECT,
    equal_blocks,
    screen_params,
    screen_rows,
    screen_texts,
    word_hash,
)
from cleaner.dedup.screen_words import letters, other_name, parse_row, same_name, same_word
from cleaner.dedup.screen_words import ocr_key as ocr_key_codes
from cleaner.dedup.verify import check

CASES = json.loads((Path(__file__).parent / "cases" / "dedup_pairs.json").read_text())["cases"]
PARAMS = screen_params(DedupConfig())

# Few distinct words, so sequences share many words and LCS ties are everywhere.
_tokens = st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), max_size=90)
# Words of ASCII and Latin-1 letters and digits, the alphabet the screen folds itself.
_latin = st.text(alphabet=st.sampled_from("abzAZ09_éÉüÜßÿÀÖ"), min_size=1, max_size=9)


@given(_tokens, _tokens)
@settings(max_examples=400, deadline=None)
def test_equal_blocks_are_rapidfuzz_opcodes(a: list[str], b: list[str]) -> None:
    # Ties between equally long alignments are broken the way rapidfuzz breaks them,
    # common prefix and suffix included (sequences past 64 words take several words of bits).
    expected = [
        (o.src_start, o.dest_start, o.src_end - o.src_start)
        for o in LCSseq.opcodes(a, b)
        if o.tag == "equal"
    ]
    assert equal_blocks(a, b) == expected


@given(st.lists(_latin, min_size=1, max_size=12))
@settings(max_examples=300, deadline=None)
def test_word_rules_are_pythons(words: list[str]) -> None:
    # Hash of the lower-cased word, number, name and fact: the rules doc.py applies.
    data = np.frombuffer(" ".join(words).encode("utf-8"), np.uint8)
    _, _, hashes, flags, ok = parse_row(data, 0, len(data), PARAMS.not_names)
    assert ok
    assert hashes.tolist() == [word_hash(w.lower()) for w in words]
    assert [bool(f & 1) for f in flags] == [is_number(w) for w in words]
    assert [bool(f & 2) for f in flags] == [is_name(w) for w in words]
    doc = Doc(" ".join(words))
    facts = [w for w, f in zip(words, flags, strict=True) if f & 4]
    assert len(facts) == doc.n_facts
    assert Counter(w.lower() for w in facts) == doc.facts


# Names built from letters OCR confuses, so misread pairs come up often.
_ocr_name = st.lists(
    st.sampled_from(
        ["J", "C", "W", "i", "l", "1", "0", "o", "rn", "m", "cl", "d", "vv", "w", "a", "é", "s"]
    ),
    min_size=2,
    max_size=7,
).map(lambda parts: parts[0].upper() + "".join(parts[1:]))


def _codes(word: str, lower: bool) -> np.ndarray:
    data = np.frombuffer(word.encode("utf-8"), np.uint8)
    return letters(data, 0, len(data), lower)


@given(st.one_of(_latin, _ocr_name), st.one_of(_latin, _ocr_name))
@settings(max_examples=400, deadline=None)
def test_name_and_typo_rules_are_pythons(x: str, y: str) -> None:
    # The screen decides "one name misspelt" and "one word misspelt" as guard.py does,
    # OCR misreads included.
    xl, yl = _codes(x, True), _codes(y, True)
    assert "".join(map(chr, ocr_key_codes(xl))) == ocr_key(x)
    assert same_name(_codes(x, False), _codes(y, False), xl, yl, 0.75) == py_same_name(x, y, 0.75)
    assert same_word(xl, yl) == py_same_word(x.lower(), y.lower())
    for similarity in (0.45, 0.6):
        assert other_name(xl, yl, similarity) == py_other_name(x, y, similarity)


def test_a_name_misread_by_ocr_is_the_same_name_and_another_name_is_not() -> None:
    assert py_same_name("Jimmy", "Jirnmy", 0.75)  # "rn" read for "m" in one copy
    assert py_same_name("Waisorne", "Walsome", 0.75)  # "i" for "l" in one, "rn" in it
    assert not py_same_name("Acme", "Globex", 0.75)  # a template filled with another name
    assert not py_same_name("Moss", "Hale", 0.75)


@pytest.mark.parametrize("case", CASES, ids=[c["why"][:40] for c in CASES])
def test_golden_duplicates_pass_the_screen(case: dict[str, object]) -> None:
    a, b = Doc.of(str(case["a"])).folded, Doc.of(str(case["b"])).folded
    code = screen_texts(a, b, PARAMS)[0]
    if case["duplicate"]:
        assert code == PASS, case["why"]
    else:  # the screen may leave a negative to rapidfuzz, never call it something else
        assert code in (REJECT, GUARD, PASS)


def test_templated_story_is_stopped_by_the_screen_guard() -> None:
    case = next(c for c in CASES if c["why"].startswith("templated earnings"))
    a, b = Doc.of(case["a"]).folded, Doc.of(case["b"]).folded
    assert screen_texts(a, b, PARAMS)[0] == GUARD


def test_different_stories_are_rejected_with_their_scores() -> None:
    a = "the council approved the new budget for the city schools on monday night"
    b = "heavy rain closed the coastal road and flooded two villages near the harbour"
    code, sim, cont = screen_texts(a, b, PARAMS)
    assert code == REJECT and sim < 0.7 and cont < 0.7


def test_text_outside_latin1_goes_to_rapidfuzz_unscreened() -> None:
    a = "Σπύρος Μαρκόπουλος said the port of Πειραιάς reopened on Monday after the strike"
    assert screen_texts(a, "an unrelated text", PARAMS)[0] == PASS


def test_pairs_in_bulk_get_the_verdicts_of_pairs_one_by_one() -> None:
    texts = [Doc.of(str(c[k])).folded for c in CASES[:6] for k in ("a", "b")]
    blob = [t.encode("utf-8") for t in texts]
    data = np.frombuffer(b"".join(blob), np.uint8)
    offsets = np.cumsum([0, *(len(x) for x in blob)]).astype(np.int64)
    rng = np.random.default_rng(7)
    a = rng.integers(0, len(texts), 60)
    b = np.sort(rng.integers(0, len(texts), 60))  # sorted by b, as verification sends them
    bulk = screen_rows(data, offsets, a, b, PARAMS)
    one = [screen_texts(texts[x], texts[y], PARAMS) for x, y in zip(a, b, strict=True)]
    assert bulk.codes.tolist() == [c for c, _, _ in one]
    assert bulk.similarity.tolist() == [s for _, s, _ in one]


# Pairs the screen passes with the template guard in play: same story with a typo'd
# name, a figure corrected, two templated stories whose facts differ.
_FACT_PAIRS = [
    (
        "Acme Corp earned 12 million in the quarter, chief executive Jane Moss said on Monday "
        "after the board met in Leeds to approve the results and a new dividend",
        "Acme Corp earned 12 million in the quarter, chief executive Jane Mos said on Monday "
        "after the board met in Leeds to approve the results and a new dividend",
    ),
    (
        "Acme Corp earned 12 million in the quarter, chief executive Jane Moss said on Monday "
        "after the board met in Leeds to approve the results and a new dividend",
        "Acme Corp earned 13 million in the quarter, chief executive Jane Moss said on Monday "
        "after the board met in Leeds to approve the results and a new dividend",
    ),
    (
        "Acme Corp earned 12 million in the quarter, chief executive Jane Moss said on Monday",
        "Globex Ltd earned 15 million in the quarter, chief executive Omar Hale said on Friday",
    ),
]


@pytest.mark.parametrize(
    ("a", "b"),
    [(str(c["a"]), str(c["b"])) for c in CASES] + _FACT_PAIRS,
)
def test_facts_the_screen_counted_are_pythons_and_give_the_same_verdict(a: str, b: str) -> None:
    da, db = Doc.of(a), Doc.of(b)
    ta, tb = da.folded.encode("utf-8"), db.folded.encode("utf-8")
    data = np.frombuffer(ta + tb, np.uint8)
    offsets = np.array([0, len(ta), len(ta) + len(tb)], np.int64)
    s = screen_rows(data, offsets, np.array([0]), np.array([1]), PARAMS)
    known = s.fact_counts(0)
    if s.codes[0] != PASS:
        return  # rejected pairs are never checked
    assert known is not None
    assert known.nested == nested_facts(da, db)
    assert (known.a, known.b) == (da.n_facts, db.n_facts)
    assert check(da, db, DedupConfig(), known) == check(
        Doc(da.folded), Doc(db.folded), DedupConfig()
    )


def test_facts_of_text_outside_latin1_are_left_to_python() -> None:
    a = "Σπύρος Μαρκόπουλος said the port of Πειραιάς reopened on Monday after the strike"
    data = np.frombuffer(a.encode("utf-8") * 2, np.uint8)
    offsets = np.array([0, len(a.encode("utf-8")), 2 * len(a.encode("utf-8"))], np.int64)
    assert screen_rows(data, offsets, np.array([0]), np.array([1]), PARAMS).fact_counts(0) is None


def test_an_install_where_no_cache_can_be_written_still_compiles(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Read-only site-packages and no writable home: numba finds no cache location.
    from numba import njit
    from numba.core import caching

    from cleaner.dedup.jit import compiled

    def unwritable(self: object) -> None:
        raise OSError("read-only file system")

    monkeypatch.setattr(caching._CacheLocator, "ensure_cache_path", unwritable)

    def twice(x: int) -> int:
        return 2 * x

    with pytest.raises(RuntimeError):  # what a plain cached njit would do at import
        njit(cache=True)(twice)
    assert compiled(twice)(21) == 42


def test_cached_kernels_compiled_from_other_sources_are_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """numba checks only a kernel's own module: after an edit to a helper module (or an
    upgrade) the screen's cache would still run the old helper. Its files go instead."""
    from cleaner.dedup import jit

    stale = [tmp_path / "screen._guard-240.py311.nbi", tmp_path / "screen._guard-240.py311.1.nbc"]
    other = tmp_path / "sign._sign-300.py311.nbi"
    for f in [*stale, other, tmp_path / "screen.kernels-0000000000000000"]:
        f.write_bytes(b"old")
    jit._purge_stale(str(tmp_path), "screen")
    assert not any(f.exists() for f in stale)
    assert other.exists(), "another module's kernels are checked on their own"
    assert [p.name for p in tmp_path.glob("screen.*")] == [f"screen.kernels-{jit.sources_digest()}"]
    fresh = tmp_path / "screen._guard-240.py311.nbi"
    fresh.write_bytes(b"new")
    jit._purge_stale(str(tmp_path), "screen")  # same sources: the cache is kept
    assert fresh.exists()
    monkeypatch.setattr(jit, "sources_digest", lambda: "edited")
    jit._purge_stale(str(tmp_path), "screen")
    assert not fresh.exists()
