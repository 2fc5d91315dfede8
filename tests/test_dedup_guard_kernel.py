"""Specs of the compiled template guard: rapidfuzz's Levenshtein alignment, Python's guard.

The screen runs the template guard compiled (`guard_kernel`) on every pair it can parse;
the Python guard (`guard.fact_changes`, `verify._stop`) states the rules and is left the
texts outside Latin-1. Both must find the same changed facts, in the same order, and
take the same decision (both decide with `guard_kernel.stop_code` on what they found).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import Levenshtein

from cleaner.config import DedupConfig
from cleaner.dedup.doc import Doc
from cleaner.dedup.guard import fact_changes as py_fact_changes
from cleaner.dedup.guard_kernel import (
    EXCERPT,
    MANY,
    ONE_BIG,
    SHORT_NAME,
    SHORT_NUMBER,
    decide,
    fact_changes,
    stop_code,
)
from cleaner.dedup.lev import opcodes
from cleaner.dedup.screen import screen_params
from cleaner.dedup.screen_words import parse_row
from cleaner.dedup.verify import _stop

CFG = DedupConfig()
PARAMS = screen_params(CFG)
CASES = json.loads((Path(__file__).parent / "cases" / "dedup_pairs.json").read_text())["cases"]

_tokens = st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), max_size=150)


@given(_tokens, _tokens)
@settings(max_examples=400, deadline=None)
def test_levenshtein_opcodes_are_rapidfuzzs(a: list[str], b: list[str]) -> None:
    # Few distinct words: equally cheap alignments everywhere, and ties must be broken
    # rapidfuzz's way (sequences past 64 words take several words of bits).
    assert opcodes(a, b) == [tuple(o) for o in Levenshtein.opcodes(a, b).as_list()]


def _compiled(a: Doc, b: Doc) -> tuple[list[tuple[str, str]], list[tuple[str, str]], int]:
    """The kernel's (changes, inner names, decision) on two texts, as words."""
    ta, tb = a.folded.encode("utf-8"), b.folded.encode("utf-8")
    buf = np.frombuffer(ta + tb, np.uint8)
    A = parse_row(buf, 0, len(ta), PARAMS.not_names)
    B = parse_row(buf, len(ta), len(ta) + len(tb), PARAMS.not_names)
    assert A[4] and B[4], "the kernel reads Latin-1 text only"
    found = fact_changes(buf, A, B, CFG.template_name_similarity)
    changes = [(a.words[x], b.words[y]) for x, y, _ in found.tolist()]
    inner = [(a.words[x], b.words[y]) for x, y, i in found.tolist() if i]
    short = min(len(a.words), len(b.words))
    facts = a.n_facts if len(a.words) <= len(b.words) else b.n_facts
    for contained in (False, True):
        why = decide(buf, A, B, found, facts, contained, short, PARAMS.floats, PARAMS.ints)
        py = _python(a, b, contained)[2]
        assert why == py, f"decision {why} (compiled) != {py} (Python), contained={contained}"
    return changes, inner, why


def _python(
    a: Doc, b: Doc, contained: bool
) -> tuple[list[tuple[str, str]], list[tuple[str, str]], int]:
    changes, facts, inner = py_fact_changes(a, b, CFG.template_name_similarity)
    short = min(len(a.words), len(b.words))
    return list(changes), list(inner), _stop(changes, facts, inner, contained, short, CFG)


def _same(a: str, b: str) -> None:
    da, db = Doc.of(a), Doc.of(b)
    got = _compiled(da, db)
    want = _python(da, db, True)
    assert got == want


# A templated story and its ingredients: names, figures, words a typo or OCR can garble.
_NAMES = [
    "Westbury",
    "Stonehaven",
    "Iverson",
    "Quimby",
    "Ashford",
    "Jane",
    "Moss",
    "Leeds",
    "Acme",
    "Globex",
    "Marsden",
    "Whitfield",
    "Jimmy",
    "Jirnmy",
    "Clinton",
    "Ciinton",
]
_NUMBERS = ["12", "15", "3", "38", "11", "2024", "51526", "36754", "6", "0"]
_WORDS = [
    "the",
    "beat",
    "reach",
    "will",
    "temperatures",
    "in",
    "council",
    "said",
    "on",
    "after",
    "a",
    "crowd",
    "of",
    "match",
    "quarter",
    "earned",
    "million",
    "up",
]
_word = st.one_of(st.sampled_from(_NAMES), st.sampled_from(_NUMBERS), st.sampled_from(_WORDS))
_sentence = st.lists(_word, min_size=3, max_size=12).map(" ".join)


