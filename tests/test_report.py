"""The HTML run report and drift flags, from invented manifests."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cleaner.config import DriftConfig
from cleaner.drift import detect, drift_for_manifest
from cleaner.report import write_report
from cleaner.runs import parse_run, read_run
from tests.conftest import CASES

SAMPLE: dict[str, Any] = json.loads((CASES / "sample_manifest.json").read_text(encoding="utf-8"))


def night(day: int, **sources: dict[str, int]) -> dict[str, Any]:
    """A manifest for 2025-01-<day> with the given per-source figures."""
    data = copy.deepcopy(SAMPLE)
    data["run_id"] = f"202501{day:02d}T020000Z"
    data["started"] = f"2025-01-{day:02d}T02:00:00+00:00"
    data["per_source"] = [
        {
            "source": name,
            "stories": 0,
            "articles": 0,
            "duplicates": 0,
            "rejected": 0,
            "missing_published": 0,
            "cruft_lines": 0,
            **figures,
        }
        for name, figures in sources.items()
    ]
    return data


def usual(day: int) -> dict[str, Any]:
    return night(
        day,
        Herald={
            "stories": 120,
            "articles": 118,
            "rejected": 2,
            "missing_published": 2,
            "cruft_lines": 240,
        },
        Gazette={
            "stories": 50,
            "articles": 49,
            "rejected": 1,
            "missing_published": 1,
            "cruft_lines": 50,
        },
    )


def write(folder: Path, data: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{data['run_id']}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_report_renders_every_section(tmp_path: Path) -> None:
    out = write_report(write(tmp_path / "runs", SAMPLE))
    assert out == tmp_path / "runs" / "20250115T020000Z.html"
    page = out.read_text(encoding="utf-8")
    for heading in (
        "Counts",
        "Drift",
        "Sources",
        "Failed checks",
        "Cruft rules fired",
        "Duplicate clusters",
        "Inputs",
        "Stages",
    ):
        assert f"<h2>{heading}</h2>" in page
    assert page.count("<svg") == 4  # sources, checks, cruft rules, clusters
    assert "Valley Gazette" in page and "share_buttons" in page and "published_missing" in page
    assert "source_missing" not in page  # checks nobody failed are not listed


def test_report_is_self_contained_and_escapes_text(tmp_path: Path) -> None:
    page = write_report(write(tmp_path, SAMPLE)).read_text(encoding="utf-8")
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")
    assert "https://" not in page and "<link" not in page
    assert "unterminated quote &lt;b&gt;" in page


def test_report_of_an_empty_manifest(tmp_path: Path) -> None:
    page = write_report(write(tmp_path, {"run_id": "r0"})).read_text(encoding="utf-8")
    assert "No stories." in page and "Every story passed every check." in page


def test_report_shows_drift_flags_from_the_history(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    for day in (10, 11, 12, 13):
        write(runs, usual(day))
    tonight = write(runs, night(14, Gazette={"stories": 50, "articles": 50}))
    page = write_report(tonight).read_text(encoding="utf-8")
    assert '<div class="flag">source Herald: 0 stories, usually ~120</div>' in page


def test_drift_flags_a_silent_source_and_a_dateless_one(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    for day in (10, 11, 12, 13):
        write(runs, usual(day))
    tonight = write(
        runs,
        night(
            14,
            Gazette={
                "stories": 50,
                "articles": 10,
                "rejected": 40,
                "missing_published": 40,
                "cruft_lines": 50,
            },
        ),
    )
    messages = [f.message for f in drift_for_manifest(tonight, DriftConfig())]
    assert messages == [
        "source Gazette: 80% rejected, usually 2%",
        "source Gazette: 80% missing dates, usually 2%",
        "source Herald: 0 stories, usually ~120",
    ]


def test_drift_flags_a_changed_template_by_its_cruft(tmp_path: Path) -> None:
    history = [parse_run(usual(d), Path("x.json")) for d in (10, 11, 12)]
    figures = usual(13)
    figures["per_source"][0]["cruft_lines"] = 120 * 6
    flags = detect(parse_run(figures, Path("x.json")), history, DriftConfig())
    assert [f.message for f in flags] == ["source Herald: 6.0 cruft lines per story, usually 2.0"]


def test_drift_stays_quiet_without_enough_history(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    for day in (10, 11):
        write(runs, usual(day))
    tonight = write(runs, night(14))
    assert drift_for_manifest(tonight, DriftConfig()) == ()


def test_drift_ignores_later_runs_and_unreadable_files(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    for day in (10, 11, 12):
        write(runs, usual(day))
    (runs / "broken.json").write_text("{", encoding="utf-8")
    write(runs, night(20))  # a later run: not history for the 14th
    tonight = write(runs, usual(14))
    assert drift_for_manifest(tonight, DriftConfig()) == ()
    assert len(read_run(tonight).per_source) == 2


def test_small_sources_do_not_raise_alarms() -> None:
    small = [
        parse_run(night(d, Tiny={"stories": 3, "articles": 3}), Path("x.json"))
        for d in (10, 11, 12)
    ]
    tonight = parse_run(night(13, Tiny={"stories": 1, "articles": 1}), Path("x.json"))
    assert detect(tonight, small, DriftConfig()) == ()


@given(st.integers(min_value=0, max_value=500), st.integers(min_value=0, max_value=500))
def test_drift_never_flags_a_night_like_the_usual(stories: int, missing: int) -> None:
    fig = {"stories": stories, "articles": stories, "missing_published": min(missing, stories)}
    history = [parse_run(night(d, S=fig), Path("x.json")) for d in (10, 11, 12)]
    assert detect(parse_run(night(28, S=fig), Path("x.json")), history, DriftConfig()) == ()


@pytest.mark.parametrize("key", ["per_source", "checks", "cruft_rules", "clusters", "inputs"])
def test_a_missing_section_still_renders(tmp_path: Path, key: str) -> None:
    data = {k: v for k, v in SAMPLE.items() if k != key}
    assert write_report(write(tmp_path, data)).stat().st_size > 0
