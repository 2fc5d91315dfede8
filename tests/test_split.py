"""Splitting records into stories: golden boundaries, negatives, seeds, provenance."""

from __future__ import annotations

import json
from typing import Any

import pytest
from textkit import CASES, LOOKALIKE, SEEDS, record

from cleaner.audit import read_raw_file
from cleaner.config import SplitConfig
from cleaner.split import raw_lines, split

SPLIT = json.loads((CASES / "split.json").read_text(encoding="utf-8"))["cases"]
COUNTS = json.loads((CASES / "stories.json").read_text(encoding="utf-8"))["story_counts"]


@pytest.mark.parametrize("case", SPLIT, ids=[c["why"][:50] for c in SPLIT])
def test_golden_split(case: dict[str, Any]) -> None:
    stories = split(record("\n".join(case["lines"])), SplitConfig())
    assert [[s.line_start, s.line_end, s.split_rule] for s in stories] == case["stories"], case[
        "why"
    ]


def test_split_can_be_disabled() -> None:
    case = SPLIT[0]
    stories = split(record("\n".join(case["lines"])), SplitConfig(enabled=False))
    assert len(stories) == 1


def test_story_keeps_provenance() -> None:
    rec = read_raw_file(LOOKALIKE / "002_arab_two_stories.txt", LOOKALIKE)
    stories = split(rec, SplitConfig())
    lines = raw_lines(rec.text)
    for k, story in enumerate(stories):
        assert story.story_index == k
        assert story.record.file_hash == rec.file_hash
        assert story.lines == tuple(lines[story.line_start - 1 : story.line_end])


def test_lookalike_counts() -> None:
    for path in sorted(LOOKALIKE.glob("*.txt")):
        stories = split(read_raw_file(path), SplitConfig())
        assert len(stories) == COUNTS[path.name[:3]], path.name


@pytest.mark.skipif(not SEEDS.is_dir(), reason="shared seeds not present")
def test_seed_counts() -> None:
    for path in sorted(SEEDS.glob("*.txt")):
        stories = split(read_raw_file(path), SplitConfig())
        assert len(stories) == COUNTS[path.name[:3]], path.name


def test_empty_and_blank_records_give_one_story() -> None:
    assert len(split(record(""), SplitConfig())) == 1
    assert len(split(record("\n\n \u00a0\n"), SplitConfig())) == 1


def test_line_numbers_ignore_form_feeds() -> None:
    assert raw_lines("a\fb\nc") == ["a\fb", "c"]


@pytest.mark.xfail(
    strict=True,
    reason="known gap: two stories separated only by blank lines, "
    "with no header block, date header, footer or separator, are not split",
)
def test_split_without_any_cue() -> None:
    lines = [
        "Canal repairs finish early",
        "",
        "Repairs to the canal finished a week early.",
        "Water flows again on Friday.",
        "",
        "",
        "Wheat target raised",
        "",
        "The province raised its wheat target.",
        "Millers welcomed it.",
    ]
    assert len(split(record("\n".join(lines)), SplitConfig())) == 2


PAGEDUMPS = SEEDS.parent / "devdata" / "pagedumps" / "dump"


@pytest.mark.skipif(not PAGEDUMPS.is_dir(), reason="shared page dumps not present")
def test_no_false_splits_on_whole_page_dumps() -> None:
    """Each dump is one article with comments and menus around it: never cut it up."""
    split_files = [
        p.name
        for p in sorted(PAGEDUMPS.glob("*.txt"))
        if len(split(read_raw_file(p), SplitConfig())) > 1
    ]
    assert split_files == []
