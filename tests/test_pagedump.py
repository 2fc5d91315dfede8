"""Page dumps: golden cases, clean stories left alone, invariants, and the devdata floor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.pagedump import (
    COMMENTS,
    OUTSIDE,
    extract_article,
    looks_like_page_dump,
    max_segment,
)
from cleaner.pagedump_metric import shingle_counts, summarise
from cleaner.pagedump_rules import inside_rule, is_comment_section_start

CASES = Path(__file__).parent / "cases" / "pagedump"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DEVDATA = SHARED / "devdata" / "pagedumps"
BASELINES = Path(__file__).parent / "baselines.json"

GOLDEN = sorted(p for p in CASES.glob("*.json") if not p.name.startswith("negative_"))
NEGATIVE = sorted(CASES.glob("negative_*.json"))


def _load(path: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.stem)
def test_golden_case(path: Path) -> None:
    case = _load(path)
    lines = case["lines"]
    expected = case["expected_keep"]
    assert isinstance(lines, list) and isinstance(expected, list)
    verdicts = extract_article(lines, drop_comments=bool(case.get("drop_comments", False)))
    got = [v.keep for v in verdicts]
    # null in expected_keep marks a blank line: nothing to judge there.
    wrong = [
        (i, lines[i], got[i])
        for i, want in enumerate(expected)
        if want is not None and want != got[i]
    ]
    assert not wrong, f"{case['why']}\nwrong verdicts (line, text, kept): {wrong}"


@pytest.mark.parametrize("path", NEGATIVE, ids=lambda p: p.stem)
def test_clean_story_is_not_a_page_dump(path: Path) -> None:
    case = _load(path)
    lines = case["lines"]
    assert isinstance(lines, list)
    assert looks_like_page_dump(lines) is False, case["why"]


def test_golden_dumps_are_recognised() -> None:
    for name in ("news_page_with_menus", "blog_page_inline_cruft"):
        lines = _load(CASES / f"{name}.json")["lines"]
        assert isinstance(lines, list)
        assert looks_like_page_dump(lines), name


def test_comment_cut_names_its_rule() -> None:
    lines = _load(CASES / "comments_cut_when_asked.json")["lines"]
    assert isinstance(lines, list)
    rules = {v.rule for v in extract_article(lines, drop_comments=True)}
    assert COMMENTS in rules
    assert COMMENTS not in {v.rule for v in extract_article(lines)}


@pytest.mark.skipif(not (SHARED / "seeds").is_dir(), reason="shared/seeds absent")
def test_seeds_are_not_page_dumps() -> None:
    seeds = sorted((SHARED / "seeds").glob("*.txt"))
    assert len(seeds) == 3
    for seed in seeds:
        assert not looks_like_page_dump(seed.read_text(encoding="utf-8").splitlines()), seed.name


def test_empty_and_blank_input() -> None:
    assert extract_article([]) == []
    assert [v.keep for v in extract_article(["", "  "])] == [False, False]
    assert all(v.rule == OUTSIDE for v in extract_article(["", "  "]))
    assert not looks_like_page_dump([])


def test_max_segment_prefers_the_earliest_best() -> None:
    assert max_segment([1.0, -5.0, 1.0]) == (0, 0)
    assert max_segment([]) == (0, -1)


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("Advertisement", "advertisement"),
        ("Share | Tweet | Email", "share_buttons"),
        ("Read more", "read_more"),
        ("\u00a9 2012 The Coastal Ledger", "copyright"),
        ("Share prices fell by a third in the first hour of trading.", ""),
        ("Print shops closed early across the city on Friday.", ""),
    ],
)
def test_inside_rules(line: str, rule: str) -> None:
    assert inside_rule([line], 0) == rule


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("14 Comments", True),
        ("Leave a Reply", True),
        ("Comments (3)", True),
        ("Comments on the plan were mixed, the minister said on Friday.", False),
        ("The committee replied within a week.", False),
    ],
)
def test_comment_section_start(line: str, expected: bool) -> None:
    assert is_comment_section_start(line) is expected


_WORDS = st.sampled_from(
    [
        "Home",
        "Share",
        "the",
        "council",
        "said",
        "on",
        "Monday",
        "Advertisement",
        "Comments",
        "3",
        "storm",
        "and",
        "ships",
        "were",
        "moored",
        "Log",
        "in",
        "Privacy",
        "Policy",
        "\u00a9",
    ]
)
_LINE = st.one_of(
    st.just(""),
    st.lists(_WORDS, min_size=1, max_size=30).map(" ".join),
    st.lists(_WORDS, min_size=6, max_size=30).map(lambda ws: " ".join(ws) + "."),
    st.text(max_size=40),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_LINE, max_size=60), st.booleans())
def test_every_line_gets_a_verdict_and_every_drop_a_rule(lines: list[str], drop: bool) -> None:
    verdicts = extract_article(lines, drop_comments=drop)
    assert len(verdicts) == len(lines)
    assert all(v.keep == (v.rule == "") for v in verdicts)
    # The article is one contiguous span: no line between two kept lines is dropped as
    # outside the span (inside it only the named cruft rules drop lines).
    kept = [i for i, v in enumerate(verdicts) if v.keep]
    if kept:
        inside = verdicts[kept[0] : kept[-1] + 1]
        assert all(v.rule not in (OUTSIDE, COMMENTS) for v in inside)
    # Deterministic: the same input gives the same verdicts.
    assert extract_article(lines, drop_comments=drop) == verdicts


def _devdata_f1() -> float:
    counts = []
    for path in sorted((DEVDATA / "dump").glob("*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        gold = (DEVDATA / "gold" / path.name).read_text(encoding="utf-8")
        kept = [line for line, v in zip(lines, extract_article(lines), strict=True) if v.keep]
        counts.append(shingle_counts(gold, "\n".join(kept)))
    return summarise(counts).f1


@pytest.mark.skipif(not (DEVDATA / "dump").is_dir(), reason="devdata page dumps absent")
def test_devdata_floor() -> None:
    """A change that makes extraction worse on the devdata fails; a better one raises the floor."""
    floor = json.loads(BASELINES.read_text(encoding="utf-8"))["pagedump_f1"]
    f1 = _devdata_f1()
    assert f1 >= floor, f"page-dump F1 {f1:.4f} fell below the pinned floor {floor:.4f}"


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.stem)
def test_output_of_a_golden_page_is_stable(path: Path) -> None:
    """On these pages the extracted story is no longer a dump, and a rerun keeps it all."""
    lines = _load(path)["lines"]
    assert isinstance(lines, list)
    kept = [line for line, v in zip(lines, extract_article(lines), strict=True) if v.keep]
    assert not looks_like_page_dump(kept)
    assert all(v.keep for v in extract_article(kept))


@pytest.mark.skipif(not (DEVDATA / "dump").is_dir(), reason="devdata page dumps absent")
@pytest.mark.xfail(strict=True, reason="extract_article is not idempotent on real pages")
def test_rerun_on_extracted_devdata_keeps_everything() -> None:
    """Known limit: the model scores lines in their page context (title, position,
    neighbours); an extracted story is a different context, and a rerun drops ~5% of its
    words. The pipeline avoids reruns by gating on looks_like_page_dump."""
    for path in sorted((DEVDATA / "dump").glob("*.txt"))[:30]:
        lines = path.read_text(encoding="utf-8").splitlines()
        kept = [line for line, v in zip(lines, extract_article(lines), strict=True) if v.keep]
        assert all(v.keep for v in extract_article(kept)), path.name
