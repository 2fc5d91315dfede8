"""Finding input files, naming their format, hashing and decompressing them.

Kept apart from the format readers so that a reader only ever sees a binary stream
of the (decompressed) content, and so the awkward cases (vanished files, FIFOs,
truncated archives) are handled in exactly one place.
"""

from __future__ import annotations

import bz2
import io
import lzma
import os
import re
import stat
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

import xxhash

#: Extensions we read, by the format name used in ``RawRecord.fmt``.
EXTENSIONS: dict[str, str] = {
    ".txt": "txt",
    ".text": "txt",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".parquet": "parquet",
    ".html": "html",
    ".htm": "html",
}

#: Compression suffixes and their leading magic bytes.
COMPRESSIONS: dict[str, bytes] = {".gz": b"\x1f\x8b", ".bz2": b"BZh", ".xz": b"\xfd7zXZ\x00"}

#: Binary formats worth naming in a skip reason (the user then knows what they have).
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "zip archive (or docx/xlsx)"),
    (b"\x89PNG", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"RIFF", "RIFF media"),
    (b"\x7fELF", "executable"),
    (b"SQLite format 3", "SQLite database"),
    (b"7z\xbc\xaf", "7z archive"),
    (b"\x28\xb5\x2f\xfd", "zstd archive (not supported: recompress as .gz)"),
)

#: Read size for hashing and decompressing: big enough to amortise calls, small
#: enough that no whole file is ever held just to hash it.
CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Kind:
    """What a file holds: its format, and the compression wrapped around it."""

    fmt: str  # "txt", "jsonl", "json", "csv", "parquet", "html" or "unknown"
    compression: str | None  # ".gz", ".bz2", ".xz"

    @property
    def label(self) -> str:
        """The ``fmt`` written into records: ``jsonl`` or ``jsonl.gz``."""
        return self.fmt + (self.compression or "")


def kind_from_name(name: str) -> Kind:
    """The format a file name announces; ``unknown`` formats are sniffed later.

    >>> kind_from_name("2024/05/feed.ndjson.gz"), kind_from_name("notes.log").fmt
    (Kind(fmt='jsonl', compression='.gz'), 'unknown')
    """
    lower = name.lower()
    compression = next((c for c in COMPRESSIONS if lower.endswith(c)), None)
    if compression:
        lower = lower[: -len(compression)]
    ext = os.path.splitext(lower)[1]
    return Kind(EXTENSIONS.get(ext, "unknown"), compression)


def compression_from_magic(head: bytes) -> str | None:
    """The compression a file's first bytes betray, for files with a misleading name."""
    return next((c for c, magic in COMPRESSIONS.items() if head.startswith(magic)), None)


def binary_kind(sample: bytes) -> str | None:
    """Why ``sample`` is not text (a one-line reason), or None when it looks like text.

    NUL bytes or many control characters mean binary; UTF-16/32 text (which is full
    of NULs) is recognised by the caller before this is asked.

    >>> binary_kind(b"%PDF-1.7 ..."), binary_kind(b"plain words"), binary_kind(b"a\\x00b")
    ('PDF document', None, 'binary content (NUL bytes)')
    """
    for magic, name in MAGIC:
        if sample.startswith(magic):
            return name
    if b"\x00" in sample:
        return "binary content (NUL bytes)"
    controls = sum(1 for b in sample if (b < 32 and b not in b"\t\n\r\f\b\x1b") or b == 127)
    if sample and controls > 0.1 * len(sample):
        return "binary content (control bytes)"
    return None


def sniff_text_format(sample: str) -> str:
    """Guess the format of a text file with an unknown extension from its first lines.

    >>> sniff_text_format('{"text": "x"}\\n{"text": "y"}'), sniff_text_format("<!DOCTYPE html>")
    ('jsonl', 'html')
    """
    head = sample.lstrip("\ufeff \t\r\n")[:512].lower()
    if head.startswith(("<!doctype html", "<html")) or "<body" in head:
        return "html"
    if head.startswith("["):
        return "json"
    if head.startswith("{"):
        first = head.split("\n", 1)[0].rstrip()
        return "jsonl" if first.endswith("}") else "json"
    return "txt"


