"""Verification of candidate pairs on the real texts with rapidfuzz.

MinHash only proposes; a pair counts as a duplicate only after its token sequences are
aligned (longest common subsequence) and the aligned text passes three tests:
similarity (light edits), containment (truncated or extended copies) and the template
guard (same template, different numbers or names: not the same story).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal, cast

from rapidfuzz import fuzz
from rapidfuzz.distance import LCSseq, Levenshtein

from cleaner.config import DedupConfig
from cleaner.dedup.codes import PairCodes
from cleaner.dedup.keys import surface_tokens
from cleaner.dedup.screen import PASS, FactCounts, screen_params, screen_texts
from cleaner.dedup.screen_words import NAME, NOT_NAMES, NUMBER

Kind = Literal["exact", "near", "contained", "revision"]
# What alignment compares for a pair: its lower-cased word lists, or the pair's word codes
# (one character per word, `codes.PairCodes`), which align the same way, faster.
Keys = tuple[Sequence[str], Sequence[str]]
_FACTS = NUMBER | NAME


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


@dataclass(frozen=True)
class Verdict:
    """Outcome of verifying one pair, with the rule that decided it."""

    duplicate: bool
    kind: Kind | None
    similarity: float
    containment: float
    template_changes: tuple[tuple[str, str], ...]  # changed numbers/names (a, b)
    rule: str


def align(a: Sequence[object], b: Sequence[object], min_run: int) -> Alignment:
    """Align two token sequences; only runs of `min_run`+ equal tokens count as shared.

    >>> al = align("x a b c d y".split(), "a b c d z".split(), 3)
    >>> al.matched, al.shared, round(al.containment, 2)
    (4, ((1, 0, 4),), 0.8)
    """
    shared: list[tuple[int, int, int]] = []
    matched = 0
    if a and b:
        ops = cast(list[tuple[str, int, int, int, int]], LCSseq.opcodes(a, b).as_list())
        for tag, a0, a1, b0, _ in ops:
            if tag == "equal" and a1 - a0 >= min_run:
                shared.append((a0, b0, a1 - a0))
                matched += a1 - a0
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
        g: list[int] | None = None  # open gap: [a0, a1, b0, b1]
        for op in LCSseq.opcodes(*(keys or (a, b))):
            if op.tag == "equal":
                if g is not None:
                    gap(*g)
                    g = None
                if run[2] == 0:
                    run[:] = [op.src_start, op.dest_start, 0]
                run[2] += op.src_end - op.src_start
            elif g is None:
                g = [op.src_start, op.src_end, op.dest_start, op.dest_end]
            else:
                g[1], g[3] = op.src_end, op.dest_end
        if g is not None:
            gap(*g)
        close()
    return Alignment(len(a), len(b), matched, tuple(shared))


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
        return (NUMBER * _is_number(w)) | (NAME * _is_name(w))


Flags = bytes | WordFlags  # a pair's flags from the screen (`codes.PairCodes`), or from words


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


def _same_name(x: str, y: str, name_similarity: float) -> bool:
    """One name spelt twice: a typo or OCR slip (one edit, two in long names) or close.

    Two noisy copies can each misread a name (one "Jirnmy", the other "Jimmy"): once
    OCR misreads are undone, the same edit budget applies.
    """
    edits = 1 if len(x) < 8 else 2
    lx, ly = x.lower(), y.lower()
    if Levenshtein.distance(lx, ly) <= edits or fuzz.ratio(x, y) / 100 >= name_similarity:
        return True
    return Levenshtein.distance(ocr_key(lx), ocr_key(ly)) <= edits


def _is_number(tok: str) -> bool:
    return tok.replace(".", "", 1).isdigit()


def _is_name(tok: str) -> bool:
    return tok[:1].isupper() and len(tok) > 1 and tok.lower() not in NOT_NAMES


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
    changes, facts, _ = _changes(a, b, name_similarity)
    return changes, facts


def _changes(
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
    inner_name = any(c in inner and not _is_number(c[0]) for c in changes)
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
        return _is_number(x) and _is_number(y)
    return (
        cx.isupper()
        and cy.isupper()
        and _is_name(x)
        and _is_name(y)
        and not _same_name(x, y, name_similarity)
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


def _passes(al: Alignment, cfg: DedupConfig) -> bool:
    """Whether an alignment is a near or contained duplicate before the template guard."""
    short, long_ = sorted((al.len_a, al.len_b))
    return al.similarity >= cfg.min_similarity or (
        al.containment >= cfg.min_containment
        and short >= cfg.min_contained_tokens
        and short >= cfg.min_length_ratio * long_
    )


def verify(a: Doc, b: Doc, cfg: DedupConfig) -> Verdict:
    """Decide whether b duplicates a (or a b): near, contained, or not, and why.

    A duplicate must pass both the compiled screen and the rapidfuzz check (`check`),
    the same two tests, in the other order, as pairs verified in bulk (`pairs`).

    >>> cfg = DedupConfig()
    >>> a = "the council approved the new budget for the city schools on monday " * 10
    >>> v = verify(Doc.of(a), Doc.of(" ".join(a.split()[:30])), cfg)
    >>> v.kind, v.containment
    ('contained', 1.0)
    """
    v = check(a, b, cfg)
    if not v.duplicate or screen_texts(a.folded, b.folded, screen_params(cfg))[0] == PASS:
        return v
    # Rare: the screen's guard, reading substitutions off the gaps of the exact
    # alignment, saw a template filled with other facts where the Levenshtein
    # alignment did not.
    changes = template_changes(a, b, cfg.template_name_similarity)[0]
    shown = ", ".join(f"{x}->{y}" for x, y in changes[:4])
    return Verdict(
        False,
        None,
        v.similarity,
        v.containment,
        changes,
        f"template guard: numbers/names changed between shared passages ({shown or 'screen'}), "
        f"although {v.rule}",
    )


def check(
    a: Doc,
    b: Doc,
    cfg: DedupConfig,
    known: FactCounts | None = None,
    codes: PairCodes | None = None,
) -> Verdict:
    """The rapidfuzz half of `verify`: alignment, containment and the template guard.

    Bulk verification passes on what the compiled screen found, for the same verdict
    with less work in Python: `known`, the two texts' facts as the screen counted them,
    and `codes`, the pair's word codes and flags (`codes.PairCodes`), which rapidfuzz
    aligns instead of the lower-cased word lists.
    """
    keys: Keys = (a.lower, b.lower) if codes is None else (codes.a, codes.b)
    short, long_ = sorted((len(keys[0]), len(keys[1])))
    if 2 * short < cfg.min_similarity * (short + long_) and (
        short < cfg.min_contained_tokens or short < cfg.min_length_ratio * long_
    ):
        # Lengths alone rule it out: similarity <= 2*short/(short+long), and the shorter
        # text is too short to count as contained. No alignment needed.
        why = (
            f"{short} vs {long_} tokens: too different in length for similarity "
            f"{cfg.min_similarity:.2f}, shorter text too short to be contained"
        )
        return Verdict(False, None, 0.0, 0.0, (), f"different stories: {why}")
    al = align(*keys, cfg.min_run)
    if not _passes(al, cfg) and max(al.similarity, al.containment) >= cfg.fuzzy_floor:
        # Close but not enough on exact words: maybe a noisy copy (see align_fuzzy).
        fz = align_fuzzy(a.lower, b.lower, cfg.min_run, keys)
        if _passes(fz, cfg):
            al = fz
    sim, cont = al.similarity, al.containment
    short, long_ = sorted((al.len_a, al.len_b))
    kind: Kind | None = None
    if sim >= cfg.min_similarity:
        kind = "near"
        rule = f"similarity {sim:.2f} >= {cfg.min_similarity:.2f}"
    elif (
        cont >= cfg.min_containment
        and short >= cfg.min_contained_tokens
        and short >= cfg.min_length_ratio * long_
    ):
        kind = "contained"
        rule = f"containment {cont:.2f} >= {cfg.min_containment:.2f} ({short} of {long_} tokens)"
    else:
        why = f"similarity {sim:.2f} < {cfg.min_similarity:.2f}"
        if cont >= cfg.min_containment:
            why += f", contained text too short ({short} of {long_} tokens)"
        else:
            why += f", containment {cont:.2f} < {cfg.min_containment:.2f}"
        return Verdict(False, None, sim, cont, (), f"different stories: {why}")
    nested = nested_facts(a, b) if known is None else known.nested
    if nested:
        # Every number and name of one text is in the other, as often: no fact was
        # swapped for another, so this cannot be the same template filled with other facts.
        return Verdict(True, kind, sim, cont, (), rule)
    changes, facts, inner_name = _changes(a, b, cfg.template_name_similarity, known, codes)
    share = len(changes) / max(1, facts)
    many = len(changes) >= cfg.template_min_changes and share >= cfg.template_min_share
    # An excerpt (contained) is cut verbatim from its story: one changed number inside it,
    # or one changed name between two shared stretches, means it was cut from another
    # story. Corrections come as full revised copies (near), which is where a single
    # changed figure is tolerated. A name must sit inside shared text: at a start or an
    # end, a capitalised word may be a cruft line or a rewritten sentence.
    excerpt_number = kind == "contained" and (inner_name or any(_is_number(x) for x, _ in changes))
    one_big = len(changes) >= 1 and (share >= cfg.template_single_change_share or excerpt_number)
    if many or one_big:
        shown = ", ".join(f"{x}->{y}" for x, y in changes[:4])
        return Verdict(
            False,
            None,
            sim,
            cont,
            changes,
            f"template guard: {len(changes)} numbers/names changed ({shown}); "
            f"{share:.0%} of facts >= {cfg.template_min_share:.0%}, although {rule}",
        )
    return Verdict(True, kind, sim, cont, changes, rule)
