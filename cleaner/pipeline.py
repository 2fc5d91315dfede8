"""The pipeline: composes the stages, counts and times each one.

    ingest -> split -> normalise -> extract -> validate -> dedup -> write

Validation runs before dedup on purpose: a story that fails a critical check must
never become the canonical copy that better copies are filed under.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import polars as pl
import xxhash

from cleaner import schema, state
from cleaner.config import Config
from cleaner.cruft import compile_rules
from cleaner.dedup import DedupIndex, deduplicate
from cleaner.errors import ConfigError, InputError
from cleaner.extract import extract
from cleaner.faults import checkpoint
from cleaner.ingest import ingest
from cleaner.lock import run_lock
from cleaner.normalise import normalise
from cleaner.records import Counts, FailedCheck, FileOutcome, RawRecord, StageTiming, Story
from cleaner.split import split
from cleaner.validate import ValidationResult, validate
from cleaner.write import Published, RunOutput, publish_run

T = TypeVar("T")

#: Called as ``progress(stage, done, total)``; the CLI draws it with rich.
Progress = Callable[[str, int, int], None]


def _quiet(stage: str, done: int, total: int) -> None:
    return None


@dataclass
class _Clock:
    """Adds up seconds and item counts per stage, across chunks, in first-run order."""

    timings: dict[str, StageTiming] = field(default_factory=dict)

    def add(self, name: str, seconds: float, items_in: int, items_out: int) -> None:
        t = self.timings.get(name, StageTiming(name, 0.0, 0, 0))
        self.timings[name] = StageTiming(
            name, t.seconds + seconds, t.items_in + items_in, t.items_out + items_out
        )

    @contextmanager
    def stage(self, name: str, items_in: int) -> Iterator[list[int]]:
        out = [0]
        start = time.perf_counter()
        yield out
        self.add(name, time.perf_counter() - start, items_in, out[0])

    def timed(self, name: str, events: Iterator[T]) -> Iterator[T]:
        """Yield from ``events``, charging the time spent producing them to ``name``."""
        while True:
            start = time.perf_counter()
            try:
                event = next(events)
            except StopIteration:
                self.add(name, time.perf_counter() - start, 0, 0)
                return
            self.add(name, time.perf_counter() - start, 0, 0)
            yield event


@dataclass(frozen=True, slots=True)
class Prepared:
    """Stories read, split, normalised and extracted: what `validate` and `run` share."""

    articles: pl.DataFrame  # schema.ARTICLE
    defects: pl.DataFrame  # schema.REJECTED, records ingest could not read properly
    outcomes: tuple[FileOutcome, ...]
    records: int
    stories: int
    timings: tuple[StageTiming, ...]


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What a run did: where it was published, its counts, file outcomes and checks."""

    published: Published
    counts: Counts
    outcomes: tuple[FileOutcome, ...]
    checks: ValidationResult

    @property
    def run_id(self) -> str:
        return self.published.run_id

    @property
    def manifest(self) -> Path:
        return self.published.manifest


def prepare(
    raw_dir: Path, cfg: Config, progress: Progress = _quiet, skip: Collection[str] = ()
) -> Prepared:
    """Run ingest, split, normalise and extract over every file under ``raw_dir``.

    Records are taken in chunks of ``cfg.run.chunk_records``, so the Python objects
    of split, normalise and extract exist for one chunk at a time; what accumulates
    is the compact Arrow frame of extracted articles. Files in ``skip`` (relative
    paths) are left unread: an incremental run already knows them.
    """
    if not raw_dir.is_dir():
        raise InputError(f"input folder not found: {raw_dir} (pass the folder your scraper writes)")
    clock = _Clock()
    frames: list[pl.DataFrame] = []
    defects: list[RawRecord] = []
    outcomes: list[FileOutcome] = []
    chunk: list[RawRecord] = []
    counts = [0, 0]  # records, stories
    checkpoint("ingest")
    for event in clock.timed("ingest", ingest(raw_dir, cfg.ingest, skip)):
        if isinstance(event, FileOutcome):
            outcomes.append(event)
        elif event.defect is not None:
            defects.append(event)
        else:
            chunk.append(event)
            if len(chunk) >= cfg.run.chunk_records:
                frames.append(_process(chunk, cfg, clock, counts, progress))
                chunk = []
    if chunk or not frames:
        frames.append(_process(chunk, cfg, clock, counts, progress))
    read = clock.timings["ingest"]  # files in, records out (not raw event counts)
    clock.timings["ingest"] = StageTiming("ingest", read.seconds, len(outcomes),
                                          counts[0] + len(defects))
    frame = pl.concat(frames).sort("raw_path", "record_index", "story_index")
    return Prepared(
        articles=frame,
        defects=_defects_frame(defects),
        outcomes=tuple(outcomes),
        records=counts[0] + len(defects),
        stories=counts[1] + len(defects),
        timings=tuple(clock.timings.values()),
    )


