"""Match keys: folded tokens, exact keys and word shingles. Aggressive folding lives only here.

Stored text is repaired conservatively elsewhere; dedup needs the opposite, a text where
case, quotes, punctuation, line wrapping and number formats no longer matter, because
reprints differ in exactly those. The folded text is never stored as the story's text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl
import xxhash

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

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


@dataclass(frozen=True)
class TokenBatch:
    """Folded tokens of a batch of texts as one flat array with per-text offsets.

    Why flat: every later step (shingles, MinHash, verification) runs as numpy over the
    whole batch instead of a Python loop per text.
    """

    hashes: U64  # 64-bit hash of each folded token, all texts concatenated
    starts: I64  # index of each text's first token in `hashes`
    lengths: I64  # number of tokens of each text

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


def tokenize(texts: pl.Series) -> TokenBatch:
    """Fold and tokenize a batch of texts; tokens are hashed with xxh64 (stable across runs).

    Each distinct token is hashed once in Python (the batch vocabulary), then mapped back
    to every occurrence with a vectorised Enum cast: no per-token Python loop.

    >>> tb = tokenize(pl.Series(["The cat", "the CAT sat"]))
    >>> tb.lengths.tolist(), bool(tb.hashes[0] == tb.hashes[2])
    ([2, 3], True)
    """
    folded = pl.select(fold_expr(pl.lit(texts.cast(pl.Utf8)))).to_series()
    lists = folded.str.split(" ")
    lengths = lists.list.len().to_numpy().astype(np.int64)
    flat = lists.explode()
    flat = flat.filter(flat.str.len_bytes() > 0)
    # Empty texts split into [""]: their length is 0, not 1.
    empty = folded.str.len_bytes().to_numpy() == 0
    lengths[empty] = 0
    if len(flat) == 0:
        return TokenBatch(np.zeros(0, np.uint64), np.zeros(len(texts), np.int64), lengths)
    vocab = flat.unique(maintain_order=True)
    vocab_hash = np.fromiter(
        (xxhash.xxh64_intdigest(t.encode()) for t in vocab.to_list()),
        dtype=np.uint64,
        count=len(vocab),
    )
    codes = flat.cast(pl.Enum(vocab)).to_physical().to_numpy()
    starts = np.zeros(len(lengths), np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    return TokenBatch(vocab_hash[codes], starts, lengths)


def exact_keys(tokens: TokenBatch) -> U64:
    """One 64-bit key per text: equal iff the folded token sequences are equal (w.h.p.).

    >>> k = exact_keys(tokenize(pl.Series(["Hello,  World!", "hello world", "hello"])))
    >>> bool(k[0] == k[1]), bool(k[0] == k[2])
    (True, False)
    """
    n = len(tokens.lengths)
    if len(tokens.hashes) == 0:
        return mix64(tokens.lengths.astype(np.uint64))
    # Position-dependent polynomial sum, then mixed with the length.
    doc = np.repeat(np.arange(n), tokens.lengths)
    pos = (np.arange(len(tokens.hashes)) - tokens.starts[doc]).astype(np.uint64)
    with np.errstate(over="ignore"):
        term = mix64(tokens.hashes ^ mix64(pos + np.uint64(1)))
        acc = np.zeros(n, np.uint64)
        np.add.at(acc, doc, term)
        return mix64(acc ^ mix64(tokens.lengths.astype(np.uint64) * _MIX1))


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
    if not 1 <= size <= len(_POS_MULT):
        raise ValueError(f"shingle size must be 1..{len(_POS_MULT)}, got {size}")
    lengths = tokens.lengths if lead is None else np.minimum(tokens.lengths, lead)
    n_tok = len(tokens.hashes)
    n = len(lengths)
    if n_tok == 0:
        return Shingles(np.zeros(0, np.uint64), np.zeros(0, np.int64))
    doc = np.repeat(np.arange(n), tokens.lengths)
    pos = np.arange(n_tok) - tokens.starts[doc]
    padded = np.concatenate([tokens.hashes, np.zeros(size, np.uint64)])
    acc = np.zeros(n_tok, np.uint64)
    with np.errstate(over="ignore"):
        for j in range(size):
            # Tokens past the end of a text are masked to 0 so short texts hash cleanly.
            part = padded[j : j + n_tok] * _POS_MULT[j]
            inside = (pos + j) < lengths[doc]
            acc += np.where(inside, part, np.uint64(0))
    full = (pos + size) <= lengths[doc]
    short = (pos == 0) & (lengths[doc] < size) & (lengths[doc] > 0)
    keep = full | short
    return Shingles(mix64(acc[keep]), doc[keep].astype(np.int64))


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
