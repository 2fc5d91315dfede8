"""The template guard: the same template filled with other numbers or names is another story.

Earnings reports, match results and forecasts share most of their words; what tells two
of them apart is a figure or a name swapped for another between shared passages.
`fact_changes` reads those swaps off the Levenshtein alignment of a verified pair.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from cleaner.dedup.align import Keys, same_word
from cleaner.dedup.codes import PairCodes
from cleaner.dedup.doc import Doc, Flags, is_name, is_number
from cleaner.dedup.screen import FactCounts
from cleaner.dedup.screen_words import NAME, NUMBER

_FACTS = NUMBER | NAME


# What OCR reads for what was printed, undone in this order ("Jirnmy" is "Jimmy",
# "Ciinton" is "Clinton"). Templates swap whole names, never these letters.
OCR_MISREADS = (("1", "l"), ("i", "l"), ("0", "o"), ("rn", "m"), ("cl", "d"), ("vv", "w"))


def ocr_key(word: str) -> str:
    """A lower-cased word with OCR misreads undone: two readings of a name agree on it.

    >>> ocr_key("Jirnmy") == ocr_key("Jimmy"), ocr_key("Ciinton") == ocr_key("Clinton")
    (True, True)
    """
    out = word.lower()
    for read, meant in OCR_MISREADS:
        out = out.replace(read, meant)
    return out


def same_name(x: str, y: str, name_similarity: float) -> bool:
    """One name spelt twice: a typo or OCR slip (one edit, two in long names) or close.

    Two noisy copies can each misread a name (one "Jirnmy", the other "Jimmy"): once
    OCR misreads are undone, the same edit budget applies.
    """
    edits = 1 if len(x) < 8 else 2
    lx, ly = x.lower(), y.lower()
    if Levenshtein.distance(lx, ly) <= edits or fuzz.ratio(x, y) / 100 >= name_similarity:
        return True
    return Levenshtein.distance(ocr_key(lx), ocr_key(ly)) <= edits


def template_changes(
    a: Doc, b: Doc, name_similarity: float
) -> tuple[tuple[tuple[str, str], ...], int]:
    """Numbers and names swapped one for another between two texts, and the fact count.

    Only short substitutions (at most 3 tokens each side, or longer ones made of facts
    only), not at the end, count: that is what filling a template looks like, while a
    rewritten headline or sentence is a longer replacement. Names closer than
    `name_similarity` are one name with a typo.
    Returns (changes, number/name tokens of the shorter text).

    >>> ch, facts = template_changes(Doc.of("Acme earned 12 million, up 3 percent."),
    ...                              Doc.of("Globex earned 15 million, up 3 percent."), 0.75)
    >>> ch, facts
    ((('Acme', 'Globex'), ('12', '15')), 3)
    """
    changes, facts, _ = fact_changes(a, b, name_similarity)
    return changes, facts


def fact_changes(
    sa: Doc,
    sb: Doc,
    name_similarity: float,
    known: FactCounts | None = None,
    codes: PairCodes | None = None,
) -> tuple[tuple[tuple[str, str], ...], int, bool]:
    """`template_changes`, plus whether a name changed between two equal stretches of text.

    Such a name is inside the shared text, not a cruft line or a rewritten start or end.
    `known`: the texts' fact counts, when the screen has counted them already; `codes`:
    the pair's word codes and flags (`codes.PairCodes`), aligned and read instead of the
    words. Either way the words are read only where both sides hold a number or a name.
    """
    fa: Flags
    fb: Flags
    if codes is None:
        keys: Keys = (sa.lower, sb.lower)
        fa, fb = sa.flags, sb.flags
    else:
        keys, fa, fb = (codes.a, codes.b), codes.flags_a, codes.flags_b
    la, lb = len(fa), len(fb)
    found: dict[tuple[int, int], tuple[str, str]] = {}  # by position: each pair once
    inner: set[tuple[str, str]] = set()
    # Plain tuples (tag, a0, a1, b0, b1): iterating rapidfuzz's Opcode objects costs more
    # than the alignment itself on long templated pairs.
    ops = cast(list[tuple[str, int, int, int, int]], Levenshtein.opcodes(*keys).as_list())
    last = len(ops) - 1
    for k, (tag, a0, a1, b0, b1) in enumerate(ops):
        if tag == "equal":
            continue
        after_equal = k > 0 and ops[k - 1][0] == "equal"
        if after_equal and a0 < la and b0 < lb and fa[a0] & fb[b0] & NUMBER:
            # A number right after shared text that differs is a changed fact whatever
            # follows it, even at the end or before a swapped sentence: "a crowd of
            # 36,754" for "a crowd of 51,526" is another match report.
            end = next((j for j in range(k, last + 1) if ops[j][0] == "equal"), last + 1)
            if ops[end - 1][2] > a0 and ops[end - 1][4] > b0:
                found[a0, b0] = (sa.words[a0], sb.words[b0])
        # Not at the very end: a cut ending followed by cruft lines looks like a swap. A
        # longer block counts only when it is a filled template: "Glenwood Yardley 6-0"
        # for "Westbury Iverson 2-1", facts for facts, its other words at most misspelt.
        if tag != "replace" or k == last:
            continue
        n = min(a1 - a0, b1 - b0)
        if not (fa[a0] & fb[b0] & _FACTS if n == 1 else _any_facts(fa, fb, a0, b0, n)):
            continue  # no number for a number nor name for a name: no fact changed
        xs, ys = sa.words[a0:a1], sb.words[b0:b1]
        pairs = [
            (i, (x, y))
            for i, (x, y) in enumerate(zip(xs, ys, strict=False))
            if _changed_fact(x, y, name_similarity)
        ]
        if (len(xs) > 3 or len(ys) > 3) and not _filled(xs, ys, len(pairs)):
            continue
        found.update({(a0 + i, b0 + i): pair for i, pair in pairs})
        if after_equal and ops[k + 1][0] == "equal":
            inner.update(pair for _, pair in pairs)
    # A pair that also appears the other way round is two sentences swapped, not a change.
    seen = {(x.lower(), y.lower()) for x, y in found.values()}
    changes = [(x, y) for x, y in found.values() if (y.lower(), x.lower()) not in seen]
    if known is None:
        facts = sa.n_facts if la <= lb else sb.n_facts
    else:
        facts = known.a if la <= lb else known.b
    inner_name = any(c in inner and not is_number(c[0]) for c in changes)
    return tuple(changes), facts, inner_name


def _any_facts(fa: Flags, fb: Flags, a0: int, b0: int, n: int) -> bool:
    """Whether a number faces a number, or a name a name, in n words from a0 and b0."""
    return any(fa[a0 + i] & fb[b0 + i] & _FACTS for i in range(n))


def _changed_fact(x: str, y: str, name_similarity: float) -> bool:
    """Two numbers, or two names that are not one name misspelt.

    Most replaced words are typos in lower-case words: the first letters rule them out
    before any of the slower tests.
    """
    cx, cy = x[:1], y[:1]
    if cx.isdigit() or cx == ".":
        return is_number(x) and is_number(y)
    return (
        cx.isupper()
        and cy.isupper()
        and is_name(x)
        and is_name(y)
        and not same_name(x, y, name_similarity)
    )


def _filled(xs: Sequence[str], ys: Sequence[str], n_facts: int) -> bool:
    """Whether a replaced block is facts for facts, every other word the same up to a typo.

    >>> _filled(["Stonehavn", "Vance", "beaf"], ["Westbury", "Iverson", "beat"], 2)
    True
    >>> _filled(["a", "rewritten", "headline", "here"], ["Mayor", "Lee", "opens", "it"], 0)
    False
    """
    if len(xs) != len(ys) or n_facts == 0:
        return False
    typos = sum(same_word(x.lower(), y.lower()) for x, y in zip(xs, ys, strict=True))
    return n_facts + typos >= len(xs)


def nested_facts(a: Doc, b: Doc) -> bool:
    """Whether every fact of one text occurs in the other, at least as often.

    Counted, not as sets: "reach 34 degrees ... up to 34 millimetres" holds 34 twice, and a
    story that has 34 only once, with 11 degrees, is another story whose 11 became 34.

    >>> nested_facts(Doc.of("Rain 34 mm, 11 degrees"), Doc.of("Rain 34 mm, 34 degrees"))
    False
    >>> nested_facts(Doc.of("In Leeds, 34 mm of rain"), Doc.of("In Leeds, 34 mm and 11 degrees"))
    True
    """
    return a.facts <= b.facts or b.facts <= a.facts
