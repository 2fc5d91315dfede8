"""The article-extraction-benchmark metric: 4-token shingle multisets, mean per document.

Why here and not in bench/: the accuracy-floor test and the benchmark must compute the
very same number, so the metric lives in the package once. It follows the definition used
by the article-extraction-benchmark (and trafilatura's evaluation): tokens are
``re.findall(r"\\w+", text)`` with case kept; a text shorter than four tokens yields one
shorter shingle; precision is averaged over documents whose prediction is non-empty,
recall over all documents; F1 is taken from the two means.

>>> s = shingle_counts(true="a b c d e", pred="a b c d")
>>> (s.tp, s.fp, s.fn)
(1, 0, 1)
>>> summarise([s]).f1
0.6666666666666666
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

_TOKEN_RE = re.compile(r"\w+")
SHINGLE_SIZE = 4


@dataclass(frozen=True, slots=True)
class ShingleCounts:
    """True positives, false positives and false negatives of one document's shingles."""

    tp: int
    fp: int
    fn: int


@dataclass(frozen=True, slots=True)
class Scores:
    """Mean precision and recall over documents, the F1 of those means, and empty outputs."""

    f1: float
    precision: float
    recall: float
    documents: int
    empty_outputs: int


def shingles(text: str, n: int = SHINGLE_SIZE) -> Counter[tuple[str, ...]]:
    """Multiset of word n-grams; a text shorter than n tokens gives one shorter shingle.

    >>> sorted(shingles("one two"))
    [('one', 'two')]
    >>> shingles("")
    Counter()
    """
    tokens = _TOKEN_RE.findall(text)
    grams: Counter[tuple[str, ...]] = Counter()
    for i in range(max(1, len(tokens) - n + 1)):
        gram = tuple(tokens[i : i + n])
        if gram:
            grams[gram] += 1
    return grams


def shingle_counts(true: str, pred: str) -> ShingleCounts:
    """Multiset overlap of the gold text's and the predicted text's shingles."""
    gold = shingles(true)
    got = shingles(pred)
    tp = sum((got & gold).values())
    return ShingleCounts(tp=tp, fp=sum(got.values()) - tp, fn=sum(gold.values()) - tp)


def summarise(counts: Sequence[ShingleCounts]) -> Scores:
    """Mean per-document precision (non-empty predictions only) and recall, and their F1."""
    precisions = [c.tp / (c.tp + c.fp) for c in counts if c.tp + c.fp > 0]
    recalls = [c.tp / (c.tp + c.fn) for c in counts if c.tp + c.fn > 0]
    p = sum(precisions) / len(precisions) if precisions else 0.0
    r = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return Scores(
        f1=f1,
        precision=p,
        recall=r,
        documents=len(counts),
        empty_outputs=sum(1 for c in counts if c.tp + c.fp == 0),
    )
