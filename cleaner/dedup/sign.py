"""Signing a batch in one compiled pass per text: words, exact key and LSH band keys.

`keys` and `lsh` define the keys with numpy over the whole batch (tokens, shingles,
one-permutation MinHash, densification, bands); that is the specification, and the
index stores its output. This module computes exactly the same keys (a property test
holds them equal) in one numba pass per text: no per-byte or per-shingle temporary the
size of the batch, and about twenty times less time, which matters at a million stories.
Folding stays in polars (`keys._fold_fast`), which also handles Unicode case.
"""

from __future__ import annotations

import tempfile
import weakref
from dataclasses import dataclass
from typing import IO, Any

import numpy as np
import numpy.typing as npt
import polars as pl

from cleaner.dedup.jit import compiled, frozen
from cleaner.dedup.keys import (
    _BYTE_POW,
    _MIX1,
    _MIX2,
    _POS_MULT,
    _WORD_BYTE,
    I64,
    U8,
    U32,
    U64,
    Words,
    _fold_fast,
    text_buffer,
)
from cleaner.dedup.lsh import _EMPTY, _ROT, _probes
from cleaner.dedup.result import DedupParams

_LOW32 = np.uint64(0xFFFFFFFF)
_VIEW_SEED = 1_000_003  # band seeds of view v start at v * _VIEW_SEED + 1 (lsh.band_keys)


@dataclass(frozen=True)
class Signed:
    """What dedup keeps of a batch of texts: per text its keys, and its folded words."""

    exact: U64  # exact key (keys.exact_keys)
    bands: U32  # (n, 2 * bands): low 32 bits of the band keys, whole body then lead
    n_tokens: I64
    words: Words
    sketch: U8  # (n, num_perm): low byte of every whole-body slot (lsh.batch_sketches)


def sign_texts(texts: pl.Series, p: DedupParams) -> Signed:
    """Exact keys, band keys, token counts, folded words and sketches of a batch of texts.

    The same values as `keys.tokenize` + `keys.exact_keys` + `lsh.batch_band_keys` +
    `lsh.batch_sketches`.

    >>> from cleaner.dedup import DedupConfig, lsh_params
    >>> s = sign_texts(pl.Series(["Rain, rain!", "rain rain", None]), lsh_params(DedupConfig()))
    >>> bool(s.exact[0] == s.exact[1]), s.n_tokens.tolist(), s.words.text(0)
    (True, [2, 2, 0], ' Rain rain')
    """
    if not 1 <= p.shingle_size <= len(_POS_MULT):
        raise ValueError(f"shingle size must be 1..{len(_POS_MULT)}, got {p.shingle_size}")
    if p.bands * p.rows > p.num_perm:
        raise ValueError(f"{p.bands} bands of {p.rows} rows need more than {p.num_perm} slots")
    folded = _fold_fast(texts)
    low, low_offsets = text_buffer(folded.str.to_lowercase())
    exact, bands, n_tok, sketch = _sign(
        frozen(low, np.uint8),
        frozen(low_offsets, np.int64),
        _WORD_BYTE,
        _BYTE_POW,
        np.array(_POS_MULT, np.uint64),
        _probes(p.num_perm),
        p.shingle_size,
        p.lead_tokens,
        p.bands,
        p.rows,
    )
    return Signed(exact, bands, n_tok, _words(folded), sketch)


def folded_words(texts: pl.Series) -> Words:
    """The folded words of texts, exactly as `sign_texts` keeps them, without the keys.

    >>> folded_words(pl.Series(["Rain, 5% rain!"])).text(0)
    ' Rain 5 percent rain'
    """
    return _words(_fold_fast(texts))


def _words(folded: pl.Series) -> Words:
    data, offsets = text_buffer(folded)
    w_offsets, w_data = _kept_words(frozen(data, np.uint8), frozen(offsets, np.int64), _WORD_BYTE)
    return Words(w_offsets, w_data)


def _mapped(file: IO[bytes], dtype: type[np.generic], shape: tuple[int, ...]) -> npt.NDArray[Any]:
    """What was written to `file`, mapped back read-only. The file may be closed after:
    the map keeps the unlinked file alive."""
    file.flush()
    return np.memmap(file, dtype, mode="r", shape=shape)


