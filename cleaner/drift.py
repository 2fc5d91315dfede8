"""Drift: flag sources whose figures tonight moved sharply from their usual values.

A broken scraper rarely fails loudly. It sends nothing, or pages without dates, or
pages whose template changed so that twice the usual lines are cruft. Each of those
shows up as one source's figure moving far from its recent history, so tonight's
per-source figures are compared with the median of the earlier runs in the same
``runs/`` folder: stories per source, reject rate, missing-date rate, and cruft lines
removed per story. The median, because one odd night in the history must not move
"usually".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Literal

from cleaner.config import DriftConfig
from cleaner.runs import RunRecord, SourceFigures, earlier_runs, read_run

Metric = Literal["stories", "reject_rate", "missing_date_rate", "cruft_per_story"]


@dataclass(frozen=True, slots=True)
class DriftFlag:
    """One source's figure that moved sharply, and a sentence saying so."""

    source: str
    metric: Metric
    current: float
    usual: float
    runs: int  # how many earlier runs "usual" is taken from
    message: str


def drift_for_manifest(manifest: Path, cfg: DriftConfig) -> tuple[DriftFlag, ...]:
    """Compare the run in ``manifest`` with the earlier runs beside it."""
    current = read_run(manifest)
    return detect(current, earlier_runs(current, cfg.history), cfg)


def detect(
    current: RunRecord, history: Sequence[RunRecord], cfg: DriftConfig
) -> tuple[DriftFlag, ...]:
    """Flags for every source seen tonight or in the history, sorted by source.

    >>> from cleaner.runs import parse_run
    >>> def night(n):
    ...     return parse_run({"per_source": [{"source": "Wire", "stories": n}]}, Path("r.json"))
    >>> [f.message for f in detect(night(0), [night(120)] * 3, DriftConfig())]
    ['source Wire: 0 stories, usually ~120']
    """
    if len(history) < cfg.min_history:
        return ()
    tonight = {s.source: s for s in current.per_source}
    past = [{s.source: s for s in run.per_source} for run in history]
    sources = sorted(set(tonight).union(*past))
    flags: list[DriftFlag] = []
    for source in sources:
        now = tonight.get(source)
        before = [run.get(source) for run in past]
        flags.extend(_stories(source, now, before, cfg))
        if now is None or now.stories == 0:
            continue
        seen = [b for b in before if b is not None and b.stories > 0]
        if len(seen) < cfg.min_history:
            continue
        flags.extend(_rates(source, now, seen, cfg))
    return tuple(flags)


def _stories(
    source: str, now: SourceFigures | None, before: list[SourceFigures | None], cfg: DriftConfig
) -> list[DriftFlag]:
    current = now.stories if now else 0
    usual = median(b.stories if b else 0 for b in before)
    if usual == 0:
        return []  # a new source, or one that is usually silent: nothing to compare
    moved = current < usual * cfg.stories_low or current > usual * cfg.stories_high
    if not moved or abs(current - usual) < cfg.stories_min_change:
        return []
    message = f"source {source}: {current} stories, usually ~{round(usual)}"
    return [DriftFlag(source, "stories", current, usual, len(before), message)]


def _rates(
    source: str, now: SourceFigures, before: list[SourceFigures], cfg: DriftConfig
) -> list[DriftFlag]:
    flags = []
    rates: tuple[tuple[Metric, str, Callable[[SourceFigures], float]], ...] = (
        ("reject_rate", "rejected", lambda s: s.rejected / s.stories),
        ("missing_date_rate", "missing dates", lambda s: s.missing_published / s.stories),
    )
    for metric, label, value in rates:
        current, usual = value(now), median(value(b) for b in before)
        if abs(current - usual) >= cfg.rate_change:
            message = f"source {source}: {current:.0%} {label}, usually {usual:.0%}"
            flags.append(DriftFlag(source, metric, current, usual, len(before), message))
    current = now.cruft_lines / now.stories
    usual = median(b.cruft_lines / b.stories for b in before)
    if abs(current - usual) >= cfg.cruft_change:
        message = f"source {source}: {current:.1f} cruft lines per story, usually {usual:.1f}"
        flags.append(DriftFlag(source, "cruft_per_story", current, usual, len(before), message))
    return flags
