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
import pyarrow.parquet as pq

from cleaner.config import Config
from cleaner.drift import DriftFlag, detect
from cleaner.faults import checkpoint
from cleaner.records import Counts, FileOutcome, StageTiming
from cleaner.report import render
from cleaner.runs import earlier_runs, parse_run
from cleaner.state import LEDGER, TABLES


@dataclass(frozen=True, slots=True)
class RunOutput:
    """What the manifest reports about a run; the tables themselves are staged."""

    outcomes: tuple[FileOutcome, ...]
    changes: dict[str, str]  # path -> new | changed | unchanged, every file under RAW
    checks: tuple[Any, ...]  # validate.CheckSummary; Any avoids an import cycle
    counts: Counts
    ledger: pl.DataFrame  # this run's ledger part (state.LEDGER without run_id)
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


class Staging:
    """A run's output, written chunk by chunk under ``OUT/_staging/<run_id>/``.

    Each chunk's tables go to their own file at once, so memory holds one chunk; what
    stays in memory is what the manifest needs: per-source and per-rule counts and the
    cluster id of every kept story (16 bytes a story).
    """

    def __init__(self, out_dir: Path, run_id: str) -> None:
        self.run_id = run_id
        self.dir = out_dir / "_staging" / run_id
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        self.chunks = 0
        self._sources: list[pl.DataFrame] = []
        self._rules: list[pl.DataFrame] = []
        self._clusters: list[pl.DataFrame] = []

    def add(self, tables: dict[str, pl.DataFrame]) -> None:
        """Stage one chunk's articles, duplicates and rejected rows."""
        for name, frame in tables.items():
            folder = self.dir / name
            folder.mkdir(exist_ok=True)
            part = frame.sort("doc_id").with_columns(run_id=pl.lit(self.run_id))
            write_parquet(part, folder / f"{self.chunks:06d}.parquet")
        self._sources.append(_source_stats(tables))
        self._rules.append(_rule_stats(tables))
        self._clusters.append(
            pl.concat([tables[t].select("cluster_id") for t in ("articles", "duplicates")])
        )
        self.chunks += 1

    def index_path(self) -> Path:
        """Where this chunk's additions to the dedup index are spilled."""
        return self.dir / "dedup" / f"{self.chunks:06d}.parquet"

    def per_source(self) -> list[dict[str, Any]]:
        stats = pl.concat(self._sources).group_by("source").agg(pl.all().sum())
        return stats.sort("source").to_dicts()

    def cruft_rules(self) -> list[dict[str, Any]]:
        counts = pl.concat(self._rules).group_by("rule").agg(pl.col("lines").sum())
        return counts.sort(["lines", "rule"], descending=[True, False]).to_dicts()

    def clusters(self) -> list[dict[str, Any]]:
        sizes = pl.concat(self._clusters).group_by("cluster_id").agg(size=pl.len())
        return sizes.group_by("size").agg(count=pl.len()).sort("size").to_dicts()

    def merge(self, folder: str, dest: Path) -> bool:
        """Concatenate the staged files of ``folder`` into ``dest``, one file in memory at
        a time; False when nothing was staged there."""
        files = sorted((self.dir / folder).glob("*.parquet"))
        if not files:
            return False
        if len(files) == 1:
            os.replace(files[0], dest)
            return True
        schema = pq.read_schema(files[0])
        with pq.ParquetWriter(dest, schema, compression="zstd", compression_level=3) as out:
            for f in files:
                out.write_table(pq.read_table(f, schema=schema))
        return True


def publish_run(
    out_dir: Path,
    raw_dir: Path,
    cfg: Config,
    output: RunOutput,
    timings: list[StageTiming],
    staging: Staging,
) -> Published:
    """Merge the staged chunks, then move each part into place, manifest last.

    The HTML report and the drift flags are computed from the manifest before it is
    published, so a committed run always has both.
    """
    started = datetime.now(UTC)
    run_id, stage = staging.run_id, staging.dir
    clock = time.perf_counter()
    parts: list[str] = []
    if output.counts.stories:  # a night with nothing new adds no data files
        for name in TABLES:
            if staging.merge(name, stage / f"{name}.parquet"):
                parts.append(name)
    if output.ledger.height:
        ledger = output.ledger.with_columns(run_id=pl.lit(run_id))
        write_parquet(ledger.select(list(LEDGER)), stage / "_state.ledger.parquet")
        parts.append("_state/ledger")
    if staging.merge("dedup", stage / "_state.dedup.parquet"):
        parts.append("_state/dedup")
    n = output.counts.stories
    timings = [*timings, StageTiming("write", time.perf_counter() - clock, n, n)]
    manifest = build_manifest(run_id, started, raw_dir, out_dir, cfg, output, timings, staging)
    final = out_dir / "runs" / f"{run_id}.json"
    record = parse_run(json.loads(json.dumps(manifest, default=str)), final)
    drift = detect(record, earlier_runs(record, cfg.validate.drift.history), cfg.validate.drift)
    manifest["drift"] = [asdict(flag) for flag in drift]
    (stage / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    (stage / "report.html").write_text(render(record, drift), encoding="utf-8")
    for folder in parts:
        (out_dir / folder).mkdir(parents=True, exist_ok=True)
        checkpoint(f"publish:{folder}")
        os.replace(
            stage / f"{folder.replace('/', '.')}.parquet", out_dir / folder / f"{run_id}.parquet"
        )
    (out_dir / "runs").mkdir(parents=True, exist_ok=True)
    os.replace(stage / "report.html", final.with_suffix(".html"))
    os.replace(stage / "manifest.json", final)
    shutil.rmtree(stage, ignore_errors=True)
    return Published(run_id, final, final.with_suffix(".html"), drift)


def build_manifest(
    run_id: str,
    started: datetime,
    raw_dir: Path,
    out_dir: Path,
    cfg: Config,
    output: RunOutput,
    timings: list[StageTiming],
    staging: Staging,
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
        "per_source": staging.per_source() if staging.chunks else [],
        "checks": [asdict(c) for c in output.checks],
        "cruft_rules": staging.cruft_rules() if staging.chunks else [],
        "clusters": staging.clusters() if staging.chunks else [],
        "outputs": {name: f"{name}/{run_id}.parquet" for name in TABLES if output.counts.stories},
    }


def _inputs(output: RunOutput) -> list[dict[str, Any]]:
    """Every file under RAW with its outcome; files left unread say so."""
    read = {o.path: asdict(o) for o in output.outcomes}
    return [
        {**read.get(path, {"path": path, "status": "unread", "records": 0}), "change": change}
        for path, change in output.changes.items()
    ]


def _source_stats(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Per-source counts of one chunk; chunks add up by plain sums."""
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
    return (
        pl.concat(parts)
        .group_by("source")
        .agg(
            stories=pl.len().cast(pl.Int64),
            articles=(pl.col("table") == "articles").sum().cast(pl.Int64),
            duplicates=(pl.col("table") == "duplicates").sum().cast(pl.Int64),
            rejected=(pl.col("table") == "rejected").sum().cast(pl.Int64),
            missing_published=pl.col("missing_published").sum().cast(pl.Int64),
            cruft_lines=pl.col("cruft").sum().cast(pl.Int64),
        )
    )


def _rule_stats(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Removed lines per rule in one chunk."""
    audit = pl.concat([f.select("audit") for f in tables.values()]).explode("audit").unnest("audit")
    removed = audit.filter(pl.col("fate") == "removed")
    return removed.group_by("rule").agg(lines=pl.len().cast(pl.Int64))


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"