# Batches whose words pass this size are spooled to a temporary file (see WordSpool).
SPOOL_BYTES = 256 << 20


class WordSpool:
    """The folded words of a batch's chunks, in order, held in RAM or in a temporary file.

    A million stories' words take ~1.1 GB. Held in memory they would sit untouched
    through the candidate search, the stage's peak, and joining the chunks would copy
    them once more. Past `limit` bytes they go to an unlinked temporary file instead and
    come back as a read-only memory map: pages reach RAM again as verification reads
    them, and forked workers share them. Where no temporary file can be written, they
    stay in memory.
    """

    def __init__(self, limit: int = SPOOL_BYTES) -> None:
        self.limit = limit
        self.parts: list[Words] = []
        self.offsets: list[I64] = []
        self.size = 0
        self.file: IO[bytes] | None = None

    def add(self, words: Words) -> None:
        """Append the next chunk's words."""
        self.parts.append(words)
        if self.file is None and self.size + len(words.data) > self.limit:
            try:  # closed in words(), once the map is made; deleted by the system
                self.file = tempfile.TemporaryFile(prefix="cleaner-words-")  # noqa: SIM115
                self.size = 0  # from now on: bytes written; the held parts follow
            except OSError:
                self.limit = np.iinfo(np.int64).max  # nowhere to spool: keep them in RAM
        if self.file is None:
            self.size += len(words.data)
            return
        written = 0
        try:
            for part in self.parts:
                self.file.write(part.data.data)
                self.offsets.append(part.offsets[:-1] + self.size)
                self.size += len(part.data)
                written += 1
        except OSError:  # disk full: take back what was written, keep the rest in RAM
            self._unspool(self.parts[written:])
            return
        self.parts = []

    def _unspool(self, kept: list[Words]) -> None:
        assert self.file is not None
        self.file.seek(0)
        data = np.frombuffer(self.file.read(self.size), np.uint8)
        back = Words(np.concatenate([*self.offsets, [self.size]]).astype(np.int64), data)
        self.file.close()
        self.file, self.offsets, self.limit = None, [], np.iinfo(np.int64).max
        self.parts = [back, *kept]
        self.size = sum(len(p.data) for p in self.parts)

    def words(self) -> Words:
        """All chunks' words as one `Words` (a memory map if spooled)."""
        if self.file is None:
            return Words.concat(self.parts)
        # Spooling starts with a non-empty chunk: there are bytes to map. The file stays
        # open for `Words.text`, and is closed with the last `Words` that reads it.
        offsets = np.concatenate([*self.offsets, [self.size]]).astype(np.int64)
        words = Words(offsets, _mapped(self.file, np.uint8, (self.size,)), self.file)
        weakref.finalize(words, self.file.close)
        return words


def spool_array(a: npt.NDArray[Any], limit: int = SPOOL_BYTES) -> npt.NDArray[Any]:
    """A big array moved to an unlinked temporary file and mapped back, read-only.

    For what dedup keeps but seldom reads (the band keys, needed again only to save the
    index): its pages leave RAM. Small arrays, or no writable temporary folder: `a`.
    """
    if a.nbytes <= limit:
        return a
    try:
        with tempfile.TemporaryFile(prefix="cleaner-array-") as f:  # closed; the map stays
            f.write(np.ascontiguousarray(a).data)
            return _mapped(f, a.dtype.type, a.shape)
    except OSError:
        return a


@compiled
def _mix(x):  # pragma: no cover - compiled
    """splitmix64 finaliser on one uint64 (keys.mix64)."""
    x = x ^ (x >> np.uint64(30))
    x = x * _MIX1
    x = x ^ (x >> np.uint64(27))
    x = x * _MIX2
    return x ^ (x >> np.uint64(31))


@compiled
def _kept_words(data, offsets, word_byte):  # pragma: no cover - compiled
    """Each text's tokens (runs of word bytes), each after one space (keys.Words)."""
    n = len(offsets) - 1
    out_offsets = np.empty(n + 1, np.int64)
    total = 0
    for d in range(n):
        out_offsets[d] = total
        inside = False
        for i in range(offsets[d], offsets[d + 1]):
            w = word_byte[data[i]]
            if w:
                total += 1 if inside else 2
            inside = w
    out_offsets[n] = total
    out = np.empty(total, np.uint8)
    at = 0
    for d in range(n):
        inside = False
        for i in range(offsets[d], offsets[d + 1]):
            w = word_byte[data[i]]
            if w:
                if not inside:
                    out[at] = 32
                    at += 1
                out[at] = data[i]
                at += 1
            inside = w
    return out_offsets, out


