"""A compiled screen in front of rapidfuzz verification: rejects most pairs in microseconds.

Most candidate pairs are not duplicates: different stories that share some sentences,
or the same template filled with other numbers and names. Deciding that in Python costs
40-300 us a pair (`verify`), most of it in the template guard's loops. The screen runs
the same tests, compiled with numba, on the folded words as they lie in the batch's
buffer (`keys.Words`), with no Python object per word:

- the exact alignment is the longest common subsequence, recovered like rapidfuzz's
  `LCSseq.opcodes` (bit-parallel, common prefix and suffix first), so its shared runs are
  rapidfuzz's;
- the fuzzy alignment follows `verify`; a first, cheap template guard reads
  substitutions off the gaps between those runs;
- then the template guard itself (`guard_kernel`) reads rapidfuzz's Levenshtein
  alignment (`lev`), as the Python guard would (a property test holds them equal).

The screen only ever rejects. A pair it passes is aligned by `verify` with rapidfuzz,
which decides near, contained or neither, so every pair that counts as a duplicate was
verified with rapidfuzz on the real words. Texts with characters the screen does not case-fold (any
letter outside Latin-1, symbols) are passed on unscreened.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import cast

import numpy as np
import numpy.typing as npt
from numba.typed import List

from cleaner.config import DedupConfig
from cleaner.dedup.codes import PairCodes, capacity, decode, emit
from cleaner.dedup.guard_kernel import decide, fact_changes, nested_stop, push
from cleaner.dedup.jit import compiled, frozen
from cleaner.dedup.lcs import lcs_blocks
from cleaner.dedup.screen_words import (
    FACT,
    NAME,
    NOT_NAMES,
    NUMBER,
    letters,
    other_name,
    parse_row,
    same_name,
    same_word,
    word_hash,
)

REJECT, GUARD, PASS = 0, 1, 2  # screen codes: different stories, template guard, verify it


@dataclass(frozen=True)
class ScreenParams:
    """The thresholds of `DedupConfig` the screen reads, as flat arrays for numba."""

    floats: npt.NDArray[np.float64]
    ints: npt.NDArray[np.int64]
    not_names: npt.NDArray[np.uint64]

    @staticmethod
    def of(cfg: DedupConfig) -> ScreenParams:
        """The screen's parameters for a config."""
        floats = np.array(
            [
                cfg.min_similarity,
                cfg.min_containment,
                cfg.fuzzy_floor,
                cfg.min_length_ratio,
                cfg.template_min_share,
                cfg.template_single_change_share,
                cfg.template_name_similarity,
                cfg.template_other_name_similarity,
            ],
            np.float64,
        )
        ints = np.array(
            [
                cfg.min_run,
                cfg.min_contained_tokens,
                cfg.template_min_changes,
                cfg.template_short_tokens,
            ],
            np.int64,
        )
        names = np.unique(np.array([word_hash(w) for w in NOT_NAMES], np.uint64))
        return ScreenParams(floats, ints, names)


@lru_cache(maxsize=32)
def screen_params(cfg: DedupConfig) -> ScreenParams:
    """`ScreenParams.of`, computed once per config."""
    return ScreenParams.of(cfg)


@compiled
def _no_changes():  # pragma: no cover - compiled
    return np.empty((0, 3), np.int64)


@compiled
def _facts(h, flags):  # pragma: no cover - compiled
    out = np.empty(len(h), np.uint64)
    k = 0
    for t in range(len(h)):
        if flags[t] & FACT:
            out[k] = h[t]
            k += 1
    return np.sort(out[:k]), k


@compiled
def _subset(x, y):  # pragma: no cover - compiled
    """Whether sorted x is a sub-multiset of sorted y: each value at most as often."""
    j = 0
    for v in x:
        while j < len(y) and y[j] < v:
            j += 1
        if j == len(y) or y[j] != v:
            return False
        j += 1  # each occurrence in y answers for one in x
    return True


