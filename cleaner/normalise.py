"""Repair a story's text and take out its cruft lines, recording every change.

Text repair is a registry of small pure ``str -> str`` fixes applied to each line, in
the spirit of ftfy's ``fix_and_explain``: :func:`fix_and_explain` returns the repaired
line and the names of the fixes that changed it, so ``cleaner inspect`` and the run
manifest can say what happened.  Repair is conservative on purpose: typographic quotes
and dashes are kept (they are the publisher's text); aggressive folding of case,
digits and punctuation belongs to dedup keys only.

Then every line gets a fate: page-dump furniture (when the story looks like a whole
page dump), profile and generic cruft rules, learned cruft; what is left is kept, with
hard-wrapped paragraphs re-joined.  Lines are never merged or dropped without a trace:
each non-blank raw line ends up either in ``Normalised.lines`` or in ``removed``.
"""

from __future__ import annotations

import html
import itertools
import re
import unicodedata
from collections.abc import Callable, Sequence

import ftfy

from cleaner import pagedump
from cleaner.cruft import CruftRules, line_classifier, recognise, source_key, wildcard
from cleaner.records import Line, LineFate, Normalised, Story
from cleaner.split import is_blank

# ftfy repairs mojibake only: quotes stay curly, HTML entities and control characters
# are our own fixes below (so each is named separately), and NFC is applied last.
_FTFY = ftfy.TextFixerConfig(
    unescape_html=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    fix_character_width=False,
    fix_latin_ligatures=False,
    remove_control_chars=False,
    remove_terminal_escapes=False,
    normalization=None,
    explain=False,
)
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# C0/C1 controls except tab; tabs become spaces.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# No-break, narrow, figure and other fixed-width spaces read as a plain space.
_ODD_SPACE = re.compile(r"[\xa0\u1680\u2000-\u200a\u202f\u205f\u3000\t]")
# Zero-width *spaces* and byte-order marks only: the zero-width (non-)joiners carry
# meaning in Persian, Urdu and Indic scripts and in emoji sequences.
_ZERO_WIDTH = re.compile(r"[\u200b\u2060\ufeff]")
_SPACES = re.compile(r" {2,}")


def _mojibake(text: str) -> str:
    return ftfy.fix_text(text, _FTFY) if not text.isascii() else text


def _html_entities(text: str) -> str:
    # Only well-formed entities ending in ";" ("AT&T" and "R&D" stay); repeated so a
    # double-escaped "&amp;amp;" ends as "&" and a second pass finds nothing to do.
    while True:
        fixed = _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)
        if fixed == text:
            return text
        text = fixed


def _control_chars(text: str) -> str:
    return _CONTROL.sub("", text)


def _odd_spaces(text: str) -> str:
    return _ODD_SPACE.sub(" ", text)


def _zero_width(text: str) -> str:
    return _ZERO_WIDTH.sub("", text)


def _soft_hyphen(text: str) -> str:
    return text.replace("\xad", "")


def _spaces(text: str) -> str:
    return _SPACES.sub(" ", text.strip(" "))


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


#: The text fixes, in the order they are applied.  Names appear in ``Article.fixes``.
FIXES: tuple[tuple[str, Callable[[str], str]], ...] = (
    ("mojibake", _mojibake),
    ("html_entities", _html_entities),
    ("control_chars", _control_chars),
    ("nbsp", _odd_spaces),
    ("zero_width", _zero_width),
    ("soft_hyphen", _soft_hyphen),
    ("spaces", _spaces),
    ("nfc", _nfc),
)
_MAX_PASSES = 4


def fix_and_explain(line: str) -> tuple[str, tuple[str, ...]]:
    """Repair one line; also return the names of the fixes that changed it.

    The registry is re-applied until nothing changes (a fix can expose work for an
    earlier one, e.g. an entity that decodes to a no-break space), so fixing is
    idempotent.

    >>> fix_and_explain("Pakistanâ€™s&nbsp;capital ")
    ('Pakistan\u2019s capital', ('mojibake', 'html_entities', 'nbsp', 'spaces'))
    """
    if (
        line.isascii()
        and line.isprintable()
        and "&" not in line
        and "  " not in line
        and line == line.strip()
    ):
        return line, ()  # the common case: nothing any fix could change
    used: list[str] = []
    for _ in range(_MAX_PASSES):
        before = line
        for name, fix in FIXES:
            fixed = fix(line)
            if fixed != line:
                if name not in used:
                    used.append(name)
                line = fixed
        if line == before:
            break
    order = [name for name, _ in FIXES]
    return line, tuple(sorted(used, key=order.index))


def fix_text(line: str) -> str:
    """:func:`fix_and_explain` without the explanation.

    >>> fix_text("soft\\xadhyphen\\u200b &amp; co")
    'softhyphen & co'
    """
    return fix_and_explain(line)[0]


_SENTENCE_END = '.!?:;"\u201d\u2019)»'


def _wrap_width(lines: Sequence[tuple[int, str]]) -> int | None:
    """The fixed width a story was hard-wrapped at, or None when it was not wrapped.

    Look at the lines followed directly by another line: in wrapped text nearly all
    of them are just under one width, and many end mid-sentence.
    """
    inner = [t for (n, t), (m, _) in itertools.pairwise(lines) if m == n + 1]
    if len(inner) < 3:
        return None
    width = max(len(t) for t in inner)
    if not 30 <= width <= 100:
        return None
    near = sum(1 for t in inner if len(t) >= width * 0.7)
    open_ended = sum(1 for t in inner if t[-1] not in _SENTENCE_END)
    if near >= 0.8 * len(inner) and open_ended >= 0.5 * len(inner):
        return width
    return None


