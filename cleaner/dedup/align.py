"""Alignment of two word sequences: exact runs (LCS), and runs that keep misspelt words.

Verification aligns a pair's lower-cased words (or the pair's word codes, `codes.PairCodes`,
which align the same way) and counts only runs of `min_run`+ words as shared text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz.distance import LCSseq, Levenshtein

# What alignment compares for a pair: its lower-cased word lists, or the pair's word codes
# (one character per word, `codes.PairCodes`), which align the same way, faster.
Keys = tuple[Sequence[str], Sequence[str]]


@dataclass(frozen=True)
class Alignment:
    """How two token sequences align: matched tokens in runs of at least `min_run`."""

    len_a: int
    len_b: int
    matched: int  # tokens in equal runs of at least min_run tokens
    shared: tuple[tuple[int, int, int], ...]  # (start in a, start in b, length) of those runs

    @property
    def similarity(self) -> float:
        """2*matched / (len a + len b): 1.0 for identical sequences."""
        total = self.len_a + self.len_b
        return 2.0 * self.matched / total if total else 0.0

    @property
    def containment(self) -> float:
        """matched / length of the shorter sequence: 1.0 when it is found whole."""
        short = min(self.len_a, self.len_b)
        return self.matched / short if short else 0.0


def align(a: Sequence[object], b: Sequence[object], min_run: int) -> Alignment:
    """Align two token sequences; only runs of `min_run`+ equal tokens count as shared.

    >>> al = align("x a b c d y".split(), "a b c d z".split(), 3)
    >>> al.matched, al.shared, round(al.containment, 2)
    (4, ((1, 0, 4),), 0.8)
    """
    shared: list[tuple[int, int, int]] = []
    matched = 0
    if a and b:
        # The equal blocks of `LCSseq.opcodes`, without building the other opcodes.
        for a0, b0, size in LCSseq.editops(a, b).as_matching_blocks():
            if size >= min_run:
                shared.append((a0, b0, size))
                matched += size
    return Alignment(len(a), len(b), matched, tuple(shared))


def same_word(x: str, y: str) -> bool:
    """One word with a typo or OCR slip: one edit, two in words of 5+ letters.

    Numbers never match another number, nor "5th" "6th": a changed figure is a changed
    fact, not a slip (a digit read for a letter, "counci1", is a slip). Words under 3
    letters neither: "in"/"on" are two words, not one misspelt.

    >>> same_word("tirne", "time"), same_word("counci1", "council"), same_word("12", "13")
    (True, True, False)
    """
    if len(x) < 3 or len(y) < 3 or x.isdigit() or y.isdigit():
        return False
    dx, dy = _digits(x), _digits(y)
    if dx and dy and dx != dy:
        return False
    k = 1 if max(len(x), len(y)) < 5 else 2
    return Levenshtein.distance(x, y, score_cutoff=k) <= k


def _digits(word: str) -> str:
    return "".join(c for c in word if c.isdigit())


def align_fuzzy(
    a: Sequence[str], b: Sequence[str], min_run: int, keys: Keys | None = None
) -> Alignment:
    """Like `align`, but a word replaced by a misspelling of itself stays in the run.

    `keys`: the pair's word codes (`codes.PairCodes`), aligned instead of the words.

    Why: OCR noise or typos at 3% of letters corrupt ~15% of words; with exact tokens a
    noisy reprint's runs break every ~6 words and short pieces fall under `min_run`,
    so a real copy scores 0.6. A one-for-one substitution of a near-identical word
    inside aligned text is the same word, in any language and any outlet.

    >>> a, b = "the counci1 met on friday", "the council met on friday"
    >>> al = align_fuzzy(a.split(), b.split(), 3)
    >>> al.matched, al.shared
    (5, ((0, 0, 5),))
    """
    shared: list[tuple[int, int, int]] = []
    matched = 0
    run = [0, 0, 0]  # start in a, start in b, length

    def close() -> None:
        nonlocal matched
        if run[2] >= min_run:
            shared.append((run[0], run[1], run[2]))
            matched += run[2]

    def gap(a0: int, a1: int, b0: int, b1: int) -> None:
        # LCS opcodes are inserts and deletes only: a gap between two equal blocks is a
        # substitution when both sides have the same number of words.
        if a1 - a0 != b1 - b0:
            close()
            run[2] = 0
            return
        for i in range(a1 - a0):
            if same_word(a[a0 + i], b[b0 + i]):
                if run[2] == 0:
                    run[:] = [a0 + i, b0 + i, 0]
                run[2] += 1
            else:
                close()
                run[2] = 0

    if a and b:
        ea = eb = 0  # where the last equal block ended
        # The equal blocks of `LCSseq.opcodes`; the last one (len a, len b, 0) closes.
        for a0, b0, size in LCSseq.editops(*(keys or (a, b))).as_matching_blocks():
            if a0 > ea or b0 > eb:
                gap(ea, a0, eb, b0)
            if size:
                if run[2] == 0:
                    run[:] = [a0, b0, 0]
                run[2] += size
            ea, eb = a0 + size, b0 + size
        close()
    return Alignment(len(a), len(b), matched, tuple(shared))