@compiled
def _fuzzy_matched(buf, blocks, A, B, min_run):  # pragma: no cover
    """`align.align_fuzzy`'s matched tokens, from the exact alignment's blocks."""
    sta, sza, ha = A[0], A[1], A[2]
    stb, szb, hb = B[0], B[1], B[2]
    la, lb = len(ha), len(hb)
    matched = 0
    run = 0
    ea = eb = 0
    for g in range(len(blocks) + 1):
        ga1 = la if g == len(blocks) else blocks[g, 0]
        gb1 = lb if g == len(blocks) else blocks[g, 1]
        if ga1 > ea or gb1 > eb:
            if ga1 - ea != gb1 - eb:
                if run >= min_run:
                    matched += run
                run = 0
            else:
                for i in range(ga1 - ea):
                    x = letters(buf, sta[ea + i], sza[ea + i], True)
                    y = letters(buf, stb[eb + i], szb[eb + i], True)
                    if same_word(x, y):
                        run += 1
                    else:
                        if run >= min_run:
                            matched += run
                        run = 0
        if g < len(blocks):
            run += blocks[g, 2]
            ea, eb = blocks[g, 0] + blocks[g, 2], blocks[g, 1] + blocks[g, 2]
    if run >= min_run:
        matched += run
    return matched


@compiled
def _guard(buf, blocks, A, B, name_similarity, other_similarity, any_name):  # pragma: no cover
    """`guard.fact_changes` on the gaps between the alignment's blocks.

    Returns (changes, whether a number changed, whether a name changed inside shared text
    counts: any name when `any_name` (a short text), else only one changed for another
    name, `guard.other_name`; see `verify.check`).
    """
    sta, sza, ha, fa = A[0], A[1], A[2], A[3]
    stb, szb, hb, fb = B[0], B[1], B[2], B[3]
    la, lb = len(ha), len(hb)
    nbk = len(blocks)
    cap = la + lb + 1
    pa = np.empty(cap, np.int64)
    pb = np.empty(cap, np.int64)
    inner = np.zeros(cap, np.bool_)
    nf = 0
    ea = eb = 0
    for g in range(nbk + 1):
        ga1 = la if g == nbk else blocks[g, 0]
        gb1 = lb if g == nbk else blocks[g, 1]
        ga0, gb0 = ea, eb
        if g < nbk:
            ea, eb = blocks[g, 0] + blocks[g, 2], blocks[g, 1] + blocks[g, 2]
        if ga1 == ga0 or gb1 == gb0:
            continue  # nothing, or only an insertion or a deletion: no substitution
        if g > 0 and fa[ga0] & NUMBER and fb[gb0] & NUMBER:
            # A number right after shared text that differs is a changed fact.
            pa[nf], pb[nf], inner[nf] = ga0, gb0, False
            nf += 1
        if g == nbk:
            continue  # not at the very end: a cut ending with cruft lines looks like a swap
        nx, ny = ga1 - ga0, gb1 - gb0
        first = nf
        for i in range(min(nx, ny)):
            x, y = ga0 + i, gb0 + i
            hit = bool(fa[x] & NUMBER) and bool(fb[y] & NUMBER)
            if not hit and fa[x] & NAME and fb[y] & NAME:
                hit = not same_name(
                    letters(buf, sta[x], sza[x], False),
                    letters(buf, stb[y], szb[y], False),
                    letters(buf, sta[x], sza[x], True),
                    letters(buf, stb[y], szb[y], True),
                    name_similarity,
                )
            if hit:
                pa[nf], pb[nf], inner[nf] = x, y, g > 0
                nf += 1
        pairs = nf - first
        if nx > 3 or ny > 3:
            filled = nx == ny and pairs > 0
            if filled:
                typos = 0
                for i in range(nx):
                    x, y = ga0 + i, gb0 + i
                    if same_word(
                        letters(buf, sta[x], sza[x], True), letters(buf, stb[y], szb[y], True)
                    ):
                        typos += 1
                filled = pairs + typos >= nx
            if not filled:
                nf = first
    # Each position once; a pair also found the other way round is two swapped sentences.
    n_changes = 0
    numbers = False
    inner_name = False
    for e in range(nf):
        dup = False
        for f in range(e):
            if pa[f] == pa[e] and pb[f] == pb[e]:
                dup = True
                inner[f] = inner[f] or inner[e]
                break
        if dup:
            pa[e] = -1
    for e in range(nf):
        if pa[e] < 0:
            continue
        swapped = False
        via_inner = False
        for f in range(nf):
            if pa[f] < 0:
                continue
            if ha[pa[f]] == hb[pb[e]] and hb[pb[f]] == ha[pa[e]]:
                swapped = True
            if inner[f] and ha[pa[f]] == ha[pa[e]] and hb[pb[f]] == hb[pb[e]]:
                via_inner = True
        if swapped:
            continue
        n_changes += 1
        if fa[pa[e]] & NUMBER:
            numbers = True
        elif via_inner and not inner_name:
            inner_name = any_name or other_name(
                letters(buf, sta[pa[e]], sza[pa[e]], True),
                letters(buf, stb[pb[e]], szb[pb[e]], True),
                other_similarity,
            )
    return n_changes, numbers, inner_name


