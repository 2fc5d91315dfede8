"""The template guard (`guard.fact_changes`), compiled: changed facts off a Levenshtein alignment.

`guard.py` states the rules on Python strings; this is the same reading, rule for rule,
on a pair of rows as the screen parses them (`screen_words.parse_row`: word spans in the
batch's buffer, lower-case hashes, flags), aligned by `lev.lev_opcodes`, rapidfuzz's
Levenshtein alignment. Letters are decoded only where two words are compared letter by
letter. A property test holds its findings equal to the Python guard's; the screen runs
it on every pair it would otherwise pass to the Python guard, which is left the texts the
screen cannot parse.

A finding is a list of (position in a, position in b, inner) rows, in the order the
Python guard records them; inner marks a name replaced between two shared stretches.
"""

from __future__ import annotations

import numpy as np

from cleaner.dedup.jit import compiled
from cleaner.dedup.lev import EQUAL, REPLACE, lev_opcodes
from cleaner.dedup.screen_words import (
    NAME,
    NUMBER,
    _levenshtein,
    letters,
    ocr_key,
    other_name,
    same_name,
    same_word,
)

FACTS = NUMBER | NAME
# Text that left the alignment is read as moved only where it shares this many words
# (and half of the shorter side) with the text it is aligned to.
MOVED_MIN_WORDS = 3
# Moved text is looked for among at most this many unaligned stretches a side.
MOVED_MAX_STRETCHES = 6
# In a short text whose facts are all in the other, a changed number counts only with
# this many equal words right before it and right after it, on both sides: inside the
# shared text ("with winds of 11 kilometres an hour" for "with winds of 36 kilometres
# an hour"), not where a moved sentence or a repeated date lines the alignment up by
# chance ("November 13, 2,012 6:49 AM Where" for "November 13, 2,012 6:33 AM Taking").
NESTED_NUMBER_CONTEXT = 3


@compiled
def _word(buf, X, i, lower):  # pragma: no cover - compiled
    return letters(buf, X[0][i], X[1][i], lower)


@compiled
def _changed_fact(buf, A, B, x, y, name_similarity):  # pragma: no cover - compiled
    """`guard._changed_fact`: two numbers, or two names that are not one name misspelt."""
    f = A[3][x] & B[3][y]
    if f & NUMBER:
        return True
    if f & NAME:
        return not same_name(
            _word(buf, A, x, False),
            _word(buf, B, y, False),
            _word(buf, A, x, True),
            _word(buf, B, y, True),
            name_similarity,
        )
    return False


@compiled
def _same_letters(x, y):  # pragma: no cover - compiled
    if len(x) != len(y):
        return False
    for i in range(len(x)):  # noqa: SIM110 - a loop numba compiles, no generator
        if x[i] != y[i]:
            return False
    return True


@compiled
def _typo(buf, A, B, x, y):  # pragma: no cover - compiled
    """`guard._typo` on the lower-cased words x of a and y of b."""
    xl, yl = _word(buf, A, x, True), _word(buf, B, y, True)
    if same_word(xl, yl):
        return True
    if not _same_letters(xl, yl) and _same_letters(ocr_key(xl), ocr_key(yl)):
        return True
    return abs(len(xl) - len(yl)) == 1 and _levenshtein(xl, yl) <= 1


@compiled
def push(found, nf, x, y, inner):  # pragma: no cover - compiled
    """Row (x, y, inner) appended to found[:nf], grown (doubled) when full."""
    if nf == len(found):
        grown = np.empty((2 * len(found), 3), np.int64)
        grown[:nf] = found
        found = grown
    found[nf, 0], found[nf, 1], found[nf, 2] = x, y, inner
    return found, nf + 1


@compiled
def _both_sides(ops, k, a0, b0, oa, ob):  # pragma: no cover - compiled
    """Whether the stretch of unequal words from op k has words on both sides."""
    end = len(ops)
    for j in range(k, len(ops)):
        if ops[j, 0] == EQUAL:
            end = j
            break
    return ops[end - 1, 2] + oa > a0 and ops[end - 1, 4] + ob > b0