def glob_regex(pattern: str) -> re.Pattern[str]:
    """Compile a RAW-relative glob where ``**/`` spans any number of folders (or none).

    >>> bool(glob_regex("**/.*").match(".cache")), bool(glob_regex("**/.*").match("a/.b"))
    (True, True)
    >>> bool(glob_regex("**/*~").match("a/story.txt"))
    False
    """
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def list_files(raw_dir: Path, exclude: tuple[str, ...]) -> Iterator[str]:
    """RAW-relative posix paths of every entry that is not a folder, in sorted order.

    Symlinked folders are not followed (no cycles); excluded folders are pruned.  Odd
    entries (FIFOs, broken links) are listed too: the caller reports them as skipped.
    """
    patterns = [glob_regex(p) for p in exclude]

    def skip(rel: str) -> bool:
        return any(p.match(rel) for p in patterns)

    def walk(folder: Path, prefix: str) -> Iterator[str]:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            rel = prefix + entry.name
            if skip(rel):
                continue
            if entry.is_dir(follow_symlinks=False):
                yield from walk(Path(entry.path), rel + "/")
            else:
                yield rel

    yield from walk(raw_dir, "")


def open_regular(path: Path) -> tuple[BinaryIO, int]:
    """Open a regular file for reading; raise OSError with a clear reason otherwise.

    Checking the type on the open descriptor (not the name) means a FIFO is never
    read (which would block the night) and a file swapped after listing is caught.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise IsADirectoryError(f"not a regular file: {path.name}")
    return os.fdopen(fd, "rb", buffering=CHUNK), info.st_size


def hash_stream(fh: BinaryIO) -> str:
    """xxh3-128 of everything from the stream's current position, read in chunks.

    >>> hash_stream(io.BytesIO(b"abc")) == xxhash.xxh3_128_hexdigest(b"abc")
    True
    """
    h = xxhash.xxh3_128()
    while chunk := fh.read(CHUNK):
        h.update(chunk)
    return h.hexdigest()


class _Decompressor(Protocol):
    @property
    def eof(self) -> bool: ...
    @property
    def unused_data(self) -> bytes: ...

    def decompress(self, data: bytes) -> bytes: ...


_FACTORIES: dict[str, Callable[[], _Decompressor]] = {
    ".gz": lambda: zlib.decompressobj(wbits=31),  # 31: gzip header and trailer
    ".bz2": lambda: bz2.BZ2Decompressor(),
    ".xz": lambda: lzma.LZMADecompressor(),
}


class Decompressing(io.RawIOBase):
    """A raw stream of decompressed bytes that survives a truncated archive.

    Unlike ``gzip.GzipFile``, everything that could be decompressed is returned and
    the stream then simply ends, with ``truncated`` set: the caller keeps the records
    before the cut and reports the cut, instead of losing the last buffer to an
    ``EOFError``.  Concatenated members (``cat a.gz b.gz``) are read in turn.
    """

    def __init__(self, source: BinaryIO, compression: str) -> None:
        super().__init__()
        self._source = source
        self._factory = _FACTORIES[compression]
        self._d = self._factory()
        self._pending = b""
        self.truncated = False
        self.consumed = 0  # compressed bytes read so far, for the problem message

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            if not self._fill():
                return 0
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def _fill(self) -> bool:
        """Decompress one more input chunk; False at the end of the data."""
        if self._d.eof:
            rest = self._d.unused_data
            if not rest.strip(b"\x00"):
                rest = self._source.read(CHUNK)
                if not rest.strip(b"\x00"):
                    return False
            self._d = self._factory()  # another concatenated member
            self._pending = self._d.decompress(rest)
            return True
        chunk = self._source.read(CHUNK)
        if not chunk:
            self.truncated = True  # input ended inside a member
            return False
        self.consumed += len(chunk)
        self._pending = self._d.decompress(chunk)
        return True


def content_stream(fh: BinaryIO, compression: str | None) -> tuple[BinaryIO, Decompressing | None]:
    """Rewind ``fh`` and give a buffered stream of its (decompressed) content."""
    fh.seek(0)
    if compression is None:
        return fh, None
    raw = Decompressing(fh, compression)
    return io.BufferedReader(raw, CHUNK), raw
