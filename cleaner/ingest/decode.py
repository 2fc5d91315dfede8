"""Bytes to text without mangling: BOMs, UTF-8, and legacy single-byte encodings.

Scrapers write whatever the page or their platform used.  We decode UTF-8 strictly
and only fall back to a legacy code page for the bytes that are not UTF-8, *line by
line*, so one Windows-1252 line pasted into a UTF-8 file does not turn the whole file
into mojibake.  Which legacy code page is guessed once per file from a sample
(charset-normalizer), preferring cp1252 when it explains the bytes as well as any
other: Western news text is far more common than, say, Baltic, and the detector's
ties are otherwise broken arbitrarily.  Repairing mojibake that was *already in* the
text (UTF-8 decoded as cp1252 upstream) is normalise's job (ftfy), not ours.
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass

import charset_normalizer

#: BOMs, longest first (the UTF-32 LE BOM starts with the UTF-16 LE one).
BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

#: The code page used when nothing better is known.  cp1252 rather than latin-1:
#: they differ only in 0x80-0x9F, which latin-1 maps to invisible C1 controls that
#: no real text contains, while cp1252 maps them to quotes, dashes and the euro sign.
DEFAULT_LEGACY = "cp1252"

#: cp1252 leaves these five bytes undefined; a line containing one is read as latin-1.
_CP1252_HOLES = frozenset(b"\x81\x8d\x8f\x90\x9d")


@dataclass(frozen=True, slots=True)
class Plan:
    """How a file's bytes will be decoded: a whole-stream codec, or UTF-8 per line.

    ``wide`` codecs (UTF-16/32) cannot be split on the byte ``\\n``, so they decode
    the whole stream; otherwise each line is tried as UTF-8, then as ``legacy``.
    """

    wide: str | None  # "utf-16" / "utf-32" (BOM-led), decoded as one stream
    bom: str | None  # the BOM codec name when the file starts with one
    primary: str  # the label for pure-ASCII lines: "utf-8", "utf-8-sig" or the legacy name
    legacy: str  # code page for lines that are not valid UTF-8


def sniff_bom(head: bytes) -> str | None:
    """The codec named by a leading byte-order mark, if any.

    >>> sniff_bom(b"\\xef\\xbb\\xbfhello"), sniff_bom(b"\\xff\\xfeh\\x00"), sniff_bom(b"hi")
    ('utf-8-sig', 'utf-16', None)
    """
    for bom, name in BOMS:
        if head.startswith(bom):
            return name
    return None


def bomless_utf16(sample: bytes) -> str | None:
    """Recognise UTF-16 written without a BOM: ASCII text with every other byte NUL.

    >>> bomless_utf16("plain words here".encode("utf-16-le"))
    'utf-16-le'
    """
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) <= 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) <= 0.1 * len(odd):
        return "utf-16-be"
    return None


def plan(sample: bytes, declared: str | None = None, complete: bool = True) -> Plan:
    """Choose how to decode a file from its first bytes (and an HTML-declared charset).

    ``complete`` says the sample is the whole file; otherwise a multi-byte sequence
    cut off at the sample's end is not held against UTF-8.

    >>> plan("Café".encode("utf-8")).primary, plan("Café".encode("cp1252")).primary
    ('utf-8', 'cp1252')
    """
    bom = sniff_bom(sample)
    if bom in ("utf-16", "utf-32"):
        return Plan(wide=bom, bom=bom, primary=bom, legacy=DEFAULT_LEGACY)
    wide = None if bom else bomless_utf16(sample)
    if wide:
        return Plan(wide=wide, bom=None, primary=wide, legacy=DEFAULT_LEGACY)
    body = sample[len(codecs.BOM_UTF8) :] if bom else sample
    if _is_utf8_prefix(body, complete):
        return Plan(wide=None, bom=bom, primary=bom or "utf-8", legacy=DEFAULT_LEGACY)
    legacy = _declared(declared, body) or guess_legacy(body)
    return Plan(wide=None, bom=bom, primary=legacy, legacy=legacy)


def _is_utf8_prefix(data: bytes, complete: bool) -> bool:
    """True when ``data`` is UTF-8, allowing a sequence cut off by the sample's end."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def _declared(name: str | None, body: bytes) -> str | None:
    """An HTML-declared single-byte charset, if Python knows it and it fits the bytes."""
    if not name:
        return None
    try:
        canonical = codecs.lookup(name).name
        body.decode(canonical)
    except (LookupError, UnicodeDecodeError):
        return None
    # pages declaring latin-1 / ascii almost always mean cp1252 (the WHATWG rule)
    if canonical in ("latin-1", "iso8859-1", "ascii"):
        return DEFAULT_LEGACY
    return canonical