@compiled
def _screen_pair(buf, A, B, fl, it, facts):  # pragma: no cover
    """(code, similarity, containment, changes) of one pair of parsed rows; see `verify`.

    For a pair its similarity tests pass, `facts` receives [nested, facts of a, facts of
    b, why]: nested is 1 when every fact of one text is in the other (FactCounts), -1 if
    not known; why, the template guard's reason to stop the pair (`guard_kernel.decide`,
    or `nested_stop` for nested facts), -1 if it did not run or passed nested facts.
    changes: the guard's findings (`guard_kernel.fact_changes`), when it ran.
    """
    facts[0] = -1
    facts[3] = -1
    ha, fa, hb, fb = A[2], A[3], B[2], B[3]
    if not (A[4] and B[4]):
        return PASS, -1.0, -1.0, _no_changes()
    min_sim, min_cont, floor, ratio = fl[0], fl[1], fl[2], fl[3]
    min_run, min_ct = it[0], it[1]
    la, lb = len(ha), len(hb)
    short, long_ = min(la, lb), max(la, lb)
    if 2 * short < min_sim * (short + long_) and (short < min_ct or short < ratio * long_):
        return REJECT, 0.0, 0.0, _no_changes()
    if short == 0:
        return REJECT, 0.0, 0.0, _no_changes()
    blocks = lcs_blocks(ha, hb)
    matched = 0
    for g in range(len(blocks)):
        if blocks[g, 2] >= min_run:
            matched += blocks[g, 2]
    long_enough = short >= min_ct and short >= ratio * long_
    sim, cont = 2.0 * matched / (la + lb), matched / short
    ok = sim >= min_sim or (cont >= min_cont and long_enough)
    if not ok and max(sim, cont) >= floor:
        fm = _fuzzy_matched(buf, blocks, A, B, min_run)
        fsim, fcont = 2.0 * fm / (la + lb), fm / short
        if fsim >= min_sim or (fcont >= min_cont and long_enough):
            sim, cont, ok = fsim, fcont, True
    if not ok:
        return REJECT, sim, cont, _no_changes()
    facts_a, n_a = _facts(ha, fa)
    facts_b, n_b = _facts(hb, fb)
    facts[1], facts[2] = n_a, n_b
    if _subset(facts_a, facts_b) or _subset(facts_b, facts_a):
        facts[0] = 1
        if short < it[3]:  # a short text: one name moved inside it is another story
            changes = fact_changes(buf, A, B, fl[6])
            why = nested_stop(buf, A, B, changes, fl)
            if why:
                facts[3] = why
                return GUARD, sim, cont, changes
        return PASS, sim, cont, _no_changes()
    facts[0] = 0
    contained = sim < min_sim
    n_shorter = n_a if la <= lb else n_b
    n_changes, numbers, name = _guard(buf, blocks, A, B, fl[6], fl[7], short < it[3])
    share = n_changes / max(1, n_shorter)
    many = n_changes >= it[2] and share >= fl[4]
    one_big = n_changes >= 1 and (share >= fl[5] or (contained and (name or numbers)))
    one_big = one_big or (numbers and short < it[3])  # a changed figure in a short text
    if many or one_big:
        return GUARD, sim, cont, _no_changes()
    # The template guard proper (`guard_kernel`): what `verify.check` would otherwise
    # work out in Python, on the Levenshtein alignment.
    changes = fact_changes(buf, A, B, fl[6])
    facts[3] = decide(buf, A, B, changes, n_shorter, contained, short, fl, it)
    return (GUARD if facts[3] else PASS), sim, cont, changes


