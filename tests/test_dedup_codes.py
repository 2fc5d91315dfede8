"""Word codes (`codes.emit`): rapidfuzz aligns them as it aligns the word lists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import LCSseq, Levenshtein

from cleaner.config import DedupConfig
from cleaner.dedup import codes as codes_mod
from cleaner.dedup.codes import PairCodes, capacity, decode, emit
from cleaner.dedup.doc import Doc
from cleaner.dedup.screen import PASS, screen_params, screen_rows
from cleaner.dedup.screen_words import parse_row
from cleaner.dedup.verify import check

CASES = json.loads((Path(__file__).parent / "cases" / "dedup_pairs.json").read_text())["cases"]
PARAMS = screen_params(DedupConfig())

# Few distinct words, some differing only in case or a Latin-1 letter: equal lower-cased
# words must share a code, all others must not.
_word = st.sampled_from(["rain", "Rain", "RAIN", "fell", "in", "Leeds", "léeds", "LÉEDS", "12"])
_words = st.lists(_word, max_size=80)


def _buffer(*texts: str) -> tuple[np.ndarray, np.ndarray]:
    raw = [t.encode("utf-8") for t in texts]
    offsets = np.cumsum([0, *(len(r) for r in raw)]).astype(np.int64)
    return np.frombuffer(b"".join(raw), np.uint8), offsets


def pair_codes(
    data: np.ndarray, offsets: np.ndarray, a: np.ndarray, b: np.ndarray, write: Any = emit
) -> list[PairCodes | None]:
    """Codes of any pairs, passed by the screen or not: its parse, `emit` and `decode`."""
    out = np.empty(capacity(offsets, a, b), np.uint32)
    flags = np.empty(len(out), np.uint8)
    spans = np.empty((len(a), 3), np.int64)
    pos = 0
    for i, (x, y) in enumerate(zip(a.tolist(), b.tolist(), strict=True)):
        rx = parse_row(data, offsets[x], offsets[x + 1], PARAMS.not_names)
        ry = parse_row(data, offsets[y], offsets[y + 1], PARAMS.not_names)
        spans[i] = (pos, -1, 0)
        if rx[4] and ry[4]:
            end = write(rx[2], ry[2], rx[3], ry[3], out, flags, pos)
            if end >= 0:
                spans[i] = (pos, len(rx[2]), len(ry[2]))
                pos = end
    return decode(out, flags, pos, spans)


def _codes(a: str, b: str) -> PairCodes | None:
    data, offsets = _buffer(a, b)
    return pair_codes(data, offsets, np.array([0]), np.array([1]))[0]


@given(_words, _words)
@settings(max_examples=300, deadline=None)
def test_codes_align_as_the_lower_cased_words_do(a: list[str], b: list[str]) -> None:
    found = _codes(" ".join(a), " ".join(b))
    assert found is not None
    ca, cb = found.a, found.b
    la, lb = [w.lower() for w in a], [w.lower() for w in b]
    assert (len(ca), len(cb)) == (len(la), len(lb))
    # Same word, same code: equal positions are exactly the equal lower-cased words.
    pos = [(i, j) for i in range(len(la)) for j in range(len(lb))]
    assert [ca[i] == cb[j] for i, j in pos] == [la[i] == lb[j] for i, j in pos]
    assert LCSseq.opcodes(ca, cb).as_list() == LCSseq.opcodes(la, lb).as_list()
    assert Levenshtein.opcodes(ca, cb).as_list() == Levenshtein.opcodes(la, lb).as_list()
    assert (found.flags_a, found.flags_b) == (
        bytes(Doc(" ".join(a)).flags),
        bytes(Doc(" ".join(b)).flags),
    )


def test_rows_the_screen_does_not_parse_get_no_codes() -> None:
    assert _codes("the port of Πειραιάς reopened", "the port reopened") is None


def test_pairs_past_the_code_points_get_no_codes_and_the_others_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Past 0x10FFFF distinct words a pair falls back to its word lists. Shown with a lower
    # limit on the kernel's Python source: the compiled kernel froze the constant.
    data, offsets = _buffer("a b c", "a b", "d e f g h", "i j k l")
    rows = (np.array([0, 2]), np.array([1, 3]))
    found = pair_codes(data, offsets, *rows)
    assert [(c.a, c.b) for c in found if c is not None] == [
        ("\x01\x02\x03", "\x01\x02"),
        ("\x01\x02\x03\x04\x05", "\x06\x07\x08\x09"),
    ]
    monkeypatch.setattr(codes_mod, "_MAX_CODE", 6)
    limited = pair_codes(data, offsets, *rows, write=codes_mod.emit.py_func)
    assert limited == [found[0], None]  # the second pair has 9 distinct words


def test_surrogate_code_points_are_skipped() -> None:
    words = [f"w{i}" for i in range(0xD800 + 10)]
    found = _codes(" ".join(words), "w0")
    assert found is not None
    ca, cb = found.a, found.b
    assert len(set(ca)) == len(words) and cb == ca[0]
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in ca)
    ca.encode("utf-8")  # a valid str


@pytest.mark.parametrize("case", CASES, ids=[str(c["why"])[:40] for c in CASES])
def test_golden_pairs_get_the_same_verdict_from_codes(case: dict[str, object]) -> None:
    da, db = Doc.of(str(case["a"])), Doc.of(str(case["b"]))
    data, offsets = _buffer(da.folded, db.folded)
    known = screen_rows(data, offsets, np.array([0]), np.array([1]), PARAMS).fact_counts(0)
    found = pair_codes(data, offsets, np.array([0]), np.array([1]))[0]
    assert found is not None
    cfg = DedupConfig()
    assert check(da, db, cfg, known, found) == check(Doc(da.folded), Doc(db.folded), cfg)


_story = st.lists(
    st.sampled_from(
        [
            "Acme",
            "Globex",
            "earned",
            "12",
            "15",
            "million",
            "in",
            "the",
            "quarter",
            "said",
            "Jane",
            "Omar",
            "on",
            "Monday",
            "up",
            "3",
            "percent",
            "rain",
            "fell",
            "Leeds",
            "Lyon",
            "Moss",
            "Hale",
            "board",
            "approved",
            "dividend",
        ]
    ),
    min_size=0,
    max_size=60,
)


@given(_story, _story)
@settings(max_examples=300, deadline=None)
def test_any_pair_gets_the_same_verdict_from_codes(a: list[str], b: list[str]) -> None:
    # b often a light edit of a: share a prefix so that near and contained verdicts occur.
    b = a[: len(a) // 2] + b
    da, db = Doc(" ".join(a)), Doc(" ".join(b))
    data, offsets = _buffer(da.folded, db.folded)
    found = pair_codes(data, offsets, np.array([0]), np.array([1]))[0]
    assert found is not None
    cfg = DedupConfig()
    assert check(da, db, cfg, None, found) == check(Doc(da.folded), Doc(db.folded), cfg)


@pytest.mark.parametrize("case", CASES, ids=[str(c["why"])[:40] for c in CASES])
def test_the_screen_hands_on_the_codes_of_the_pairs_it_passes(case: dict[str, object]) -> None:
    da, db = Doc.of(str(case["a"])), Doc.of(str(case["b"]))
    data, offsets = _buffer(da.folded, db.folded)
    screened = screen_rows(data, offsets, np.array([0]), np.array([1]), PARAMS)
    alone = pair_codes(data, offsets, np.array([0]), np.array([1]))[0]
    assert screened.words[0] == (alone if screened.codes[0] == PASS else None)
