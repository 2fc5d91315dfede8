"""Run state under OUT: the processed-file ledger, run listing, recovery and rollback.

Every artifact a run leaves is one file named after its run id: the three table
parts, ``_state/ledger/<run_id>.parquet`` and ``_state/dedup/<run_id>.parquet``.
The manifest ``runs/<run_id>.json`` is published last and is the run's commit mark:

- a part whose run has no manifest is debris from a crash, and `recover` deletes it;
- rolling a run back is deleting its parts, then its manifest;
- the ledger and the dedup index are the union of the committed runs' parts.

So a crash at any point leaves earlier runs intact, and the next run, after
recovery, produces the same result as a run that never crashed.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from cleaner.errors import InputError
from cleaner.ingest.files import list_files

TABLES = ("articles", "duplicates", "rejected")
STATE_PARTS = ("_state/ledger", "_state/dedup")

LEDGER = {
    "path": pl.Utf8(),
    "size": pl.Int64(),
    "mtime_ns": pl.Int64(),
    "file_hash": pl.Utf8(),
    "run_id": pl.Utf8(),
    "status": pl.Utf8(),
    "change": pl.Utf8(),
    "stories": pl.Int64(),
}


@dataclass(frozen=True, slots=True)
class RunInfo:
    """One committed run, as `cleaner runs` lists it."""

    run_id: str
    started: str
    files: int
    stories: int
    articles: int
    duplicates: int
    rejected: int
    mode: str


def part_dirs(out_dir: Path) -> list[Path]:
    """Every folder that holds one ``<run_id>.parquet`` part per run."""
    return [out_dir / t for t in TABLES] + [out_dir / p for p in STATE_PARTS]


def committed_runs(out_dir: Path) -> list[str]:
    """Run ids with a published manifest, oldest first."""
    runs = out_dir / "runs"
    return sorted(p.stem for p in runs.glob("*.json")) if runs.is_dir() else []


def recover(out_dir: Path) -> list[Path]:
    """Delete what a crashed run left behind; return what was deleted.

    Staging folders are always debris (a finished run empties its own); a part is
    debris when its run has no manifest.
    """
    removed: list[Path] = []
    staging = out_dir / "_staging"
    if staging.is_dir():
        for item in sorted(staging.iterdir()):
            shutil.rmtree(item) if item.is_dir() else item.unlink()
            removed.append(item)
    committed = set(committed_runs(out_dir))
    for report in sorted((out_dir / "runs").glob("*.html")) if (out_dir / "runs").is_dir() else ():
        if report.stem not in committed:
            report.unlink()
            removed.append(report)
    for folder in part_dirs(out_dir):
        for part in sorted(folder.glob("*.parquet")) if folder.is_dir() else ():
            if part.stem not in committed:
                part.unlink()
                removed.append(part)
    return removed


def read_ledger(out_dir: Path) -> pl.DataFrame:
    """Every file processed by a committed run, latest entry per path last."""
    parts = sorted((out_dir / "_state" / "ledger").glob("*.parquet"))
    if not parts:
        return pl.DataFrame(schema=LEDGER)
    return pl.concat([pl.read_parquet(p) for p in parts]).sort("run_id", "path")


def published_ids(out_dir: Path, runs: Iterable[str]) -> set[str]:
    """doc_ids already written by the given runs (any table)."""
    ids: set[str] = set()
    for run_id in runs:
        for table in TABLES:
            part = out_dir / table / f"{run_id}.parquet"
            if part.exists():
                ids.update(pl.read_parquet(part, columns=["doc_id"])["doc_id"].to_list())
    return ids


def list_runs(out_dir: Path) -> list[RunInfo]:
    """The committed runs with their counts, oldest first."""
    infos = []
    for run_id in committed_runs(out_dir):
        manifest = json.loads((out_dir / "runs" / f"{run_id}.json").read_text())
        c = manifest["counts"]
        infos.append(
            RunInfo(
                run_id,
                manifest.get("started", ""),
                c["files"],
                c["stories"],
                c["articles"],
                c["duplicates"],
                c["rejected"],
                manifest.get("mode", "incremental"),
            )
        )
    return infos


def rollback(out_dir: Path, run_id: str) -> list[Path]:
    """Remove one run's output, ledger and index entries, so the next run redoes it.

    Parts go first and the manifest last: a crash half-way leaves manifest-less
    parts, which the next run's recovery finishes deleting.
    """
    manifest = out_dir / "runs" / f"{run_id}.json"
    if not manifest.exists():
        known = ", ".join(committed_runs(out_dir)[-5:]) or "none"
        raise InputError(f"no run {run_id!r} in {out_dir} (latest runs: {known})")
    removed = []
    for folder in part_dirs(out_dir):
        part = folder / f"{run_id}.parquet"
        if part.exists():
            part.unlink()
            removed.append(part)
    for extra in sorted((out_dir / "runs").glob(f"{run_id}.*")):
        if extra != manifest:
            extra.unlink()
            removed.append(extra)
    manifest.unlink()
    removed.append(manifest)
    return removed


@dataclass(frozen=True, slots=True)
class FileState:
    """What the ledger knows of one input file."""

    size: int
    mtime_ns: int
    file_hash: str | None


def scan(raw_dir: Path, exclude: tuple[str, ...]) -> dict[str, FileState]:
    """Size and mtime of every input file under RAW (no reading): the cheap first look."""
    seen: dict[str, FileState] = {}
    for rel in list_files(raw_dir, exclude):
        try:
            st = (raw_dir / rel).stat()
        except OSError:
            continue  # vanished or a broken link: ingest reports it
        seen[rel] = FileState(st.st_size, st.st_mtime_ns, None)
    return seen


def known_files(out_dir: Path) -> dict[str, FileState]:
    """path -> the state recorded by the last committed run that processed it."""
    ledger = read_ledger(out_dir)
    last = ledger.group_by("path").agg(pl.all().sort_by("run_id").last())
    return {
        r["path"]: FileState(r["size"], r["mtime_ns"], r["file_hash"])
        for r in last.iter_rows(named=True)
    }


def runs_that_read(out_dir: Path, paths: Iterable[str]) -> list[str]:
    """Committed runs whose ledger lists any of ``paths``."""
    wanted = set(paths)
    if not wanted:
        return []
    ledger = read_ledger(out_dir).filter(pl.col("path").is_in(sorted(wanted)))
    return sorted(set(ledger["run_id"].to_list()))
