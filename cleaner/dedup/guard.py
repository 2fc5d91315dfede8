"""The template guard: the same template filled with other numbers or names is another story.

Earnings reports, match results and forecasts share most of their words; what tells two
of them apart is a figure or a name swapped for another between shared passages.
`fact_changes` reads those swaps off the Levenshtein alignment of a verified pair.

These are the rules in Python, on word lists. The screen runs them compiled
(`guard_kernel`, property-tested equal) on every pair whose texts it can parse; this
module decides for the others (letters outside Latin-1) and lists the changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import cast

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from cleaner.dedup.align import Keys, same_word
from cleaner.dedup.doc import Doc, WordFlags, is_name, is_number
from cleaner.dedup.guard_kernel import MOVED_MAX_STRETCHES as _MOVED_MAX_STRETCHES
from cleaner.dedup.guard_kernel import MOVED_MIN_WORDS as _MOVED_MIN_WORDS
from cleaner.dedup.guard_kernel import NESTED_NUMBER_CONTEXT as _NESTED_NUMBER_CONTEXT
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
    sa: Doc, sb: Doc, name_similarity: float
) -> tuple[tuple[tuple[str, str], ...], int, tuple[tuple[str, str], ...]]:
    """`template_changes`, plus the names changed between two equal stretches of text.

    Such a name is inside the shared text, not a cruft line or a rewritten start or end.
    The words are read only where both sides hold a number or a name (`doc.WordFlags`).
    """
    changes, facts, inner_names, _ = located_fact_changes(sa, sb, name_similarity)
    return changes, facts, inner_names


def number_inside_shared(sa: Doc, sb: Doc, at: Sequence[tuple[int, int]]) -> bool:
    """Whether a number changed at one of the positions `at` (word of a, word of b; from
    `located_fact_changes`) sits inside the shared text: `NESTED_NUMBER_CONTEXT` equal
    words right before it and right after it on both sides (`guard_kernel.nested_stop`'s
    test for short texts whose facts are nested).

    >>> def inside(a, b):
    ...     da, db = Doc.of(a), Doc.of(b)
    ...     return number_inside_shared(da, db, located_fact_changes(da, db, 0.75)[3])
    >>> inside("Heavy rain of 11 mm is expected in Leeds.",
    ...        "Heavy rain of 36 mm is expected in Leeds, 11 degrees.")
    True
    >>> inside("At 6:49 AM Where is it", "At 6:33 AM Taking it on, 49 times")
    False
    """
    keys = (sa.lower, sb.lower)
    n = _NESTED_NUMBER_CONTEXT
    return any(is_number(sa.words[x]) and shared_around(keys, x, y, n) for x, y in at)


def shared_around(keys: Keys, x: int, y: int, n: int) -> bool:
    """Whether the `n` words before word x of a equal the `n` before word y of b, and
    the `n` after them too.

    >>> shared_around(("a b c X d e f".split(), "a b c Y d e f".split()), 3, 3, 3)
    True
    >>> shared_around(("a b c X d e f".split(), "a b c Y d e".split()), 3, 3, 3)
    False
    """
    ka, kb = keys
    if x < n or y < n or x + n >= len(ka) or y + n >= len(kb):
        return False
    return all(ka[x - k] == kb[y - k] and ka[x + k] == kb[y + k] for k in range(1, n + 1))


def located_fact_changes(
    sa: Doc, sb: Doc, name_similarity: float
) -> tuple[
    tuple[tuple[str, str], ...],
    int,
    tuple[tuple[str, str], ...],
    tuple[tuple[int, int], ...],
]:
    """`fact_changes`, plus the positions (word of a, word of b) of the changes."""
    keys: Keys = (sa.lower, sb.lower)
    fa, fb = sa.flags, sb.flags
    la, lb = len(fa), len(fb)
    scan = _Scan(sa, sb, keys, fa, fb, name_similarity)
    # Plain tuples (tag, a0, a1, b0, b1): iterating rapidfuzz's Opcode objects costs more
    # than the alignment itself on long templated pairs.
    ops = _opcodes(*keys)
    scan.run(ops, 0, 0, moved=False)
    for (a0, a1), (b0, b1) in _moved(ops, keys):
        # A sentence moved (two sentences swapped in one copy) leaves the alignment: its
        # words are deleted in one place and inserted in another. Aligned with the text it
        # left, it shows what changed in it: "Temperatures in Ashford will reach 38" for
        # "Temperatures in Westbury will reach 11".
        sub = _opcodes(keys[0][a0:a1], keys[1][b0:b1])
        shared = sum(x1 - x0 for tag, x0, x1, _, _ in sub if tag == "equal")
        if shared >= _MOVED_MIN_WORDS and 2 * shared >= min(a1 - a0, b1 - b0):
            scan.run(sub, a0, b0, moved=True)
    found, inner = scan.found, scan.inner
    # A pair that also appears the other way round is two sentences swapped, not a change.
    seen = {(x.lower(), y.lower()) for x, y in found.values()}
    kept = [(at, (x, y)) for at, (x, y) in found.items() if (y.lower(), x.lower()) not in seen]
    changes = [c for _, c in kept]
    facts = sa.n_facts if la <= lb else sb.n_facts
    inner_names = tuple(c for c in changes if c in inner and not is_number(c[0]))
    return tuple(changes), facts, inner_names, tuple(at for at, _ in kept)


Op = tuple[str, int, int, int, int]  # tag, a0, a1, b0, b1


def _opcodes(a: Sequence[str], b: Sequence[str]) -> list[Op]:
    return cast(list[Op], Levenshtein.opcodes(a, b).as_list())


def _moved(ops: Sequence[Op], keys: Keys) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Pairs (stretch of a, stretch of b) outside the equal runs of 3+ words, that are
    not facing each other and share words: where a moved sentence left, and where it
    arrived.

    >>> ops = [("delete", 0, 4, 0, 0), ("equal", 4, 10, 0, 6), ("insert", 10, 10, 6, 9)]
    >>> _moved(ops, ("abcdefghij", "efghijacd"))
    [((0, 4), (6, 9))]
    """
    la, lb = len(keys[0]), len(keys[1])
    m = _MOVED_MIN_WORDS
    runs = [(x0, x1, y0, y1) for tag, x0, x1, y0, y1 in ops if tag == "equal" and x1 - x0 >= m]
    bounds = [(0, 0, 0, 0), *runs, (la, la, lb, lb)]  # runs with both ends of the texts
    edges = list(pairwise(bounds))
    # (equal runs before it, stretch) of each stretch between two runs, a side
    gaps_a = [(r, (p[1], q[0])) for r, (p, q) in enumerate(edges) if q[0] - p[1] >= m]
    gaps_b = [(r, (p[3], q[2])) for r, (p, q) in enumerate(edges) if q[2] - p[3] >= m]
    if not gaps_a or not gaps_b:
        return []
    if len(gaps_a) > _MOVED_MAX_STRETCHES or len(gaps_b) > _MOVED_MAX_STRETCHES:
        return []
    # A stretch of a and the stretch of b between the same two equal runs face each other:
    # the alignment has read them already. Others are aligned only if they share enough
    # words to be one sentence (a set intersection costs less than an alignment).
    words_a = [set(keys[0][a0:a1]) for _, (a0, a1) in gaps_a]
    words_b = [set(keys[1][b0:b1]) for _, (b0, b1) in gaps_b]
    return [
        (ga, gb)
        for (ra, ga), wa in zip(gaps_a, words_a, strict=True)
        for (rb, gb), wb in zip(gaps_b, words_b, strict=True)
        if ra != rb and 2 * len(wa & wb) >= min(len(wa), len(wb)) >= _MOVED_MIN_WORDS
    ]


