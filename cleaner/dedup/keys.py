"""Match keys: folded tokens, exact keys and word shingles. Aggressive folding lives only here.

Stored text is repaired conservatively elsewhere; dedup needs the opposite, a text where
case, quotes, punctuation, line wrapping and number formats no longer matter, because
reprints differ in exactly those. The folded text is never stored as the story's text.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

import numpy as np
import numpy.typing as npt
import polars as pl

U64 = npt.NDArray[np.uint64]
U32 = npt.NDArray[np.uint32]
U8 = npt.NDArray[np.uint8]
_NO_BYTES = np.zeros(0, np.uint8)
I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
LOW32 = np.uint64(0xFFFFFFFF)  # low half of a 64-bit key: what the index stores

# Odd 64-bit multipliers (from splitmix64 / golden ratio); fixed so keys are stable forever.
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_POS_MULT = (
    np.uint64(0x9E3779B97F4A7C15),
    np.uint64(0xC2B2AE3D27D4EB4F),
    np.uint64(0x165667B19E3779F9),
    np.uint64(0xD6E8FEB86659FD93),
    np.uint64(0xFF51AFD7ED558CCD),
    np.uint64(0xC4CEB9FE1A85EC53),
    np.uint64(0x27D4EB2F165667C5),
    np.uint64(0x85EBCA77C2B2AE63),
)

# Folding rules, applied in this order (regex, replacement). Rust regex syntax (polars).
_FOLD_RULES: tuple[tuple[str, str], ...] = (
    # ASCII word boundary: the Unicode one makes this rule 10x slower in polars.
    (r"(\d)[,\u00a0\u202f ](\d{3})(?-u:\b)", "${1}${2}"),  # 1,300 / 1 300 -> 1300
    (r"(\d)[,\u00a0\u202f ](\d{3})(?-u:\b)", "${1}${2}"),  # twice: 1,000,000
    (r"(\d)\s*%", "${1} percent"),  # 5% / 5 % -> 5 percent
    (r"\bper\s+cent\b", "percent"),
    (r"['\u2018\u2019\u02bc`\u00b4]", ""),  # don't / don\u2019t -> dont
    (r"[^\w]+", " "),  # all other punctuation, quotes, dashes, line breaks
)

# Version of the key layout (token hash, exact keys, shingles, MinHash, bands). Saved
# indexes record it; bump it whenever a change gives the same text other keys.
KEY_VERSION = 2

# Characters NFKC leaves alone and that never combine with a neighbour (ASCII, Latin-1
# letters, curly quotes, dashes, the replacement character...). A text made only of
# these skips NFKC, which costs more than the rest of the folding together; the other
# few % of news texts (ligatures, full-width forms, combining accents) take it.
_NFKC_STABLE = (
    "\x00-\x7f\u00a1-\u00a7\u00a9\u00ab-\u00ae\u00b0\u00b1\u00b6\u00b7\u00bb"
    "\u00bf-\u00ff\u2010\u2013-\u2015\u2018-\u2022\u2030\u2032\u2039\u203a\u20ac"
    "\u2190-\u2193\ufffd"
)
# Token bytes: ASCII letters, digits, underscore, and every byte of a non-ASCII
# character (non-word non-ASCII characters are blanked before, in polars).
_WORD_BYTE = np.zeros(256, bool)
_WORD_BYTE[128:] = True
_WORD_BYTE[list(b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")] = True
# Powers of an odd constant: byte i of a token is weighted by _BYTE_POW[i % 4096].
_BYTE_POW = np.array(
    [pow(0x9E3779B97F4A7C15, i + 1, 1 << 64) for i in range(4096)], dtype=np.uint64
)


@dataclass(frozen=True)
class TokenBatch:
    """Folded tokens of a batch of texts as one flat array with per-text offsets.

    Why flat: every later step (shingles, MinHash, verification) runs as numpy over the
    whole batch instead of a Python loop per text.
    """

    hashes: U64  # 64-bit hash of each folded token, all texts concatenated
    starts: I64  # index of each text's first token in `hashes`
    lengths: I64  # number of tokens of each text
    words: Words | None = None  # the tokens as text, case kept, when asked for

    def tokens_of(self, i: int) -> U64:
        """Token hashes of text `i` (a view, no copy)."""
        s = int(self.starts[i])
        return self.hashes[s : s + int(self.lengths[i])]


def fold_expr(expr: pl.Expr) -> pl.Expr:
    """Polars expression folding a text column for matching (vectorised `fold_text`)."""
    out = expr.fill_null("").str.normalize("NFKC").str.to_lowercase()
    for pattern, repl in _FOLD_RULES:
        out = out.str.replace_all(pattern, repl)
    return out.str.strip_chars()


def fold_text(text: str) -> str:
    """Fold one text: NFKC, lower case, number formats, apostrophes, punctuation, spaces.

    >>> fold_text("“Prices rose 5%,” he said -- to $1,300.\\n")
    'prices rose 5 percent he said to 1300'
    """
    out = pl.select(fold_expr(pl.lit(text, dtype=pl.Utf8))).item()
    return str(out)


def mix64(x: U64) -> U64:
    """splitmix64 finaliser, vectorised: spreads weak input bits over the whole word."""
    with np.errstate(over="ignore"):
        x = x ^ (x >> np.uint64(30))
        x = x * _MIX1
        x = x ^ (x >> np.uint64(27))
        x = x * _MIX2
        return x ^ (x >> np.uint64(31))


def _on_rows(s: pl.Series, mask: pl.Series, fn: Callable[[pl.Series], pl.Series]) -> pl.Series:
    """`fn` applied only to the rows where `mask` holds (the others are left as they are)."""
    idx = mask.arg_true()
    if len(idx) == 0:
        return s
    out = s.clone()
    out.scatter(idx, fn(s.gather(idx)))
    return out


def _fold_fast(texts: pl.Series) -> pl.Series:
    """`fold_expr` up to its last rule, each rule run only on the rows it can change.

    ASCII punctuation is left in place (the byte tokenizer splits on it); non-ASCII
    non-word characters become spaces. Splitting the result on non-word characters
    gives exactly the tokens of `fold_text` (tests/test_dedup_keys.py checks it).
    Case is kept (no rule depends on it): verification reads names by their capital;
    the match keys hash the lower-cased result.
    """
    # The ellipsis (in ~15% of news texts) is replaced by its NFKC form up front, which
    # NFKC would do anyway, so that those texts skip NFKC.
    s = texts.cast(pl.Utf8).fill_null("").str.replace_all("\u2026", "...", literal=True)
    s = _on_rows(s, s.str.contains(f"[^{_NFKC_STABLE}]"), lambda x: x.str.normalize("NFKC"))
    number, twice, percent, (per_cent, pc), quote, _ = _FOLD_RULES

    def numbers(x: pl.Series) -> pl.Series:
        return x.str.replace_all(*number).str.replace_all(*twice)

    s = _on_rows(s, s.str.contains(r"\d[,\u00a0\u202f ]\d"), numbers)
    s = _on_rows(s, s.str.contains("%", literal=True), lambda x: x.str.replace_all(*percent))
    s = s.str.replace_all(f"(?i){per_cent}", pc).str.replace_all(*quote)
    return _on_rows(
        s,
        s.str.contains(r"[^\x00-\x7f]"),
        lambda x: x.str.replace_all(r"[^\w\x00-\x7f]+", " "),
    )


# Reading at an offset without moving the file's position (workers share the file);
# not on Windows, where texts are read through the map.
_PREAD: Callable[[int, int, int], bytes] | None = getattr(os, "pread", None)
# ... and straight into a buffer of ours, without a bytes object per read to join after.
_PREADV: Callable[[int, list[memoryview], int], int] | None = getattr(os, "preadv", None)


@dataclass(frozen=True)
class Words:
    """Folded words with their case kept, as one space-separated text per row.

    What verification reads (see `doc.Doc`): one UTF-8 buffer with row
    offsets, no Python object per story, cut from the tokenizer's own output so the
    words are exactly the tokens the keys were made of.
    """

    offsets: I64  # n + 1 byte offsets into `data`
    data: npt.NDArray[np.uint8]
    # The file `data` maps, when spooled (`sign.WordSpool`): `text` reads from it.
    file: IO[bytes] | None = None

    def text(self, i: int) -> str:
        """Row `i`'s words, separated by single spaces."""
        lo, hi = int(self.offsets[i]), int(self.offsets[i + 1])
        if self.file is not None and _PREAD is not None:
            # Read, not touched through the map: every page of a map a process touches
            # stays in its memory (RSS), and the kernel maps in a whole run of cached
            # pages around each one. A few thousand stories read this way in the parent
            # (the star clusters' checks) left ~0.6 GB of the 1M batch's words in it.
            return _PREAD(self.file.fileno(), hi - lo, lo).decode("utf-8")
        return bytes(self.data[lo:hi]).decode("utf-8")

    def gather(self, rows: I64) -> tuple[Words, I64]:
        """The words of `rows` as a small buffer of their own, and each row's index in it.

        For a spooled map, read with `pread`, one call per run of consecutive rows: a
        worker screens ~4,000 stories per span of pairs, and reading them through the
        map would put far more than their bytes in its memory (the kernel maps whole
        folios of the page cache per fault: touching 4,000 random stories maps most of
        a million stories' 1.1 GB words file). Otherwise (in memory, or no pread) the
        words themselves, rows unchanged.

        >>> w = Words(np.array([0, 3, 7, 10]), np.frombuffer(b"onetwo six", np.uint8))
        >>> sub, at = w.gather(np.array([2, 0, 2]))
        >>> [sub.text(i) for i in at.tolist()]
        ['six', 'one', 'six']
        """
        if self.file is None or _PREAD is None:
            return self, rows
        uniq, at = np.unique(rows, return_inverse=True)
        if len(uniq) == 0:
            return Words(np.zeros(1, np.int64), _NO_BYTES), at.astype(np.int64, copy=False)
        cut = np.flatnonzero(np.diff(uniq) != 1) + 1
        starts = self.offsets[uniq[np.r_[0, cut]]]  # one read per run of consecutive rows
        ends = self.offsets[uniq[np.r_[cut - 1, len(uniq) - 1]] + 1]
        local = np.r_[0, np.cumsum(self.offsets[uniq + 1] - self.offsets[uniq])].astype(np.int64)
        fd = self.file.fileno()
        if _PREADV is None:
            reads = zip(starts.tolist(), ends.tolist(), strict=True)
            data = np.frombuffer(b"".join(_PREAD(fd, hi - lo, lo) for lo, hi in reads), np.uint8)
        else:
            data = np.empty(int(local[-1]), np.uint8)
            view, at_run = data.data, np.r_[0, np.cumsum(ends - starts)].tolist()
            got = sum(
                _PREADV(fd, [view[at_run[k] : at_run[k + 1]]], start)
                for k, start in enumerate(starts.tolist())
            )
            data = data if got == len(data) else data[:got]
        if len(data) != local[-1]:  # the file is the spool's own: a short read is damage
            raise OSError(f"spooled words: read {len(data)} of {local[-1]} bytes")
        return Words(local, data), at.astype(np.int64, copy=False)

    def take(self, rows: I64) -> Words:
        """The words of `rows`, in that order, as a buffer of their own (a copy).

        >>> w = Words(np.array([0, 3, 7, 10]), np.frombuffer(b"onetwo six", np.uint8))
        >>> sub = w.take(np.array([2, 0]))
        >>> [sub.text(i) for i in range(2)]
        ['six', 'one']
        """
        sub, at = self.gather(rows)
        lo, hi = sub.offsets[at], sub.offsets[at + 1]
        offsets = np.r_[0, np.cumsum(hi - lo)].astype(np.int64)
        if len(at) == 0:
            return Words(offsets, _NO_BYTES)
        # One slice per run of rows adjacent in `sub` (sorted rows are mostly one run):
        # no index per byte, which would take eight times the words' size.
        cut = np.flatnonzero(lo[1:] != hi[:-1]) + 1
        starts, ends = lo[np.r_[0, cut]].tolist(), hi[np.r_[cut - 1, len(at) - 1]].tolist()
        data = np.asarray(sub.data)
        return Words(
            offsets, np.concatenate([data[a:b] for a, b in zip(starts, ends, strict=True)])
        )

    @staticmethod
    def concat(parts: list[Words]) -> Words:
        """Rows of several batches, in order (copies the bytes once)."""
        if not parts:
            return Words(np.zeros(1, np.int64), _NO_BYTES)
        data = np.concatenate([p.data for p in parts])
        shift = np.cumsum([0, *(len(p.data) for p in parts[:-1])])
        offsets = np.concatenate(
            [p.offsets[:-1] + sh for p, sh in zip(parts, shift, strict=True)] + [[len(data)]]
        ).astype(np.int64)
        return Words(offsets, data)