def _process(
    records: list[RawRecord], cfg: Config, clock: _Clock, counts: list[int], progress: Progress
) -> pl.DataFrame:
    """Split, normalise and extract one chunk of records into an article frame."""
    with clock.stage("split", len(records)) as out:
        stories: list[Story] = [s for r in records for s in split(r, cfg.split)]
        out[0] = len(stories)
    with clock.stage("normalise", len(stories)) as out:
        rules = compile_rules(cfg.normalise, stories)
        normalised = [normalise(story, rules) for story in stories]
        out[0] = len(normalised)
    with clock.stage("extract", len(normalised)) as out:
        frame = schema.articles_frame([extract(item, cfg.extract) for item in normalised])
        out[0] = frame.height
    counts[0] += len(records)
    counts[1] += len(stories)
    progress("stories", counts[1], 0)
    return frame


def run(
    raw_dir: Path,
    out_dir: Path,
    cfg: Config,
    progress: Progress = _quiet,
    full: bool = False,
) -> RunSummary:
    """The nightly job: only new or changed files; every story ends in exactly one table.

    Holds the output folder's lock, first cleans up what a crashed run left, and
    commits by publishing the manifest last (see ``cleaner.state``).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    with run_lock(out_dir):
        state.recover(out_dir)
        if full and state.committed_runs(out_dir):
            raise ConfigError(
                f"--full writes a fresh output, but {out_dir} already holds runs; "
                "pass an empty folder, or `cleaner rollback` the runs to redo"
            )
        known = {} if full else state.known_files(out_dir)
        on_disk = state.scan(raw_dir, cfg.ingest.exclude) if raw_dir.is_dir() else {}
        unchanged = {p for p, f in on_disk.items() if _same_stat(known.get(p), f)}
        prepared = prepare(raw_dir, cfg, progress, skip=unchanged)
        changes = _changes(prepared.outcomes, known, unchanged)
        prepared, already = _drop_published(prepared, changes, out_dir)
        return _finish(raw_dir, out_dir, cfg, prepared, changes, already, on_disk, full)


def _finish(
    raw_dir: Path,
    out_dir: Path,
    cfg: Config,
    prepared: Prepared,
    changes: dict[str, str],
    already: int,
    on_disk: dict[str, state.FileState],
    full: bool,
) -> RunSummary:
    clock = _Clock({t.name: t for t in prepared.timings})
    with clock.stage("validate", prepared.articles.height) as out:
        checks = validate(prepared.articles, cfg.validate)
        judged = prepared.articles.hstack(checks.rows.drop("doc_id"))  # rows keep input order
        accepted = judged.filter(~pl.col("critical")).with_columns(
            warnings=pl.concat_list(
                "warnings",
                pl.col("failed_checks").list.eval(pl.element().struct.field("expectation")),
            ).list.unique(maintain_order=True)
        )
        rejected = pl.concat(
            [schema.conform(judged.filter(pl.col("critical")), schema.REJECTED), prepared.defects]
        )
        out[0] = accepted.height
    checkpoint("dedup")
    with clock.stage("dedup", accepted.height) as out:
        index = DedupIndex.load(out_dir / "_state")
        dedup = deduplicate(accepted, cfg.dedup, index)
        index_part = index.add(accepted, dedup).new_part()
        deduped = accepted.join(dedup.mapping, on="doc_id", how="left", maintain_order="left")
        canon = deduped.filter(pl.col("duplicate_of").is_null())
        dups = deduped.filter(pl.col("duplicate_of").is_not_null())
        out[0] = canon.height
    stories = canon.height + dups.height + rejected.height
    output = RunOutput(
        articles=schema.conform(canon, schema.ARTICLES),
        duplicates=schema.conform(dups, schema.DUPLICATES),
        rejected=rejected,
        outcomes=prepared.outcomes,
        changes=changes,
        checks=checks.checks,
        counts=Counts(
            files=len(changes),
            records=prepared.records,
            stories=stories,
            articles=canon.height,
            duplicates=dups.height,
            rejected=rejected.height,
            already_published=already,
        ),
        ledger=_ledger_part(prepared, changes, on_disk),
        index_part=index_part,
        mode="full" if full else "incremental",
    )
    checkpoint("publish")
    published = publish_run(out_dir, raw_dir, cfg, output, list(clock.timings.values()))
    return RunSummary(published, output.counts, prepared.outcomes, checks)


def _same_stat(known: state.FileState | None, now: state.FileState) -> bool:
    return known is not None and (known.size, known.mtime_ns) == (now.size, now.mtime_ns)


def _changes(
    outcomes: tuple[FileOutcome, ...], known: dict[str, state.FileState], unchanged: set[str]
) -> dict[str, str]:
    """path -> "new" | "changed" | "unchanged", for every file under RAW."""
    changes = dict.fromkeys(unchanged, "unchanged")
    for o in outcomes:
        before = known.get(o.path)
        if before is None:
            changes[o.path] = "new"
        elif before.file_hash == o.file_hash:
            changes[o.path] = "unchanged"  # touched, same bytes
        else:
            changes[o.path] = "changed"
    return dict(sorted(changes.items()))


def _drop_published(
    prepared: Prepared, changes: dict[str, str], out_dir: Path
) -> tuple[Prepared, int]:
    """Drop stories an earlier run already published: a touched file's, and the
    unchanged stories of a changed file (its new and edited stories go on)."""
    revisit = sorted(p for p, c in changes.items() if c != "new")
    if not revisit:
        return prepared, 0
    seen = state.published_ids(out_dir, state.runs_that_read(out_dir, revisit))
    same_bytes = [p for p, c in changes.items() if c == "unchanged"]
    drop = pl.col("doc_id").is_in(sorted(seen)) | pl.col("raw_path").is_in(same_bytes)
    articles = prepared.articles.filter(~drop)
    defects = prepared.defects.filter(~drop)
    dropped = prepared.articles.height - articles.height + prepared.defects.height - defects.height
    return (
        Prepared(articles, defects, prepared.outcomes, prepared.records,
                 prepared.stories - dropped, prepared.timings),
        dropped,
    )


def _ledger_part(
    prepared: Prepared, changes: dict[str, str], on_disk: dict[str, state.FileState]
) -> pl.DataFrame:
    """One ledger row per file this run read (new or changed)."""
    per_file = pl.concat(
        [prepared.articles.select("raw_path"), prepared.defects.select("raw_path")]
    )["raw_path"].value_counts()
    stories = dict(zip(per_file["raw_path"].to_list(), per_file["count"].to_list(), strict=True))
    rows = [
        {
            "path": o.path,
            "size": o.size,
            "mtime_ns": on_disk[o.path].mtime_ns if o.path in on_disk else 0,
            "file_hash": o.file_hash,
            "status": o.status,
            "change": changes[o.path],
            "stories": stories.get(o.path, 0),
        }
        for o in prepared.outcomes
    ]
    return pl.DataFrame(rows, schema={k: v for k, v in state.LEDGER.items() if k != "run_id"})


def _defects_frame(defects: list[RawRecord]) -> pl.DataFrame:
    """Records ingest could not read, as rejected rows that say why."""
    if not defects:
        return pl.DataFrame(schema=schema.REJECTED)
    rows = [
        {
            "doc_id": xxhash.xxh3_128_hexdigest(
                f"{r.path}\x1f{r.record_index}\x1f{r.text}".encode()
            )[:16],
            "body": r.text,
            "raw_path": r.path,
            "record_index": r.record_index,
            "story_index": 0,
            "file_hash": r.file_hash,
            "split_rule": "unread",
            "word_count": len(r.text.split()),
            "summary": [],
            "fixes": [],
            "audit": [],
            "warnings": [],
            "failed_checks": schema.check_rows([_ingest_check(r.defect or "")]),
        }
        for r in defects
    ]
    return schema.conform(pl.DataFrame(rows, schema_overrides=_overrides()), schema.REJECTED)


def _overrides() -> dict[str, pl.DataType]:
    return {k: v for k, v in schema.REJECTED.items() if k in {"audit", "failed_checks"}}


def _ingest_check(reason: str) -> FailedCheck:
    return FailedCheck("readable_input", None, "critical", reason)