class _Scan:
    """Changed numbers and names read off an alignment, collected by position."""

    def __init__(
        self, a: Doc, b: Doc, keys: Keys, fa: WordFlags, fb: WordFlags, name_similarity: float
    ) -> None:
        self.a, self.b, self.keys, self.fa, self.fb = a, b, keys, fa, fb
        self.name_similarity = name_similarity
        self.found: dict[tuple[int, int], tuple[str, str]] = {}  # by position: each once
        self.inner: set[tuple[str, str]] = set()

    def run(self, ops: Sequence[Op], oa: int, ob: int, moved: bool) -> None:
        """Read the opcodes of words oa.. of a against words ob.. of b.

        `moved`: the opcodes align a moved stretch with the text it left. Only changes
        between two shared runs of 2+ words count there ("Temperatures in Ashford will
        reach" for "Temperatures in Westbury will reach"), a name there is not taken
        for one inside the shared text, and no block of cruft lines is looked for.
        """
        fa, fb = self.fa, self.fb
        la, lb = len(fa), len(fb)
        last = len(ops) - 1
        equal = [k for k, op in enumerate(ops) if op[0] == "equal"]
        first_equal, last_equal = (equal[0], equal[-1]) if equal else (last + 1, -1)
        opening = not moved and 0 < first_equal <= last
        for k, (tag, a0, a1, b0, b1) in enumerate(ops):
            if tag == "equal":
                continue
            a0, a1, b0, b1 = a0 + oa, a1 + oa, b0 + ob, b1 + ob
            # In moved text a fact counts only between two shared words or more each side:
            # the stretches are cut out of the alignment at arbitrary ends.
            after_equal = k > 0 and ops[k - 1][0] == "equal"
            if moved and (
                not after_equal
                or ops[k - 1][2] - ops[k - 1][1] < 2
                or k == last
                or ops[k + 1][0] != "equal"
                or ops[k + 1][2] - ops[k + 1][1] < 2
            ):
                continue
            if (
                after_equal
                and a0 < la
                and b0 < lb
                and fa[a0] & fb[b0] & NUMBER
                and self._both_sides(ops, k, a0, b0, oa, ob)
            ):
                # A number right after shared text that differs is a changed fact whatever
                # follows it, even at the end or before a swapped sentence: "a crowd of
                # 36,754" for "a crowd of 51,526" is another match report.
                self.found[a0, b0] = (self.a.words[a0], self.b.words[b0])
            # After the last shared text a cut ending followed by cruft lines or an added
            # paragraph ("Comments 0" where the other copy goes on) looks like a swap. Only
            # a name right after two shared words, facing another name, counts there:
            # "Temperatures in Pinecrest" where the other goes on "Temperatures in Westbury
            # will reach" is another town, whether the cut text ends there or page
            # furniture follows ("Print this page": not names, see `doc.is_name`). One
            # such name among a long story's many facts stops nothing (`verify`'s shares).
            # A longer block counts only when it is a filled template: "Glenwood Yardley
            # 6-0" for "Westbury Iverson 2-1", facts for facts, other words at most misspelt.
            if k > last_equal:
                if k == last_equal + 1 and ops[k - 1][2] - ops[k - 1][1] >= 2:
                    self._cut_on_name(a0, ops[-1][2] + oa, b0, ops[-1][4] + ob)
                continue
            if tag != "replace":
                continue
            n = min(a1 - a0, b1 - b0)
            if not (fa[a0] & fb[b0] & _FACTS if n == 1 else _any_facts(fa, fb, a0, b0, n)):
                continue  # no number for a number nor name for a name: no fact changed
            inner = after_equal and ops[k + 1][0] == "equal" and not moved
            if self._fill(a0, a1, b0, b1, inner) and k < first_equal:
                opening = False  # the opening block is a filled template as it stands
        if opening:
            # Cruft lines before a filled template, read as one block with it: the
            # template's words sit against the shared text after them ("Read more
            # Glenwood Underhill beat" for "Stonehaven Quimby beaw"), read back from there
            # while they are facts or typos.
            _, shared_a, _, shared_b, _ = ops[first_equal]
            self._filled_tail(oa, shared_a + oa, ob, shared_b + ob)

    def _cut_on_name(self, a0: int, a1: int, b0: int, b1: int) -> None:
        """Record the names facing each other right after the last shared text."""
        if a1 > a0 and b1 > b0 and self.fa[a0] & self.fb[b0] & NAME:
            x, y = self.a.words[a0], self.b.words[b0]
            if _changed_fact(x, y, self.name_similarity):
                self.found[a0, b0] = (x, y)

    def _both_sides(self, ops: Sequence[Op], k: int, a0: int, b0: int, oa: int, ob: int) -> bool:
        """Whether the stretch of unequal words from op k has words on both sides."""
        end = next((j for j in range(k, len(ops)) if ops[j][0] == "equal"), len(ops))
        return ops[end - 1][2] + oa > a0 and ops[end - 1][4] + ob > b0

    def _filled_tail(self, a0: int, a1: int, b0: int, b1: int) -> None:
        """Record the changed facts at the end of a block when there are two or more,
        with nothing but typos between them. A fact found in the other text too was moved
        there (a swapped sentence), not changed."""
        pairs: dict[tuple[int, int], tuple[str, str]] = {}
        ka, kb = self.keys
        for i in range(1, min(a1 - a0, b1 - b0) + 1):
            if ka[a1 - i] == kb[b1 - i]:
                continue  # the same word
            x, y = self.a.words[a1 - i], self.b.words[b1 - i]
            facts = self.fa[a1 - i] & self.fb[b1 - i] & _FACTS
            if facts and _changed_fact(x, y, self.name_similarity):
                pairs[a1 - i, b1 - i] = (x, y)
                continue
            if not _typo(x.lower(), y.lower()):
                break
        if len(pairs) < 2:
            return
        in_a, in_b = set(ka), set(kb)
        pairs = {
            (i, j): p for (i, j), p in pairs.items() if ka[i] not in in_b and kb[j] not in in_a
        }
        if len(pairs) >= 2:
            self.found.update(pairs)

    def _fill(self, a0: int, a1: int, b0: int, b1: int, inner: bool) -> bool:
        """Record the changed facts of a replaced block, where a number faces a number or
        a name a name, if it is a filled template."""
        xs, ys = self.a.words[a0:a1], self.b.words[b0:b1]
        pairs = [
            (i, (x, y))
            for i, (x, y) in enumerate(zip(xs, ys, strict=False))
            if _changed_fact(x, y, self.name_similarity)
        ]
        if (len(xs) > 3 or len(ys) > 3) and not _filled(xs, ys, len(pairs)):
            return False
        self.found.update({(a0 + i, b0 + i): pair for i, pair in pairs})
        if inner:
            self.inner.update(pair for _, pair in pairs)
        return True


