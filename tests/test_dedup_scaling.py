"""The scaling run's enciphered copies (bench/dedup_scaling.py): each copy of the corpus
must be the same corpus to dedup (same lengths, case, digits, punctuation, labels) and
share no word with the others, or K copies would not be K times one batch's work."""

from __future__ import annotations

import doctest
import re

import polars as pl

import bench.dedup_scaling
from bench.dedup_scaling import alphabet, encipher, medians, split

TEXT = "Acme Holdings reported 12.5% growth, said CEO O'Neil; shares rose 3 cents."
DF = pl.DataFrame(
    {
        "doc_id": ["d1", "d2"],
        "label": ["s1", "s1"],
        "family": ["copy", "base"],
        "title": ["Acme up", None],
        "body": [TEXT, "Rain in Millbrook"],
    }
)


def _shape(text: str) -> str:
    """The text with every letter replaced by its case, every digit by 0: what a cipher
    must keep."""
    return re.sub("[0-9]", "0", re.sub("[a-z]", "a", re.sub("[A-Z]", "A", text)))


def test_copy_zero_is_the_corpus_itself() -> None:
    assert encipher(DF, 0).equals(DF)


def test_a_copy_keeps_case_punctuation_number_formats_and_lengths() -> None:
    out = encipher(DF, 5)
    for before, after in zip(DF["body"], out["body"], strict=True):
        assert after != before
        assert _shape(after) == _shape(before)
    figures = re.compile(r"[0-9]+")
    assert figures.findall(out["body"][0]) != figures.findall(TEXT)  # figures enciphered too
    assert out["title"][1] is None
    assert out["family"].to_list() == DF["family"].to_list()


def test_copies_get_their_own_ids_and_labels() -> None:
    both = pl.concat([encipher(DF, k) for k in range(3)])
    assert both["doc_id"].n_unique() == 6
    assert both["label"].n_unique() == 3  # one story per copy, its two rows still one


def test_copies_share_no_word_of_four_letters_or_more() -> None:
    words = [set(re.findall(r"[A-Za-z]{4,}", encipher(DF, k)["body"][0].lower())) for k in range(8)]
    for i in range(8):
        for j in range(i + 1, 8):
            assert not words[i] & words[j], (i, j)


def test_alphabets_are_permutations_and_fixed_per_copy() -> None:
    src, dst = alphabet(7)
    assert sorted(src) == sorted(dst)
    assert alphabet(7) == (src, dst)
    assert alphabet(7) != alphabet(8)


def test_the_modules_examples_hold() -> None:
    assert doctest.testmod(bench.dedup_scaling).failed == 0


def test_a_run_splits_into_verification_per_pair_and_the_rest_per_story() -> None:
    # 70 s for a million stories, 33 s of it verifying 2.3M pairs.
    assert split(70.0, 33.0, 1_000_000, 2_300_000) == (37.0, 14.3)
    assert split(1.0, 0.0, 10, 0) == (100000.0, 0.0)  # nothing verified: no pair cost


def test_medians_take_each_measure_on_its_own() -> None:
    runs = [
        {"corpus": "a", "docs": 3, "wall_s": 9.0, "pairs_per_story": 2.0},
        {"corpus": "a", "docs": 3, "wall_s": 7.0, "pairs_per_story": 2.0},
        {"corpus": "a", "docs": 3, "wall_s": 8.0, "pairs_per_story": 2.0},
    ]
    assert medians(runs) == {"corpus": "a", "docs": 3, "wall_s": 8.0, "pairs_per_story": 2.0}
    assert medians(runs[:2])["wall_s"] == 8.0  # an even count: the mean of the middle two