@compiled
def _filled_tail(buf, A, B, a0, a1, b0, b1, sim, found, nf):  # pragma: no cover
    """`guard._Scan._filled_tail`: changed facts at the end of an opening block."""
    ha, hb, fa, fb = A[2], B[2], A[3], B[3]
    n = min(a1 - a0, b1 - b0)
    px = np.empty(n, np.int64)
    py = np.empty(n, np.int64)
    k = 0
    for i in range(1, n + 1):
        x, y = a1 - i, b1 - i
        if ha[x] == hb[y]:
            continue
        if fa[x] & fb[y] & FACTS and _changed_fact(buf, A, B, x, y, sim):
            px[k], py[k] = x, y
            k += 1
            continue
        if not _typo(buf, A, B, x, y):
            break
    if k < 2:
        return found, nf
    kept = np.zeros(k, np.bool_)
    nk = 0
    for t in range(k):
        moved = False
        for v in hb:
            if v == ha[px[t]]:
                moved = True
                break
        if not moved:
            for v in ha:
                if v == hb[py[t]]:
                    moved = True
                    break
        if not moved:
            kept[t] = True
            nk += 1
    if nk >= 2:
        for t in range(k):
            if kept[t]:
                found, nf = push(found, nf, px[t], py[t], 0)
    return found, nf


@compiled
def _fill(buf, A, B, a0, a1, b0, b1, inner, sim, found, nf):  # pragma: no cover
    """`guard._Scan._fill`: the changed facts of a replaced block, if it is a filled
    template (facts for facts, its other words the same up to a typo)."""
    nx, ny = a1 - a0, b1 - b0
    n = min(nx, ny)
    hit = np.zeros(n, np.bool_)
    pairs = 0
    for i in range(n):
        if _changed_fact(buf, A, B, a0 + i, b0 + i, sim):
            hit[i] = True
            pairs += 1
    if nx > 3 or ny > 3:
        if nx != ny or pairs == 0:
            return False, found, nf
        typos = 0
        for i in range(nx):
            if _typo(buf, A, B, a0 + i, b0 + i):
                typos += 1
        if pairs + typos < nx:
            return False, found, nf
    for i in range(n):
        if hit[i]:
            found, nf = push(found, nf, a0 + i, b0 + i, 1 if inner else 0)
    return True, found, nf


@compiled
def _run(buf, A, B, ops, oa, ob, moved, sim, found, nf):  # pragma: no cover
    """`guard._Scan.run`: read opcodes of words oa.. of a against words ob.. of b."""
    fa, fb = A[3], B[3]
    la, lb = len(fa), len(fb)
    nops = len(ops)
    last = nops - 1
    first_equal, last_equal = last + 1, -1
    for k in range(nops):
        if ops[k, 0] == EQUAL:
            if last_equal < 0:
                first_equal = k
            last_equal = k
    opening = (not moved) and 0 < first_equal <= last
    for k in range(nops):
        tag = ops[k, 0]
        if tag == EQUAL:
            continue
        a0, a1, b0, b1 = ops[k, 1] + oa, ops[k, 2] + oa, ops[k, 3] + ob, ops[k, 4] + ob
        after_equal = k > 0 and ops[k - 1, 0] == EQUAL
        if moved and (
            not after_equal
            or ops[k - 1, 2] - ops[k - 1, 1] < 2
            or k == last
            or ops[k + 1, 0] != EQUAL
            or ops[k + 1, 2] - ops[k + 1, 1] < 2
        ):
            continue
        if (
            after_equal
            and a0 < la
            and b0 < lb
            and fa[a0] & fb[b0] & NUMBER
            and _both_sides(ops, k, a0, b0, oa, ob)
        ):
            found, nf = push(found, nf, a0, b0, 0)
        if k > last_equal:
            before = (k - 1) % nops  # Python's ops[k - 1], the last op when k is 0
            if k == last_equal + 1 and ops[before, 2] - ops[before, 1] >= 2:
                e0, e1 = ops[last, 2] + oa, ops[last, 4] + ob
                if (
                    e0 > a0
                    and e1 > b0
                    and fa[a0] & fb[b0] & NAME
                    and _changed_fact(buf, A, B, a0, b0, sim)
                ):
                    found, nf = push(found, nf, a0, b0, 0)  # `_Scan._cut_on_name`
            continue
        if tag != REPLACE:
            continue
        n = min(a1 - a0, b1 - b0)
        facing = False
        for i in range(n):
            if fa[a0 + i] & fb[b0 + i] & FACTS:
                facing = True
                break
        if not facing:
            continue
        inner = after_equal and ops[k + 1, 0] == EQUAL and not moved
        filled, found, nf = _fill(buf, A, B, a0, a1, b0, b1, inner, sim, found, nf)
        if filled and k < first_equal:
            opening = False
    if opening:
        shared_a, shared_b = ops[first_equal, 1], ops[first_equal, 3]
        found, nf = _filled_tail(buf, A, B, oa, shared_a + oa, ob, shared_b + ob, sim, found, nf)
    return found, nf


