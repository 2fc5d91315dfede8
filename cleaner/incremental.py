"""Which input files and stories a run has to do: new or changed ones only.

A file whose size and mtime match the ledger is not even opened; a file read again
is compared by content hash; of a changed file, the stories an earlier run already
published (same ``doc_id``) are left out and counted as ``already_published``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from cleaner import state
from cleaner.records import FileOutcome


@dataclass(frozen=True, slots=True)
class Plan:
    """What the ledger and a stat of RAW say before anything is read."""

    known: dict[str, state.FileState]  # last committed state of every processed path
    on_disk: dict[str, state.FileState]  # size and mtime of every input file now
    unchanged: frozenset[str]  # same size and mtime: not opened at all
    seen_ids: tuple[str, ...]  # sorted doc_ids published by runs that read a file read again

    def change_of(self, path: str, file_hash: str | None) -> str:
        """ "new", "changed" or "unchanged" (read again, same bytes)."""
        before = self.known.get(path)
        if before is None:
            return "new"
        return "unchanged" if before.file_hash == file_hash else "changed"


def plan(raw_dir: Path, out_dir: Path, exclude: tuple[str, ...], full: bool) -> Plan:
    """Look at the ledger and stat RAW; ``full`` forgets the ledger."""
    known = {} if full else state.known_files(out_dir)
    on_disk = state.scan(raw_dir, exclude) if raw_dir.is_dir() else {}
    unchanged = frozenset(p for p, f in on_disk.items() if _same_stat(known.get(p), f))
    revisit = sorted(p for p in on_disk if p in known and p not in unchanged)
    seen = state.published_ids(out_dir, state.runs_that_read(out_dir, revisit))
    return Plan(known, on_disk, unchanged, tuple(sorted(seen)))


def _same_stat(known: state.FileState | None, now: state.FileState) -> bool:
    return known is not None and (known.size, known.mtime_ns) == (now.size, now.mtime_ns)


def drop_published(frame: pl.DataFrame, plan: Plan) -> tuple[pl.DataFrame, int]:
    """Leave out stories an earlier run published: a touched file's, and the unchanged
    stories of a changed file (its new and edited stories go on)."""
    if frame.height == 0 or not plan.known:
        return frame, 0
    files = frame.select("raw_path", "file_hash").unique()
    same = [p for p, h in files.iter_rows() if p in plan.known and plan.known[p].file_hash == h]
    drop = pl.col("doc_id").is_in(plan.seen_ids) | pl.col("raw_path").is_in(same)
    kept = frame.filter(~drop)
    return kept, frame.height - kept.height


def changes(outcomes: tuple[FileOutcome, ...], plan: Plan) -> dict[str, str]:
    """path -> "new" | "changed" | "unchanged", for every input file under RAW."""
    result = dict.fromkeys(plan.unchanged, "unchanged")
    for o in outcomes:
        result[o.path] = plan.change_of(o.path, o.file_hash)
    return dict(sorted(result.items()))


def ledger_part(
    outcomes: tuple[FileOutcome, ...],
    changed: Mapping[str, str],
    stories: Mapping[str, int],
    plan: Plan,
) -> pl.DataFrame:
    """One ledger row per file this run read."""
    rows = [
        {
            "path": o.path,
            "size": o.size,
            "mtime_ns": plan.on_disk[o.path].mtime_ns if o.path in plan.on_disk else 0,
            "file_hash": o.file_hash,
            "status": o.status,
            "change": changed[o.path],
            "stories": stories.get(o.path, 0),
        }
        for o in outcomes
    ]
    return pl.DataFrame(rows, schema={k: v for k, v in state.LEDGER.items() if k != "run_id"})
