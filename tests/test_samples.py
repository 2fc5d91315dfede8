"""The bundled samples in raw/ and their expected outcomes stay in step.

samples_expected.json is the specification the integration tests check the whole
pipeline against; these checks make sure the specification itself describes the files
that are really there, and that the layout quirks the samples exist to exercise
(cp1252 bytes, CRLF, mojibake, the U+00A0 separator, bullets) have not been lost by an
editor that "helpfully" normalised a file.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "raw"
EXPECTED = ROOT / "tests" / "cases" / "samples_expected.json"
OUTCOMES = {"accepted", "duplicate", "rejected"}


def load() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXPECTED.read_text(encoding="utf-8"))
    return data


def decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


def sample_files() -> list[str]:
    return sorted(p.relative_to(RAW).as_posix() for p in RAW.rglob("*.txt"))


def test_every_sample_file_has_cases_and_every_case_a_file() -> None:
    cases = load()["cases"]
    assert sorted({c["file"] for c in cases}) == sample_files()


def test_story_indices_are_contiguous_from_zero() -> None:
    per_file: dict[str, list[int]] = {}
    for c in load()["cases"]:
        per_file.setdefault(c["file"], []).append(c["story_index"])
    for file, idx in per_file.items():
        assert idx == list(range(len(idx))), file


def test_counts_match_cases() -> None:
    data = load()
    tally = Counter(c["outcome"] for c in data["cases"])
    assert set(tally) <= OUTCOMES
    counts = data["counts"]
    assert counts["stories"] == len(data["cases"])
    assert counts["files"] == len(sample_files())
    assert {k: counts[k] for k in OUTCOMES} == {k: tally[k] for k in OUTCOMES}


def test_each_duplicate_group_has_exactly_one_canonical() -> None:
    groups: dict[str, list[str]] = {}
    for c in load()["cases"]:
        if c["outcome"] == "duplicate":
            assert c["duplicate_group"], c["file"]
        if c["duplicate_group"]:
            groups.setdefault(c["duplicate_group"], []).append(c["outcome"])
    assert groups
    for outcomes in groups.values():
        assert sorted(outcomes)[0] == "accepted"
        assert outcomes.count("accepted") == 1
        assert len(outcomes) >= 2


@pytest.mark.parametrize("case", load()["cases"], ids=lambda c: f"{c['file']}#{c['story_index']}")
def test_expected_values_are_present_in_the_raw_text(case: dict[str, Any]) -> None:
    ftfy = pytest.importorskip("ftfy")
    text = ftfy.fix_text(decode((RAW / case["file"]).read_bytes()), uncurl_quotes=False)
    for needle in case["body_must_contain"]:
        assert needle in text
    if case["title"]:
        assert case["title"] in text
    if case["dateline"]:
        assert f"{case['dateline']}: " in text


def test_cp1252_file_is_not_utf8() -> None:
    raw = (RAW / "harbourherald/lifeboat_appeal_cp1252.txt").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert b"\x93" in raw and b"\xa3" in raw


def test_crlf_file_has_only_crlf_endings() -> None:
    raw = (RAW / "dawn/peshawar_brt_ramazan_crlf.txt").read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n") > 10


def test_mojibake_file_is_still_broken() -> None:
    text = (RAW / "arabnews/jeddah_cruise_mojibake.txt").read_text(encoding="utf-8")
    assert "\u00e2\u20ac\u2122" in text  # the mojibake for a right single quote
    assert "\u2019" not in text


def test_concatenated_file_keeps_its_nbsp_separators_and_bullets() -> None:
    lines = (RAW / "arabnews/three_stories_concatenated.txt").read_text("utf-8").split("\n")
    assert lines.count("\u00a0") == 2
    assert sum(line.startswith("  \u2022 ") for line in lines) == 6