@compiled
def _shared_words(x, y):  # pragma: no cover - compiled
    """How many values x and y share (both sorted, without repeats)."""
    i = j = k = 0
    while i < len(x) and j < len(y):
        if x[i] == y[j]:
            k += 1
            i += 1
            j += 1
        elif x[i] < y[j]:
            i += 1
        else:
            j += 1
    return k


@compiled
def _moved(ops, ha, hb):  # pragma: no cover - compiled
    """`guard._moved`: (a0, a1, b0, b1) of stretches outside the equal runs of 3+ words,
    not facing each other, that share words: where a moved sentence left, and arrived."""
    la, lb = len(ha), len(hb)
    m = MOVED_MIN_WORDS
    nr = 0
    for k in range(len(ops)):
        if ops[k, 0] == EQUAL and ops[k, 2] - ops[k, 1] >= m:
            nr += 1
    bounds = np.zeros((nr + 2, 4), np.int64)
    r = 1
    for k in range(len(ops)):
        if ops[k, 0] == EQUAL and ops[k, 2] - ops[k, 1] >= m:
            bounds[r, 0], bounds[r, 1] = ops[k, 1], ops[k, 2]
            bounds[r, 2], bounds[r, 3] = ops[k, 3], ops[k, 4]
            r += 1
    bounds[r, 0], bounds[r, 1], bounds[r, 2], bounds[r, 3] = la, la, lb, lb
    gaps_a = np.empty((nr + 1, 3), np.int64)  # (edge, start, end)
    gaps_b = np.empty((nr + 1, 3), np.int64)
    na = nb = 0
    for e in range(nr + 1):
        p, q = bounds[e], bounds[e + 1]
        if q[0] - p[1] >= m:
            gaps_a[na, 0], gaps_a[na, 1], gaps_a[na, 2] = e, p[1], q[0]
            na += 1
        if q[2] - p[3] >= m:
            gaps_b[nb, 0], gaps_b[nb, 1], gaps_b[nb, 2] = e, p[3], q[2]
            nb += 1
    out = np.empty((na * nb, 4), np.int64)
    if na == 0 or nb == 0 or na > MOVED_MAX_STRETCHES or nb > MOVED_MAX_STRETCHES:
        return out[:0]
    no = 0
    for i in range(na):
        wa = np.unique(ha[gaps_a[i, 1] : gaps_a[i, 2]])
        for j in range(nb):
            if gaps_a[i, 0] == gaps_b[j, 0]:
                continue  # facing each other: the alignment has read them already
            wb = np.unique(hb[gaps_b[j, 1] : gaps_b[j, 2]])
            least = min(len(wa), len(wb))
            if 2 * _shared_words(wa, wb) >= least >= m:
                out[no, 0], out[no, 1] = gaps_a[i, 1], gaps_a[i, 2]
                out[no, 2], out[no, 3] = gaps_b[j, 1], gaps_b[j, 2]
                no += 1
    return out[:no]


