"""Invariants of the text stages on generated stories (hypothesis).

* every non-blank raw line has exactly one audit entry, and nothing else does;
* text repair is idempotent, and normalising a normalised body changes nothing.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from textkit import record

from cleaner.audit import process
from cleaner.config import Config, NormaliseConfig, SplitConfig
from cleaner.cruft import compile_rules
from cleaner.normalise import fix_text, normalise
from cleaner.split import is_blank, raw_lines, split

WORDS = [
    "the",
    "council",
    "said",
    "river",
    "Karachi",
    "market",
    "rose",
    "on",
    "Monday",
    "prices",
    "\u201cwe",
    "will\u201d",
    "caf\u00e9",
    "city\u2019s",
    "5%",
    "&amp;",
    "a",
]
word = st.sampled_from(WORDS)
sentence = st.lists(word, min_size=3, max_size=30).map(lambda ws: " ".join(ws).capitalize() + ".")
headline = st.lists(word, min_size=3, max_size=10).map(lambda ws: " ".join(ws).title())
cruft = st.sampled_from(
    [
        "Short Url",
        "Follow",
        "PHOTO",
        "Advertisement",
        "Updated 06 October 2024",
        "Published in Dawn, October 21st, 2023",
        "Share on Facebook",
        "* * *",
        "\u00a0",
        "",
        "  \u2022 A summary bullet about prices",
        " date 2023-10-21 KARACHI: The market rose.",
        "By Sara Qureshi",
        "https://example.org/a",
        "Caption of a crowd on Monday. (AFP)",
        "\u200b",
        "\f",
        "----",
        "ISLAMABAD: Prices rose on Monday.",
        "Sept. 3, 2024",
    ]
)
line = st.one_of(sentence, headline, cruft)


@st.composite
def story_text(draw: st.DrawFn) -> str:
    head = draw(headline)
    lines = draw(st.lists(line, min_size=0, max_size=25))
    if draw(st.booleans()):  # the repeated-headline layout
        lines = [head, "Updated 05 May 2024", "Follow", head, *lines]
    sep = draw(st.sampled_from(["\n", "\r\n", "\n\n"]))
    return sep.join(lines)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(story_text(), min_size=1, max_size=3).map("\n\u00a0\n".join))
def test_every_nonblank_line_accounted_once(text: str) -> None:
    articles = process([record(text)], Config())
    lines = raw_lines(text)
    expected = [n for n, raw in enumerate(lines, 1) if not is_blank(raw)]
    seen = sorted(e.line_no for a in articles for e in a.audit)
    assert seen == expected
    for art in articles:
        for entry in art.audit:
            assert entry.text == lines[entry.line_no - 1]
            assert art.line_start <= entry.line_no <= art.line_end


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60))
def test_fix_text_idempotent(text: str) -> None:
    once = fix_text(text)
    assert fix_text(once) == once


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "caf\u00e9",
                "\u00e2\u20ac\u2122",
                "&amp;",
                "&nbsp;",
                "\u00a0",
                "\u00ad",
                "\u200b",
                "e\u0301",
                "  ",
                "\t",
                "\x07",
                "word",
                "\u201c",
                "&amp;amp;",
                "&#233;",
            ]
        ),
        max_size=12,
    ).map("".join)
)
def test_fix_text_idempotent_on_messy_pieces(text: str) -> None:
    once = fix_text(text)
    assert fix_text(once) == once


def _normalised_texts(text: str) -> list[list[str]]:
    stories = split(record(text), SplitConfig())
    rules = compile_rules(NormaliseConfig(), stories)
    return [[x.text for x in normalise(s, rules).lines] for s in stories]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(story_text())
def test_normalising_twice_changes_nothing(text: str) -> None:
    for kept in _normalised_texts(text):
        if not kept:
            continue
        again = [t for story in _normalised_texts("\n\n".join(kept)) for t in story]
        assert again == kept