def rejoin_wrapped(lines: Sequence[tuple[int, str]]) -> list[Line]:
    """Join lines of a hard-wrapped story back into paragraphs.

    A line continues the previous one when the raw lines are adjacent (no blank line
    between) and the next line's first word would not have fitted on the previous
    one: otherwise the wrapper would have put it there, so the paragraph ended.  Unwrapped stories
    come back unchanged, one Line per input line.

    >>> rows = [(1, "The council met on Tuesday to discuss the new budget for"),
    ...         (2, "the harbour, which has been delayed by two years of"),
    ...         (3, "argument over the cost of dredging."),
    ...         (5, "Officials said a vote would follow in the spring, once"),
    ...         (6, "the engineers had reported back to the committee."),
    ...         (8, "Residents welcomed the news.")]
    >>> [(x.line_no, x.continued) for x in rejoin_wrapped(rows)]
    [(1, (2, 3)), (5, (6,)), (8, ())]
    """
    width = _wrap_width(lines)
    out: list[Line] = []
    last_len = 0  # length of the raw line that ended out[-1]
    for line_no, text in lines:
        if out and width is not None:
            prev = out[-1]
            last_no = prev.continued[-1] if prev.continued else prev.line_no
            first_word = len(text.split(" ", 1)[0])
            if (
                line_no == last_no + 1
                and last_len + 1 + first_word > width
                and text[:1] not in "•*-\u2013\u2014·"
            ):
                glue = "" if prev.text.endswith("-") and text[:1].islower() else " "
                out[-1] = Line(prev.line_no, prev.text + glue + text, (*prev.continued, line_no))
                last_len = len(text)
                continue
        out.append(Line(line_no, text))
        last_len = len(text)
    return out


def normalise(story: Story, rules: CruftRules) -> Normalised:
    """Repair text, remove cruft, keep the rest, and account for every non-blank line.

    >>> from cleaner.records import RawRecord
    >>> from cleaner.cruft import GENERIC_RULES
    >>> rec = RawRecord("a.txt", "h", 0, "", "utf-8", "txt")
    >>> story = Story(rec, 0, 1, 3, ("Share", "Rain fell in the north.", "Follow"), "start")
    >>> n = normalise(story, CruftRules(GENERIC_RULES, ()))
    >>> [x.text for x in n.lines], [(r.line_no, r.rule) for r in n.removed]
    (['Rain fell in the north.'], [(1, 'share_buttons'), (3, 'follow_button')])
    """
    fixes: list[str] = []
    rows: list[tuple[int, str]] = []  # (line_no, repaired text) of the non-blank lines
    raw_of: dict[int, str] = {}  # audit entries quote the raw line, as scraped
    blank_run = 0
    for offset, raw in enumerate(story.lines):
        blank_run = blank_run + 1 if is_blank(raw) else 0
        if blank_run == 2 and "blank_lines" not in fixes:
            fixes.append("blank_lines")
        if is_blank(raw):
            continue
        text, used = fix_and_explain(raw)
        fixes.extend(u for u in used if u not in fixes)
        rows.append((story.line_start + offset, text))
        raw_of[story.line_start + offset] = raw
    if "\r" in story.record.text:
        fixes.insert(0, "crlf")

    removed: list[LineFate] = []
    alive: list[tuple[int, str]] = []
    for line_no, text in rows:
        if text:
            alive.append((line_no, text))
        else:
            removed.append(LineFate(line_no, "removed", "blank_after_fixes", raw_of[line_no]))

    # The page-dump model reads layout (blank lines around a line), so it sees the whole
    # story, blank lines included, with text repaired.
    fixed = dict(alive)
    page = [fixed.get(story.line_start + k, "") for k in range(len(story.lines))]
    if rules.page_dumps and pagedump.looks_like_page_dump(page):
        verdicts = pagedump.extract_article(page)
        kept_rows: list[tuple[int, str]] = []
        for line_no, text in alive:
            verdict = verdicts[line_no - story.line_start]
            if verdict.keep:
                kept_rows.append((line_no, text))
            else:
                removed.append(LineFate(line_no, "removed", verdict.rule, raw_of[line_no]))
        alive = kept_rows

    profile = recognise(rules.profiles, [t for _, t in alive])
    learned = rules.learned_keys() if rules.strip_learned else frozenset()
    src = source_key(story)
    classify = line_classifier(profile, rules)
    kept: list[tuple[int, str]] = []
    for line_no, text in alive:
        rule = classify(text)
        if rule is not None:
            removed.append(LineFate(line_no, rule.fate, rule.name, raw_of[line_no]))
        elif learned and (src, wildcard(text)) in learned:
            rule_name = f"learned:{wildcard(text)}"
            removed.append(LineFate(line_no, "removed", rule_name, raw_of[line_no]))
        else:
            kept.append((line_no, text))

    lines = rejoin_wrapped(kept) if rules.rejoin_wrapped else [Line(n, t) for n, t in kept]
    if any(line.continued for line in lines):
        fixes.append("rejoin_wrapped")
    return Normalised(
        story=story,
        lines=tuple(lines),
        removed=tuple(sorted(removed, key=lambda r: r.line_no)),
        fixes=tuple(fixes),
        profile=profile.name if profile else None,
        profile_source=profile.source if profile else None,
    )