@compiled
def _same_bytes(buf, s1, n1, s2, n2):  # pragma: no cover - compiled
    if n1 != n2:
        return False
    for i in range(n1):  # noqa: SIM110 - a loop numba compiles, no generator
        if buf[s1 + i] != buf[s2 + i]:
            return False
    return True


@compiled
def fact_changes(buf, A, B, name_similarity):  # pragma: no cover - compiled
    """`guard.fact_changes` on two parsed rows: rows (position in a, position in b,
    inner name) of the changed facts, in the Python guard's order.

    inner name: a name (not a number) that the guard found replaced between two shared
    stretches, as Python's `inner_names`.
    """
    ha, hb = A[2], B[2]
    found = np.empty((16, 3), np.int64)
    nf = 0
    ops = lev_opcodes(ha, hb)
    found, nf = _run(buf, A, B, ops, 0, 0, False, name_similarity, found, nf)
    mv = _moved(ops, ha, hb)
    for t in range(len(mv)):
        a0, a1, b0, b1 = mv[t, 0], mv[t, 1], mv[t, 2], mv[t, 3]
        # A sentence moved (two sentences swapped in one copy) leaves the alignment: its
        # words are deleted in one place and inserted in another. Aligned with the text
        # it left, it shows what changed in it.
        sub = lev_opcodes(ha[a0:a1], hb[b0:b1])
        shared = 0
        for k in range(len(sub)):
            if sub[k, 0] == EQUAL:
                shared += sub[k, 2] - sub[k, 1]
        if shared >= MOVED_MIN_WORDS and 2 * shared >= min(a1 - a0, b1 - b0):
            found, nf = _run(buf, A, B, sub, a0, b0, True, name_similarity, found, nf)
    # Each position once, where it was first found; a pair also found the other way
    # round (lower-cased) is two swapped sentences, not a change.
    first = np.ones(nf, np.bool_)
    for e in range(nf):
        for f in range(e):
            if first[f] and found[f, 0] == found[e, 0] and found[f, 1] == found[e, 1]:
                first[e] = False
                break
    out = np.empty((nf, 3), np.int64)
    no = 0
    sa, za, sb, zb = A[0], A[1], B[0], B[1]
    for e in range(nf):
        if not first[e]:
            continue
        x, y = found[e, 0], found[e, 1]
        swapped = False
        for f in range(nf):
            if first[f] and ha[found[f, 0]] == hb[y] and hb[found[f, 1]] == ha[x]:
                swapped = True
                break
        if swapped:
            continue
        inner = 0
        if not A[3][x] & NUMBER:
            for f in range(nf):
                if (
                    found[f, 2]
                    and _same_bytes(buf, sa[found[f, 0]], za[found[f, 0]], sa[x], za[x])
                    and _same_bytes(buf, sb[found[f, 1]], zb[found[f, 1]], sb[y], zb[y])
                ):
                    inner = 1
                    break
        out[no, 0], out[no, 1], out[no, 2] = x, y, inner
        no += 1
    return out[:no]


# Why the guard stopped a pair (0: it did not), as `verify.check` words it.
MANY, ONE_BIG, EXCERPT, SHORT_NUMBER, SHORT_NAME = 1, 2, 3, 4, 5


@compiled
def decide(buf, A, B, changes, facts, contained, short, fl, it):  # pragma: no cover
    """`verify.check`'s decision on the guard's findings: 0 (a duplicate) or why not.

    facts: fact words of the shorter text; contained: the pair is an excerpt (contained,
    not near); fl, it: the screen's parameters (`screen.ScreenParams`).
    """
    number = False
    inner = False
    for e in range(len(changes)):
        if A[3][changes[e, 0]] & NUMBER:
            number = True
        if changes[e, 2]:
            inner = True
    other = other_inner_name(buf, A, B, changes, fl)
    return stop_code(len(changes), facts, number, inner, other, contained, short, fl, it)