def guess_legacy(body: bytes) -> str:
    """Guess the single-byte code page of non-UTF-8 bytes; cp1252 wins any tie.

    >>> guess_legacy("Привет, это новости города и совета.".encode("cp1251"))
    'cp1251'
    >>> guess_legacy("naïve “quoted” résumé".encode("cp1252"))
    'cp1252'
    """
    matches = list(charset_normalizer.from_bytes(body[:65536]))
    if not matches:
        return "latin-1" if _CP1252_HOLES.intersection(body) else DEFAULT_LEGACY
    best = matches[0]
    for m in matches:
        if m.encoding == DEFAULT_LEGACY and m.chaos <= best.chaos + 0.01:
            return DEFAULT_LEGACY
    name = codecs.lookup(best.encoding).name
    if name.startswith("utf") or not _mostly_non_ascii(body) or not _non_latin(str(best)):
        # a multi-byte guess for bytes that are not UTF-8, or a Latin-script guess that
        # did not beat cp1252: keep the common case
        return "latin-1" if _CP1252_HOLES.intersection(body) else DEFAULT_LEGACY
    return name


def _mostly_non_ascii(body: bytes) -> bool:
    """True when non-ASCII bytes are frequent, as in Cyrillic or Greek, not Western text.

    Western text in cp1252 has a few accented letters per line; a non-Latin script has
    one non-ASCII byte per letter.  On the former the detector's guesses are noise
    (it reads "Café" as Urdu), so only the latter may overrule cp1252.
    """
    visible = [b for b in body if b > 32]
    high = sum(1 for b in visible if b > 127)
    return high >= 8 and high >= 0.2 * len(visible)


def _non_latin(text: str) -> bool:
    """True when most non-ASCII letters in ``text`` are not Latin (Cyrillic, Greek ...)."""
    letters = [c for c in text if ord(c) > 127 and c.isalpha()]
    if not letters:
        return False
    latin = sum(1 for c in letters if unicodedata.name(c, "").startswith("LATIN"))
    return latin < len(letters) / 2


def decode_line(line: bytes, p: Plan) -> tuple[str, str]:
    """Decode one line of a non-wide file: UTF-8 if it is valid, else the legacy page.

    Returns ``(text, encoding)``; ASCII lines report the file's primary label.

    >>> p = plan("Café\\n".encode("cp1252"))
    >>> decode_line("Crème\\n".encode("utf-8"), p), decode_line(b"Cr\\xe8me\\n", p)
    (('Crème\\n', 'utf-8'), ('Crème\\n', 'cp1252'))
    """
    if line.isascii():
        return line.decode("ascii"), p.primary
    try:
        return line.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    legacy = p.legacy
    if legacy == DEFAULT_LEGACY and _CP1252_HOLES.intersection(line):
        legacy = "latin-1"
    return line.decode(legacy, errors="replace"), legacy


def combine(encodings: set[str] | list[str], primary: str) -> str:
    """One label for a record whose lines used several encodings, e.g. ``utf-8+cp1252``.

    >>> combine(["utf-8", "cp1252", "utf-8"], "utf-8")
    'utf-8+cp1252'
    """
    seen = sorted(set(encodings), key=lambda e: (not e.startswith("utf"), e != primary, e))
    return "+".join(seen) if seen else primary


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode a whole small file (txt, json, html): returns ``(text, encoding)``.

    >>> decode_bytes("\\ufeffhello".encode("utf-8"))
    ('hello', 'utf-8-sig')
    >>> decode_bytes("Zürich\\n".encode("utf-16"))
    ('Zürich\\n', 'utf-16')
    """
    p = plan(data[:65536], declared)
    if p.wide:
        return data.decode(p.wide, errors="replace"), p.wide
    if p.bom:
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8"), p.bom or "utf-8"
    except UnicodeDecodeError:
        pass
    parts: list[str] = []
    used: list[str] = []
    for line in data.splitlines(keepends=True):
        text, enc = decode_line(line, p)
        parts.append(text)
        if not line.isascii():
            used.append(enc)
    return "".join(parts), combine(used, p.primary)