@st.composite
def _pairs(draw: st.DrawFn) -> tuple[str, str]:
    """A story and a copy with the edits templates and reprints make: facts swapped for
    others, typos, two sentences swapped, a cut, cruft lines at either end."""
    sentences = draw(st.lists(_sentence, min_size=2, max_size=8))
    copy = [s.split() for s in sentences]
    for s in copy:
        for i in range(len(s)):
            roll = draw(st.integers(0, 9))
            if roll == 0:
                s[i] = draw(_word)  # another fact, or another word
            elif roll == 1 and len(s[i]) > 1:
                # A typo or an OCR slip: a letter misread, lost or gained ("th" for "the").
                j = draw(st.integers(0, len(s[i]) - 1))
                cut = draw(st.integers(0, 2))
                s[i] = s[i][:j] + draw(st.sampled_from("aeirnl1"))[: 2 - cut] + s[i][j + cut :]
    if len(copy) > 2 and draw(st.booleans()):
        i, j = draw(st.integers(0, len(copy) - 1)), draw(st.integers(0, len(copy) - 1))
        copy[i], copy[j] = copy[j], copy[i]
    if draw(st.booleans()):
        copy = copy[: draw(st.integers(1, len(copy)))]
    lines = [" ".join(s) for s in copy]
    if draw(st.booleans()):
        lines.insert(0, draw(st.sampled_from(["Read more", "Share this article", "PHOTO"])))
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(["Comments 0", "Follow us", "Updated Monday"])))
    return " ".join(sentences), " ".join(lines)


@given(_pairs())
@settings(max_examples=600, deadline=None)
def test_compiled_guard_finds_what_the_python_guard_finds(pair: tuple[str, str]) -> None:
    _same(*pair)
    _same(pair[1], pair[0])


@pytest.mark.parametrize("case", CASES, ids=[str(c["why"])[:40] for c in CASES])
def test_compiled_guard_agrees_on_the_golden_pairs(case: dict[str, object]) -> None:
    _same(str(case["a"]), str(case["b"]))


@pytest.mark.parametrize(
    ("a", "b", "changes"),
    [
        # Filled template: every fact of the block changed.
        (
            "Westbury beat Iverson 2 1 in front of a crowd of 36754 on Saturday",
            "Stonehaven beat Quimby 6 0 in front of a crowd of 51526 on Saturday",
            [
                ("Westbury", "Stonehaven"),
                ("Iverson", "Quimby"),
                ("2", "6"),
                ("1", "0"),
                ("36754", "51526"),
            ],
        ),
        # Two sentences swapped in one copy: moved text aligned with where it left.
        (
            "Temperatures in Ashford will reach 38 on Monday. The council met in Leeds after "
            "the storm and said roads would reopen by the weekend",
            "The council met in Leeds after the storm and said roads would reopen by the "
            "weekend. Temperatures in Westbury will reach 11 on Monday",
            [("Ashford", "Westbury"), ("38", "11")],
        ),
        # A filled block is facts for facts, its other words the same up to a slip, even a
        # lost letter in a short word ("th" for "the").
        (
            "In the final Westbury th Iverson 2 goals to nil in the rain on Saturday",
            "In the final Stonehaven the Quimby 6 goals to nil in the rain on Saturday",
            [("Westbury", "Stonehaven"), ("Iverson", "Quimby"), ("2", "6")],
        ),
        # An OCR slip in a name is not a change.
        (
            "Jimmy Clinton earned 12 million in the quarter and said on Monday it was enough",
            "Jirnmy Ciinton earned 12 million in the quarter and said on Monday it was enough",
            [],
        ),
    ],
)
def test_compiled_guard_reads_changes_like_the_python_guard(
    a: str, b: str, changes: list[tuple[str, str]]
) -> None:
    got = _compiled(Doc.of(a), Doc.of(b))[0]
    assert got == changes
    assert _python(Doc.of(a), Doc.of(b), False)[0] == changes


# (changed facts, facts of the shorter text, a number changed, a name changed inside shared
# text, clearly another name, excerpt, words of the shorter text) -> why the guard stops.
STOPS = [
    ((2, 10, False, False, False, False, 200), MANY),  # 20 % of the facts, two changes
    ((1, 5, False, False, False, False, 200), ONE_BIG),  # one change, 20 % of the facts
    ((1, 20, True, False, False, True, 200), EXCERPT),  # a figure changed inside a cut copy
    ((1, 20, False, True, False, True, 60), EXCERPT),  # a short cut: any inner name counts
    ((1, 20, False, True, False, True, 200), 0),  # a long cut: an OCR-misread name does not
    ((1, 20, False, True, True, True, 200), EXCERPT),  # ... clearly another name does
    ((1, 20, True, False, False, False, 60), SHORT_NUMBER),  # a short results line
    ((1, 20, True, False, False, False, 200), 0),  # a corrected figure in a long reprint
    ((1, 20, False, True, True, False, 60), SHORT_NAME),  # another team in a short text
    ((1, 20, False, True, False, False, 60), 0),  # a misread name in a short near copy
    ((0, 0, False, False, False, True, 60), 0),  # nothing changed
]


@pytest.mark.parametrize(("found", "why"), STOPS)
def test_stop_rule(found: tuple[int, int, bool, bool, bool, bool, int], why: int) -> None:
    assert stop_code(*found, PARAMS.floats, PARAMS.ints) == why
