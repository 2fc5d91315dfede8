"""Write: stage a run's Parquet parts and manifest, then publish them.

Everything is written under ``OUT/_staging/<run_id>/`` first and moved into place
only when complete; the manifest is published last and is the run's commit mark.
Parquet is written with fixed settings and sorted rows, so the same input and config
give byte-identical files.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import polars as pl

from cleaner.config import Config
from cleaner.drift import DriftFlag, detect
from cleaner.faults import checkpoint
from cleaner.records import Counts, FileOutcome, StageTiming
from cleaner.report import render
from cleaner.runs import earlier_runs, parse_run
from cleaner.state import LEDGER, TABLES


@dataclass(frozen=True, slots=True)
class RunOutput:
    """What one run publishes: the three tables and what the manifest reports."""

    articles: pl.DataFrame
    duplicates: pl.DataFrame
    rejected: pl.DataFrame
    outcomes: tuple[FileOutcome, ...]
    changes: dict[str, str]  # path -> new | changed | unchanged, every file under RAW
    checks: tuple[Any, ...]  # validate.CheckSummary; Any avoids an import cycle
    counts: Counts
    ledger: pl.DataFrame  # this run's ledger part (state.LEDGER without run_id)
    index_part: pl.DataFrame  # this run's additions to the dedup index
    mode: str  # "incremental" or "full"


@dataclass(frozen=True, slots=True)
class Published:
    """Where a committed run's manifest and report are, and its drift flags."""

    run_id: str
    manifest: Path
    report: Path
    drift: tuple[DriftFlag, ...]


def new_run_id(out_dir: Path, pinned: str | None) -> str:
    """A sortable, unique run id: the UTC start time, or the id pinned in the config.

    >>> new_run_id(Path("/nonexistent"), "test-run")
    'test-run'
    """
    if pinned:
        return pinned
    base = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run_id, n = base, 1
    while (out_dir / "runs" / f"{run_id}.json").exists():
        n += 1
        run_id = f"{base}-{n}"
    return run_id


def write_parquet(frame: pl.DataFrame, path: Path) -> None:
    """Fixed writer settings: part of the byte-identical-output promise."""
    frame.write_parquet(path, compression="zstd", compression_level=3, statistics=True)


def publish_run(
    out_dir: Path,
    raw_dir: Path,
    cfg: Config,
    output: RunOutput,
    timings: list[StageTiming],
) -> Published:
    """Write the run into staging, then move each part into place, manifest last.

    The HTML report and the drift flags are computed from the manifest before it is
    published, so a committed run always has both.
    """
    started = datetime.now(UTC)
    run_id = new_run_id(out_dir, cfg.run.run_id)
    staging = out_dir / "_staging" / run_id
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    tables = {
        "articles": output.articles.sort("doc_id"),
        "duplicates": output.duplicates.sort("doc_id"),
        "rejected": output.rejected.sort("doc_id"),
    }
    parts: dict[str, pl.DataFrame] = {}
    if output.counts.stories:  # a night with nothing new adds no data files
        parts.update({name: frame.with_columns(run_id=pl.lit(run_id))
                      for name, frame in tables.items()})
    if output.ledger.height:
        ledger = output.ledger.with_columns(run_id=pl.lit(run_id))
        parts["_state/ledger"] = ledger.select(list(LEDGER))
    if output.index_part.height:
        parts["_state/dedup"] = output.index_part
    clock = time.perf_counter()
    for folder, frame in parts.items():
        write_parquet(frame, staging / f"{folder.replace('/', '.')}.parquet")
    n = output.counts.stories
    timings = [*timings, StageTiming("write", time.perf_counter() - clock, n, n)]
    manifest = build_manifest(run_id, started, raw_dir, out_dir, cfg, output, timings, tables)
    final = out_dir / "runs" / f"{run_id}.json"
    record = parse_run(json.loads(json.dumps(manifest, default=str)), final)
    drift = detect(record, earlier_runs(record, cfg.validate.drift.history), cfg.validate.drift)
    manifest["drift"] = [asdict(flag) for flag in drift]
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    (staging / "report.html").write_text(render(record, drift), encoding="utf-8")
    for folder in parts:
        (out_dir / folder).mkdir(parents=True, exist_ok=True)
        checkpoint(f"publish:{folder}")
        os.replace(staging / f"{folder.replace('/', '.')}.parquet",
                   out_dir / folder / f"{run_id}.parquet")
    (out_dir / "runs").mkdir(parents=True, exist_ok=True)
    os.replace(staging / "report.html", final.with_suffix(".html"))
    os.replace(staging / "manifest.json", final)
    shutil.rmtree(staging, ignore_errors=True)
    return Published(run_id, final, final.with_suffix(".html"), drift)