@compiled
def other_inner_name(buf, A, B, changes, fl):  # pragma: no cover - compiled
    """Whether a name changed inside the shared text (not a number) is clearly another
    name (`screen_words.other_name`): `verify._other_inner_name` on the findings."""
    for e in range(len(changes)):
        x, y = changes[e, 0], changes[e, 1]
        inner_name = changes[e, 2] and not A[3][x] & NUMBER
        if inner_name and other_name(_word(buf, A, x, True), _word(buf, B, y, True), fl[7]):
            return True
    return False


@compiled
def nested_stop(buf, A, B, changes, fl):  # pragma: no cover - compiled
    """Why a short pair whose facts are nested is still two stories, 0 if it is not.

    Every fact of one text is in the other, yet the alignment shows a number changed
    for another inside the shared text (`NESTED_NUMBER_CONTEXT` equal words each side),
    or a name inside the shared text facing a clearly other name
    (`screen_words.other_name`), the first one found elsewhere in the longer text:
    "winds of 11 kilometres" for "winds of 36 kilometres ... the low will fall to 11
    degrees" is another forecast, "Forward Fairbanks scored" for "Forward Underhill
    scored ... and Fairbanks added" another match report. `verify.check` applies the
    same rule to the Python guard's findings.
    """
    for e in range(len(changes)):
        x, y = changes[e, 0], changes[e, 1]
        if A[3][x] & NUMBER and shared_around(A[2], B[2], x, y, NESTED_NUMBER_CONTEXT):
            return SHORT_NUMBER
    return SHORT_NAME if other_inner_name(buf, A, B, changes, fl) else 0


@compiled
def shared_around(ha, hb, x, y, n):  # pragma: no cover - compiled
    """Whether the `n` words before word x of a equal the `n` before word y of b, and
    the `n` after them too (`guard.shared_around` on word keys)."""
    if x < n or y < n or x + n >= len(ha) or y + n >= len(hb):
        return False
    for k in range(1, n + 1):  # noqa: SIM110 - a loop numba compiles, no generator
        if ha[x - k] != hb[y - k] or ha[x + k] != hb[y + k]:
            return False
    return True


@compiled
def stop_code(n, facts, number, inner, other, contained, short, fl, it):  # pragma: no cover
    """Why the template guard stops a pair, 0 if it does not; shared by the compiled
    guard (`decide`) and the Python one (`verify`).

    n: facts changed, of `facts` in the shorter text; number: one of them is a number;
    inner: a name changed between two shared stretches; other: such a name is clearly
    another name (`screen_words.other_name`); contained: the pair is an excerpt; short:
    the shorter text's words; fl, it: the screen's parameters (`screen.ScreenParams`).

    An excerpt (contained) is cut verbatim from its story: one changed number inside it,
    or one changed name between two shared stretches, means it was cut from another
    story. So does one changed number in a short text, whose few figures are what it
    says. Corrections come as full revised copies (near), which is where a single
    changed figure is tolerated. A name must sit inside shared text: at a start or an
    end, a capitalised word may be a cruft line or a rewritten sentence. Outside a short
    excerpt, it must also be clearly another name: OCR garbles names past one edit
    ("Rxik" for "Rain", "Mavsdeq" for "Marsden") but keeps half of their letters; in a
    short one (a results line, a forecast) any changed name is another story.
    """
    share = n / max(1, facts)
    is_short = short < it[3]
    if n >= it[2] and share >= fl[4]:
        return MANY
    if n > 0 and share >= fl[5]:
        return ONE_BIG
    if contained and (number or (inner if is_short else other)):
        return EXCERPT
    if number and is_short:
        return SHORT_NUMBER
    if other and is_short:
        return SHORT_NAME
    return 0