@compiled
def _screen_many(
    buf, offs, a, b, fl, it, not_names, codes, sims, conts, facts, out, wflags, spans, found
):  # pragma: no cover
    """Screen pairs; the word codes of each pair passed (`codes.emit`) go to out/wflags,
    the template guard's findings to `found` (rows: pair, position in a, in b), grown as
    needed. Returns (codes written, found, findings written)."""
    if len(a) == 0:
        return 0, found, 0
    pos = 0
    nf = 0
    # Pairs come sorted by row b: each row is parsed once for all its partners. Partners
    # are better-ranked rows, and a few (a wire story's original, a template's first
    # story) are the partners of many rows: each is parsed once for the whole call.
    partners = np.unique(a)
    parsed = List()
    for r in partners:
        parsed.append(parse_row(buf, offs[r], offs[r + 1], not_names))
    rb = b[0]
    B = parse_row(buf, offs[rb], offs[rb + 1], not_names)
    for i in range(len(a)):
        if b[i] != rb:
            rb = b[i]
            B = parse_row(buf, offs[rb], offs[rb + 1], not_names)
        A = parsed[np.searchsorted(partners, a[i])]
        codes[i], sims[i], conts[i], changes = _screen_pair(buf, A, B, fl, it, facts[i])
        for e in range(len(changes)):
            found, nf = push(found, nf, i, changes[e, 0], changes[e, 1])
        spans[i, 0], spans[i, 1], spans[i, 2] = pos, -1, 0
        if codes[i] == PASS and A[4] and B[4]:
            end = emit(A[2], B[2], A[3], B[3], out, wflags, pos)
            if end >= 0:
                spans[i, 1], spans[i, 2] = len(A[2]), len(B[2])
                pos = end
    return pos, found, nf


@dataclass(frozen=True)
class FactCounts:
    """What the screen found out about two texts' facts (numbers, capitalised words).

    The same values as `doc.Doc.facts` and `Doc.n_facts` give (a property test holds
    the word rules equal), without building either in Python; and, when the facts are
    not nested, what the compiled template guard (`guard_kernel`) found, which is what
    the Python guard (`guard.fact_changes`) would find (a property test holds them equal).
    """

    nested: bool  # every fact of one text is among the other's, as often (guard.nested_facts)
    a: int  # fact words of text a, repeats counted (Doc.n_facts)
    b: int
    # Word positions (in a, in b) of the facts the guard found changed, in its order.
    changes: tuple[tuple[int, int], ...] = ()
    # Why the guard stopped the pair (`guard_kernel.decide`), 0 if it did not; None if it
    # did not run (the screen's first guard stopped the pair before) or the facts are
    # nested and `guard_kernel.nested_stop` let the pair through.
    why: int | None = None