def text_buffer(texts: pl.Series) -> tuple[npt.NDArray[np.uint8], I64]:
    """A text column's UTF-8 bytes and its n + 1 offsets into them (null: no bytes).

    >>> data, offsets = text_buffer(pl.Series(["ab", None, "c"]))
    >>> bytes(data), offsets.tolist()
    (b'abc', [0, 2, 2, 3])
    """
    n = len(texts)
    arr = texts.cast(pl.Binary).to_arrow()
    bufs = arr.buffers()
    if n == 0 or bufs[1] is None:
        return _NO_BYTES, np.zeros(n + 1, np.int64)
    offsets = np.frombuffer(bufs[1], np.int64)[arr.offset : arr.offset + n + 1]
    data = np.frombuffer(bufs[2], np.uint8)[offsets[0] : offsets[-1]] if bufs[2] else _NO_BYTES
    return data, offsets - offsets[0]


@dataclass(frozen=True)
class _Runs:
    """Tokens of folded texts as runs of word bytes in one buffer."""

    data: npt.NDArray[np.uint8]
    at: I64  # positions of word bytes in `data`; a token is a run of them
    first: I64  # index in `at` of each token's first byte
    doc: I64  # row of each token
    n: int

    @staticmethod
    def of(folded: pl.Series) -> _Runs:
        n = len(folded)
        data, offsets = text_buffer(folded)
        word = _WORD_BYTE[data]
        begin = word.copy()  # a token begins at a word byte after a non-word byte or a start
        begin[1:] &= ~word[:-1]
        heads = offsets[:-1][offsets[:-1] < len(data)]
        begin[heads] = word[heads]
        at = np.flatnonzero(word)  # token bytes only, tokens now contiguous runs
        first = np.flatnonzero(begin[at])
        doc = np.searchsorted(offsets, at[first], side="right") - 1
        return _Runs(data, at, first, doc.astype(np.int64), n)

    def lengths(self) -> I64:
        return np.bincount(self.doc, minlength=self.n).astype(np.int64)

    def words(self) -> Words:
        """Each row's tokens joined by single spaces (one space before every token)."""
        n_tok = len(self.first)
        size = np.diff(np.append(self.first, len(self.at)))
        tok_of_byte = np.repeat(np.arange(n_tok), size)
        out = np.full(len(self.at) + n_tok, ord(" "), np.uint8)
        out[np.arange(len(self.at)) + tok_of_byte + 1] = self.data[self.at]
        tok_start = np.append(self.first + np.arange(n_tok), len(out))
        lengths = self.lengths()
        starts = np.zeros(self.n + 1, np.int64)
        np.cumsum(lengths, out=starts[1:])
        return Words(tok_start[starts].astype(np.int64), out)


