"""A story as verification reads it: folded words, lower-cased words, facts and flags."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from functools import cached_property

from cleaner.dedup.keys import surface_tokens
from cleaner.dedup.screen_words import NAME, NOT_NAMES, NUMBER

# Facts of a folded text: a word starting with a digit, or a capital and 2+ characters.
# A regex pass over the joined words costs a fifth of testing each word in Python.
_FACT_WORD = re.compile(r"(?:(?<= )|^)(?:\d|[^\W\d_a-z](?=\w))\w*", re.UNICODE)


class Doc:
    """A story as verification reads it: its folded words, with and without case.

    Verification works on words folded like the match keys (number formats, quotes,
    punctuation) but with their case kept, because the template guard tells names by
    their capital. `Doc(folded)` takes that text as the tokenizer already produced it;
    `Doc.of` folds a raw text first (the slow path, for single pairs). Each view is built on
    first use: most candidate pairs are rejected on the lower-cased words alone.

    >>> d = Doc.of("Acme\u2019s revenue: $1,300 (5%) in Lyon, via X.")
    >>> d.words
    ['Acmes', 'revenue', '1300', '5', 'percent', 'in', 'Lyon', 'via', 'X']
    >>> sorted(d.facts.elements()), d.n_facts
    (['1300', '5', 'acmes', 'lyon'], 4)
    """

    def __init__(self, folded: str) -> None:
        self.folded = folded  # words folded with their case kept, separated by spaces

    @staticmethod
    def of(text: str) -> Doc:
        """From a raw text (folds it first)."""
        return Doc(" ".join(surface_tokens(text)))

    @cached_property
    def words(self) -> list[str]:
        """The words, case kept."""
        return self.folded.split()

    @cached_property
    def lower(self) -> list[str]:
        """The words, lower-cased: what alignment compares."""
        return self.folded.lower().split()

    @cached_property
    def _fact_words(self) -> list[str]:
        # The regex lets through any non-ASCII letter; keep the capitals ("Émile", not "été").
        return [w for w in _FACT_WORD.findall(self.folded) if w[0] < "\x80" or not w[0].islower()]

    @cached_property
    def facts(self) -> Counter[str]:
        """Numbers and capitalised words, lower-cased, with how often each occurs."""
        return Counter(f.lower() for f in self._fact_words)

    @property
    def flags(self) -> WordFlags:
        """Each word's flags, `NUMBER` and `NAME`: what `codes.PairCodes` holds."""
        return WordFlags(self.words)

    @property
    def n_facts(self) -> int:
        """How many numbers and capitalised words the text holds (repeats count)."""
        return len(self._fact_words)


class WordFlags:
    """Flags of words (`NUMBER`, `NAME`), each worked out when it is read: the template
    guard reads a few of them, where its alignment replaced words.

    >>> bytes(WordFlags(["Acme", "earned", "12", "The"]))
    b'\\x02\\x00\\x01\\x00'
    """

    __slots__ = ("words",)

    def __init__(self, words: Sequence[str]) -> None:
        self.words = words

    def __len__(self) -> int:
        return len(self.words)

    def __getitem__(self, i: int) -> int:
        w = self.words[i]
        return (NUMBER * is_number(w)) | (NAME * is_name(w))


def is_number(tok: str) -> bool:
    return tok.replace(".", "", 1).isdigit()


def is_name(tok: str) -> bool:
    return tok[:1].isupper() and len(tok) > 1 and tok.lower() not in NOT_NAMES