@dataclass(frozen=True)
class Screened:
    """Screen results of many pairs: a code each, and the screen's scores."""

    codes: npt.NDArray[np.int8]
    similarity: npt.NDArray[np.float64]
    containment: npt.NDArray[np.float64]
    facts: npt.NDArray[np.int32]  # (n, 4): nested (1/0, -1 unknown), facts of a, of b, why (-1)
    # Word codes of each pair passed, for rapidfuzz (`codes.PairCodes`); None for the others.
    words: list[PairCodes | None]
    found: npt.NDArray[np.int64]  # the guard's findings: (pair, position in a, in b), by pair

    def fact_counts(self, i: int) -> FactCounts | None:
        """What the screen found out about pair i's facts, if it parsed both texts."""
        nested, fa, fb, why = self._facts[i]
        if nested < 0:
            return None
        lo, hi = self._found_at[i], self._found_at[i + 1]
        changes = tuple((x, y) for _, x, y in self._found[lo:hi])
        return FactCounts(nested == 1, fa, fb, changes, None if why < 0 else why)

    # Python views of the arrays, built once per call: `fact_counts` is read for every
    # pair passed, and one numpy call per pair would cost more than the lookup itself.
    @cached_property
    def _facts(self) -> list[list[int]]:
        return cast(list[list[int]], self.facts.tolist())

    @cached_property
    def _found(self) -> list[list[int]]:
        return cast(list[list[int]], self.found.tolist())

    @cached_property
    def _found_at(self) -> list[int]:
        at = np.searchsorted(self.found[:, 0], np.arange(len(self.codes) + 1))
        return cast(list[int], at.tolist())


def screen_rows(
    data: npt.NDArray[np.uint8],
    offsets: npt.NDArray[np.int64],
    a: npt.NDArray[np.int64],
    b: npt.NDArray[np.int64],
    params: ScreenParams,
) -> Screened:
    """Screen pairs (row a[i], row b[i]) of a words buffer (`keys.Words` layout)."""
    n = len(a)
    codes = np.empty(n, np.int8)
    sims = np.empty(n, np.float64)
    conts = np.empty(n, np.float64)
    facts = np.empty((n, 4), np.int32)
    data, offsets = frozen(data, np.uint8), frozen(offsets, np.int64)
    a, b = frozen(a, np.int64), frozen(b, np.int64)
    cap = capacity(offsets, a, b)  # untouched pages of the buffers cost no memory
    out, wflags, spans = (
        np.empty(cap, np.uint32),
        np.empty(cap, np.uint8),
        np.empty((n, 3), np.int64),
    )
    used, found, nf = _screen_many(
        data,
        offsets,
        a,
        b,
        params.floats,
        params.ints,
        params.not_names,
        codes,
        sims,
        conts,
        facts,
        out,
        wflags,
        spans,
        np.empty((64, 3), np.int64),
    )
    words = decode(out, wflags, used, spans)
    return Screened(codes, sims, conts, facts, words, found[:nf])


def screen_one(a: str, b: str, params: ScreenParams) -> Screened:
    """Screen one pair of folded texts (words separated by spaces)."""
    ba, bb = a.encode("utf-8"), b.encode("utf-8")
    data = np.frombuffer(ba + bb, np.uint8)
    offsets = np.array([0, len(ba), len(ba) + len(bb)], np.int64)
    return screen_rows(data, offsets, np.array([0]), np.array([1]), params)


def screen_texts(a: str, b: str, params: ScreenParams) -> tuple[int, float, float]:
    """Screen one pair of folded texts: (code, similarity, containment).

    >>> p = ScreenParams.of(DedupConfig())
    >>> screen_texts("the mayor opened a bridge on friday", "trains ran late", p)[0] == REJECT
    True
    """
    s = screen_one(a, b, params)
    return int(s.codes[0]), float(s.similarity[0]), float(s.containment[0])


def equal_blocks(a: list[str], b: list[str]) -> list[tuple[int, int, int]]:
    """The exact alignment's equal blocks (start in a, start in b, length), as the screen
    computes them: the same blocks as rapidfuzz's `LCSseq.opcodes` on lower-cased words.

    >>> equal_blocks("x a b c d y".split(), "A B C D z".split())
    [(1, 0, 4)]
    """
    ha = np.array([word_hash(w.lower()) for w in a], np.uint64)
    hb = np.array([word_hash(w.lower()) for w in b], np.uint64)
    return [(int(x), int(y), int(n)) for x, y, n in lcs_blocks(ha, hb)]