def build_manifest(
    run_id: str,
    started: datetime,
    raw_dir: Path,
    out_dir: Path,
    cfg: Config,
    output: RunOutput,
    timings: list[StageTiming],
    tables: dict[str, pl.DataFrame],
) -> dict[str, Any]:
    """The run manifest: inputs, counts, timings, versions and config (see README)."""
    return {
        "run_id": run_id,
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "cleaner_version": _version("cleaner"),
        "versions": {
            "python": platform.python_version(),
            **{p: _version(p) for p in ("polars", "pyarrow", "rapidfuzz", "great-expectations")},
        },
        "raw_dir": str(raw_dir),
        "out_dir": str(out_dir),
        "mode": output.mode,
        "config": asdict(cfg),
        "inputs": _inputs(output),
        "counts": asdict(output.counts),
        "stages": [asdict(t) for t in timings],
        "per_source": _per_source(tables),
        "checks": [asdict(c) for c in output.checks],
        "cruft_rules": _cruft_rules(tables),
        "clusters": _clusters(tables),
        "outputs": {
            name: f"{name}/{run_id}.parquet" for name in TABLES if output.counts.stories
        },
    }


def _inputs(output: RunOutput) -> list[dict[str, Any]]:
    """Every file under RAW with its outcome; files left unread say so."""
    read = {o.path: asdict(o) for o in output.outcomes}
    return [
        {**read.get(path, {"path": path, "status": "unread", "records": 0}), "change": change}
        for path, change in output.changes.items()
    ]


def _per_source(tables: dict[str, pl.DataFrame]) -> list[dict[str, Any]]:
    parts = [
        frame.select(
            source=pl.col("source").fill_null("(unknown)"),
            table=pl.lit(name),
            missing_published=pl.col("published").is_null(),
            cruft=pl.col("audit")
            .list.eval(pl.element().struct.field("fate") == "removed")
            .list.sum(),
        )
        for name, frame in tables.items()
    ]
    both = pl.concat(parts)
    stats = both.group_by("source").agg(
        stories=pl.len(),
        articles=(pl.col("table") == "articles").sum(),
        duplicates=(pl.col("table") == "duplicates").sum(),
        rejected=(pl.col("table") == "rejected").sum(),
        missing_published=pl.col("missing_published").sum(),
        cruft_lines=pl.col("cruft").sum(),
    )
    return stats.sort("source").to_dicts()


def _cruft_rules(tables: dict[str, pl.DataFrame]) -> list[dict[str, Any]]:
    audit = pl.concat([f.select("audit") for f in tables.values()]).explode("audit").unnest("audit")
    removed = audit.filter(pl.col("fate") == "removed")
    counts = removed.group_by("rule").agg(lines=pl.len())
    return counts.sort(["lines", "rule"], descending=[True, False]).to_dicts()


def _clusters(tables: dict[str, pl.DataFrame]) -> list[dict[str, Any]]:
    members = pl.concat(
        [tables["articles"].select("cluster_id"), tables["duplicates"].select("cluster_id")]
    )
    sizes = members.group_by("cluster_id").agg(size=pl.len())
    return sizes.group_by("size").agg(count=pl.len()).sort("size").to_dicts()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"