@compiled
def _token_hashes(data, start, end, word_byte, byte_pow, out):  # pragma: no cover
    """Hash of each token of data[start:end] into `out`; returns the token count."""
    m = 0
    raw = np.uint64(0)
    rel = 0
    mask = len(byte_pow) - 1
    for i in range(start, end):
        c = data[i]
        if word_byte[c]:
            if rel == 0:
                raw = np.uint64(0)
            raw += np.uint64(c) * byte_pow[rel & mask]
            rel += 1
        elif rel:
            out[m] = _mix(raw ^ _mix(np.uint64(rel)))
            m += 1
            rel = 0
    if rel:
        out[m] = _mix(raw ^ _mix(np.uint64(rel)))
        m += 1
    return m


@compiled
def _minhash(h, m, size, pos_mult, probes, sig, filled):  # pragma: no cover - compiled
    """One-permutation MinHash of the first m tokens' shingles, densified (lsh)."""
    k = len(sig)
    kk = np.uint64(k)
    sig[:] = _EMPTY
    n_sh = 1 if m < size else m - size + 1
    width = m if m < size else size
    for i in range(n_sh):
        acc = np.uint64(0)
        for j in range(width):
            acc += h[i + j] * pos_mult[j]
        x = _mix(acc)
        slot = x % kk
        v = x // kk
        if v < sig[slot]:
            sig[slot] = v
    for i in range(k):
        if sig[i] != _EMPTY:
            filled[i] = sig[i]
            continue
        done = False
        for t in range(probes.shape[0]):
            src = sig[probes[t, i]]
            if src != _EMPTY:
                filled[i] = _mix(src + np.uint64(t + 1) * _ROT)
                done = True
                break
        if not done:  # almost every bin empty: the next non-empty bin to the right
            for d in range(1, k):
                nxt = (i + d) % k
                if sig[nxt] != _EMPTY:
                    filled[i] = _mix(sig[nxt] + np.uint64(k + nxt) * _ROT)
                    break


@compiled
def _sign(
    data, offsets, word_byte, byte_pow, pos_mult, probes, size, lead, bands, rows
):  # pragma: no cover - compiled
    """Exact key, band keys (low 32 bits), token count and sketch of every text."""
    n = len(offsets) - 1
    k = probes.shape[1]
    exact = np.empty(n, np.uint64)
    keys = np.zeros((n, 2 * bands), np.uint32)
    sketch = np.zeros((n, k), np.uint8)
    n_tok = np.zeros(n, np.int64)
    longest = 0
    for d in range(n):
        longest = max(longest, offsets[d + 1] - offsets[d])
    h = np.empty(longest // 2 + 1, np.uint64)  # a token and its separator: 2+ bytes
    sig = np.empty(k, np.uint64)
    filled = np.empty(k, np.uint64)
    for d in range(n):
        m = _token_hashes(data, offsets[d], offsets[d + 1], word_byte, byte_pow, h)
        n_tok[d] = m
        acc = np.uint64(0)
        for j in range(m):
            acc += _mix(h[j] ^ _mix(np.uint64(j + 1)))
        exact[d] = _mix(acc ^ _mix(np.uint64(m) * _MIX1))
        for view in range(2):
            mm = m if view == 0 else min(m, lead)
            if mm == 0:
                continue  # no shingle: key 0, never matched
            _minhash(h, mm, size, pos_mult, probes, sig, filled)
            if view == 0:
                for i in range(k):
                    sketch[d, i] = np.uint8(filled[i] & np.uint64(0xFF))
            for b in range(bands):
                key = (np.uint64(b) + np.uint64(view * _VIEW_SEED + 1)) * _ROT
                for j in range(rows):
                    key = _mix(key ^ filled[b * rows + j])
                keys[d, view * bands + b] = np.uint32(key & _LOW32)
    return exact, keys, n_tok, sketch