def other_name(x: str, y: str, similarity: float) -> bool:
    """Two names of 4+ letters that share few letters even with OCR misreads undone:
    another name filled in, not one garbled by OCR ("Rxik" for "Rain" keeps half).

    >>> other_name("Westbury", "Stonehaven", 0.45), other_name("Jestp", "Jessup", 0.45)
    (True, False)
    """
    if len(x) < 4 or len(y) < 4:
        return False
    return fuzz.ratio(ocr_key(x), ocr_key(y)) < 100 * similarity


def _any_facts(fa: WordFlags, fb: WordFlags, a0: int, b0: int, n: int) -> bool:
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
    typos = sum(_typo(x.lower(), y.lower()) for x, y in zip(xs, ys, strict=True))
    return n_facts + typos >= len(xs)


def _typo(x: str, y: str) -> bool:
    """One word misspelt or misread by OCR ("0f" for "of"), or a short word that lost or
    gained a letter ("th" for "the"), among the facts of a filled block.

    >>> _typo("th", "the"), _typo("0f", "of"), _typo("in", "on")
    (True, True, False)
    """
    if same_word(x, y) or (x != y and ocr_key(x) == ocr_key(y)):
        return True
    return abs(len(x) - len(y)) == 1 and Levenshtein.distance(x, y, score_cutoff=1) <= 1


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