def tokenize(texts: pl.Series, words: bool = False) -> TokenBatch:
    """Fold and tokenize a batch of texts; each token gets a stable 64-bit hash.

    The folded texts are cut into tokens and hashed as one byte buffer in numpy: a
    token's hash is a polynomial over its UTF-8 bytes, mixed with its length. No Python
    loop, no per-batch vocabulary, and equal tokens hash equally in every batch. With
    `words`, the tokens are also kept as text, with their case (`TokenBatch.words`).

    >>> tb = tokenize(pl.Series(["The cat", "the CAT sat"]), words=True)
    >>> tb.lengths.tolist(), bool(tb.hashes[0] == tb.hashes[2]), tb.words.text(1)
    ([2, 3], True, ' the CAT sat')
    """
    n = len(texts)
    if n == 0:
        none = Words(np.zeros(1, np.int64), _NO_BYTES) if words else None
        zero = np.zeros(0, np.int64)
        return TokenBatch(np.zeros(0, np.uint64), zero, zero, none)
    folded = _fold_fast(texts)
    kept = _Runs.of(folded).words() if words else None
    runs = _Runs.of(folded.str.to_lowercase())
    at, first, data = runs.at, runs.first, runs.data
    if len(first) == 0:
        zero = np.zeros(n, np.int64)
        return TokenBatch(np.zeros(0, np.uint64), zero, zero, kept)
    size = np.diff(np.append(first, len(at)))
    rel = np.arange(len(at)) - np.repeat(first, size)
    with np.errstate(over="ignore"):
        weighted = data[at].astype(np.uint64) * _BYTE_POW[rel & (len(_BYTE_POW) - 1)]
        raw = np.add.reduceat(weighted, first)
        hashes = mix64(raw ^ mix64(size.astype(np.uint64)))
    lengths = runs.lengths()
    starts = np.zeros(n, np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    return TokenBatch(hashes, starts, lengths, kept)


def exact_keys(tokens: TokenBatch) -> U64:
    """One 64-bit key per text: equal iff the folded token sequences are equal (w.h.p.).

    >>> k = exact_keys(tokenize(pl.Series(["Hello,  World!", "hello world", "hello"])))
    >>> bool(k[0] == k[1]), bool(k[0] == k[2])
    (True, False)
    """
    # Position-dependent polynomial sum, then mixed with the length.
    pos = (np.arange(len(tokens.hashes)) - np.repeat(tokens.starts, tokens.lengths)).astype(
        np.uint64
    )
    with np.errstate(over="ignore"):
        term = mix64(tokens.hashes ^ mix64(pos + np.uint64(1)))
        acc = _sum_per_text(term, tokens.starts, tokens.lengths)
        return mix64(acc ^ mix64(tokens.lengths.astype(np.uint64) * _MIX1))


def _sum_per_text(values: U64, starts: I64, lengths: I64) -> U64:
    """Wrapping uint64 sum of each text's contiguous run of `values` (0 for no values)."""
    acc = np.zeros(len(lengths), np.uint64)
    has = lengths > 0
    if has.any():
        acc[has] = np.add.reduceat(values, starts[has])
    return acc


@dataclass(frozen=True)
class Shingles:
    """Hashed word n-grams of a batch: `hashes[i]` belongs to text `doc[i]`."""

    hashes: U64
    doc: I64


def shingles(tokens: TokenBatch, size: int, lead: int | None = None) -> Shingles:
    """Hashed word `size`-grams of every text, vectorised; `lead` keeps only the first tokens.

    A text shorter than `size` tokens gets one shingle made of all its tokens, so that
    short texts still have a signature; an empty text gets none.

    >>> tb = tokenize(pl.Series(["a b c d", "a b", ""]))
    >>> sh = shingles(tb, 3)
    >>> sh.doc.tolist()
    [0, 0, 1]
    """
    return shingle_views(tokens, size, (lead,))[0]


def shingle_views(
    tokens: TokenBatch, size: int, leads: tuple[int | None, ...]
) -> tuple[Shingles, ...]:
    """`shingles` for several `lead` values at once: the n-gram hashes are computed once.

    A shingle's hash does not depend on the view: the lead view's shingles are the
    whole view's shingles that end within the first `lead` tokens.
    """
    if not 1 <= size <= len(_POS_MULT):
        raise ValueError(f"shingle size must be 1..{len(_POS_MULT)}, got {size}")
    h = tokens.hashes
    n_tok = len(h)
    if n_tok == 0:
        empty = Shingles(np.zeros(0, np.uint64), np.zeros(0, np.int64))
        return tuple(empty for _ in leads)
    with np.errstate(over="ignore"):
        acc = h * _POS_MULT[0]
        for j in range(1, min(size, n_tok)):  # windows crossing a text's end: never used
            acc[: n_tok - j] += h[j:] * _POS_MULT[j]
        mixed = mix64(acc)
    del acc
    return tuple(_select(mixed, tokens, size, lead) for lead in leads)


def _select(mixed: U64, tokens: TokenBatch, size: int, lead: int | None) -> Shingles:
    """The windows of `mixed` that lie inside each text's first `lead` tokens."""
    lengths = tokens.lengths if lead is None else np.minimum(tokens.lengths, lead)
    short = (lengths < size) & (lengths > 0)
    count = np.where(short, 1, np.maximum(lengths - size + 1, 0))
    at = expand(tokens.starts, count)
    out = mixed[at]
    if short.any():
        # A short text's one shingle hashes its tokens only (the rest of the window is 0).
        first = (np.cumsum(count) - count)[short]
        start, length = tokens.starts[short], lengths[short]
        acc = np.zeros(len(start), np.uint64)
        with np.errstate(over="ignore"):
            for j in range(size - 1):
                inside = j < length
                acc[inside] += tokens.hashes[start[inside] + j] * _POS_MULT[j]
        out[first] = mix64(acc)
    return Shingles(out, np.repeat(np.arange(len(lengths), dtype=np.int64), count))


def expand(start: I64, count: I64) -> I64:
    """Concatenated ranges start[i] .. start[i]+count[i]-1 (vectorised).

    >>> expand(np.array([10, 20]), np.array([2, 3])).tolist()
    [10, 11, 20, 21, 22]
    """
    shift = start - (np.cumsum(count) - count)
    out: I64 = np.arange(int(count.sum()), dtype=np.int64) + np.repeat(shift, count)
    return out


_WORD = re.compile(r"\w+")


def surface_tokens(text: str) -> list[str]:
    """Case-kept word tokens (numbers folded like `fold_text`) for the template guard.

    >>> surface_tokens("Acme\u2019s revenue: $1,300 (5%)")
    ['Acmes', 'revenue', '1300', '5', 'percent']
    """
    t = unicodedata.normalize("NFKC", text)
    for pattern, repl in _PY_RULES:
        t = pattern.sub(repl, t)
    return _WORD.findall(t)


# The same folding rules in Python `re` syntax (all but the final punctuation rule, which
# tokenization makes redundant); case is kept because the template guard needs it.
_PY_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (
        re.compile(p.replace("(?-u:\\b)", r"\b"), re.IGNORECASE | re.ASCII),
        r.replace("${1}", r"\1").replace("${2}", r"\2"),
    )
    for p, r in _FOLD_RULES[:-1]
)
