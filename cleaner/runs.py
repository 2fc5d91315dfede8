"""Typed reading of run manifests (``clean/runs/<run_id>.json``).

The manifest is written by the pipeline as plain JSON for anyone to read; drift
detection and the HTML report read it back through these records, so a renamed key
breaks here, in one place, and not deep inside a template. Missing keys read as
empty: an older manifest still renders.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from cleaner.errors import InputError, read_json_object
from cleaner.records import Counts, StageTiming


@dataclass(frozen=True, slots=True)
class SourceFigures:
    """One source's figures in one run."""

    source: str
    stories: int
    articles: int
    duplicates: int
    rejected: int
    missing_published: int
    cruft_lines: int


@dataclass(frozen=True, slots=True)
class CheckFigures:
    expectation: str
    column: str | None
    severity: str
    failed: int
    description: str


@dataclass(frozen=True, slots=True)
class RuleFigures:
    rule: str
    lines: int


@dataclass(frozen=True, slots=True)
class ClusterFigures:
    size: int
    count: int


@dataclass(frozen=True, slots=True)
class InputFigures:
    path: str
    fmt: str
    status: str
    records: int
    problems: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RunRecord:
    """What the report and drift detection need from one manifest."""

    path: Path
    run_id: str
    started: str
    finished: str
    cleaner_version: str
    raw_dir: str
    counts: Counts
    inputs: tuple[InputFigures, ...]
    stages: tuple[StageTiming, ...]
    per_source: tuple[SourceFigures, ...]
    checks: tuple[CheckFigures, ...]
    cruft_rules: tuple[RuleFigures, ...]
    clusters: tuple[ClusterFigures, ...]
    validate_config: dict[str, Any]  # the manifest's config.validate table, as written


def read_run(path: Path) -> RunRecord:
    """Read one manifest; an unreadable one is an InputError naming the file."""
    return parse_run(read_json_object(path, "run manifest", InputError), path)


def parse_run(data: dict[str, Any], path: Path) -> RunRecord:
    """Build a RunRecord from a manifest's JSON.

    >>> parse_run({"run_id": "r1", "per_source": [{"source": "A", "stories": 3}]},
    ...           Path("r1.json")).per_source[0].stories
    3
    """
    counts = _dict(data.get("counts"))
    config = _dict(data.get("config"))
    return RunRecord(
        path=path,
        run_id=str(data.get("run_id") or path.stem),
        started=str(data.get("started") or ""),
        finished=str(data.get("finished") or ""),
        cleaner_version=str(data.get("cleaner_version") or ""),
        raw_dir=str(data.get("raw_dir") or ""),
        counts=Counts(*(_int(counts.get(f.name)) for f in fields(Counts))),
        inputs=tuple(
            InputFigures(
                str(i.get("path", "")),
                str(i.get("fmt", "")),
                str(i.get("status", "")),
                _int(i.get("records")),
                tuple(str(p) for p in i.get("problems") or ()),
            )
            for i in _dicts(data.get("inputs"))
        ),
        stages=tuple(
            StageTiming(
                str(s.get("name", "")),
                float(s.get("seconds") or 0.0),
                _int(s.get("items_in")),
                _int(s.get("items_out")),
            )
            for s in _dicts(data.get("stages"))
        ),
        per_source=tuple(
            SourceFigures(
                str(s.get("source") or "(unknown)"),
                _int(s.get("stories")),
                _int(s.get("articles")),
                _int(s.get("duplicates")),
                _int(s.get("rejected")),
                _int(s.get("missing_published")),
                _int(s.get("cruft_lines")),
            )
            for s in _dicts(data.get("per_source"))
        ),
        checks=tuple(
            CheckFigures(
                str(c.get("expectation", "")),
                None if c.get("column") is None else str(c.get("column")),
                str(c.get("severity", "")),
                _int(c.get("failed")),
                str(c.get("description") or ""),
            )
            for c in _dicts(data.get("checks"))
        ),
        cruft_rules=tuple(
            RuleFigures(str(r.get("rule", "")), _int(r.get("lines")))
            for r in _dicts(data.get("cruft_rules"))
        ),
        clusters=tuple(
            ClusterFigures(_int(c.get("size")), _int(c.get("count")))
            for c in _dicts(data.get("clusters"))
        ),
        validate_config=_dict(config.get("validate")),
    )


def earlier_runs(current: RunRecord, limit: int) -> tuple[RunRecord, ...]:
    """Up to ``limit`` manifests beside ``current`` that started before it, oldest first.

    Run ids sort by start time, so the order is the order the runs happened; a
    manifest that cannot be read is skipped, not fatal: history is advisory.
    """
    runs = []
    for path in sorted(current.path.parent.glob("*.json")):
        if path.resolve() == current.path.resolve():
            continue
        try:
            run = read_run(path)
        except InputError:
            continue
        if (run.started, run.run_id) < (current.started, current.run_id):
            runs.append(run)
    runs.sort(key=lambda r: (r.started, r.run_id))
    return tuple(runs[-limit:]) if limit > 0 else ()


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dicts(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _int(value: object) -> int:
    return int(value) if isinstance(value, int | float) else 0
