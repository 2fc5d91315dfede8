"""The pipeline: composes the stages, counts and times each one.

    ingest -> split -> normalise -> extract -> validate -> dedup -> write

Validation runs before dedup on purpose: a story that fails a critical check must
never become the canonical copy that better copies are filed under.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

import polars as pl
import xxhash

from cleaner import incremental, schema, state
from cleaner.config import Config
from cleaner.cruft import compile_rules
from cleaner.dedup import DedupIndex, deduplicate
from cleaner.errors import ConfigError, InputError
from cleaner.extract import extract
from cleaner.faults import checkpoint
from cleaner.ingest import ingest
from cleaner.lock import run_lock
from cleaner.normalise import normalise
from cleaner.progress import Progress, quiet
from cleaner.records import Counts, FailedCheck, FileOutcome, RawRecord, StageTiming, Story
from cleaner.split import split
from cleaner.validate import CheckSummary, ValidationResult, validate
from cleaner.write import Published, RunOutput, Staging, new_run_id, publish_run

T = TypeVar("T")


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
    checks: tuple[CheckSummary, ...]

    @property
    def run_id(self) -> str:
        return self.published.run_id

    @property
    def manifest(self) -> Path:
        return self.published.manifest


@dataclass
class _Reader:
    """Ingest, split, normalise and extract, one chunk of records at a time.

    The Python objects of the text stages exist for one chunk of
    ``cfg.run.chunk_records`` records; each chunk leaves as two compact frames
    (articles, and ingest-level defects as rejected rows).
    """

    raw_dir: Path
    cfg: Config
    progress: Progress
    skip: Collection[str]
    clock: _Clock = field(default_factory=_Clock)
    outcomes: list[FileOutcome] = field(default_factory=list)
    records: int = 0
    stories: int = 0

    def chunks(self) -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
        if not self.raw_dir.is_dir():
            raise InputError(
                f"input folder not found: {self.raw_dir} (pass the folder your scraper writes)"
            )
        chunk: list[RawRecord] = []
        defects: list[RawRecord] = []
        checkpoint("ingest")
        events = ingest(self.raw_dir, self.cfg.ingest, self.skip)
        for event in self.clock.timed("ingest", events):
            if isinstance(event, FileOutcome):
                self.outcomes.append(event)
            elif event.defect is not None:
                defects.append(event)
            else:
                chunk.append(event)
            if len(chunk) + len(defects) >= self.cfg.run.chunk_records:
                yield self._process(chunk), _defects_frame(defects)
                chunk, defects = [], []
        read = self.clock.timings["ingest"]  # files in, records out (not raw events)
        yield self._process(chunk), _defects_frame(defects)
        self.clock.timings["ingest"] = StageTiming(
            "ingest", read.seconds, len(self.outcomes), self.records
        )

    def _process(self, records: list[RawRecord]) -> pl.DataFrame:
        cfg, clock = self.cfg, self.clock
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
        self.records += len(records)
        self.stories += len(stories)
        self.progress("stories", self.stories, 0)
        return frame


def prepare(
    raw_dir: Path, cfg: Config, progress: Progress = quiet, skip: Collection[str] = ()
) -> Prepared:
    """Run ingest, split, normalise and extract over every file under ``raw_dir``.

    For `cleaner validate`, which looks at the whole batch at once; `run` works
    chunk by chunk instead. Files in ``skip`` (relative paths) are left unread.
    """
    reader = _Reader(raw_dir, cfg, progress, skip)
    parts = list(reader.chunks())
    articles = pl.concat([a for a, _ in parts]).sort("raw_path", "record_index", "story_index")
    defects = pl.concat([d for _, d in parts])
    return Prepared(
        articles=articles,
        defects=defects,
        outcomes=tuple(reader.outcomes),
        records=reader.records + defects.height,
        stories=reader.stories + defects.height,
        timings=tuple(reader.clock.timings.values()),
    )


def run(
    raw_dir: Path,
    out_dir: Path,
    cfg: Config,
    progress: Progress = quiet,
    full: bool = False,
) -> RunSummary:
    """The nightly job: only new or changed files; every story ends in exactly one table.

    Holds the output folder's lock, first cleans up what a crashed run left, then
    validates, deduplicates (against earlier nights and earlier chunks) and stages
    one chunk at a time, and commits by publishing the manifest last
    (see ``cleaner.state``).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    with run_lock(out_dir):
        state.recover(out_dir)
        if full and state.committed_runs(out_dir):
            raise ConfigError(
                f"--full writes a fresh output, but {out_dir} already holds runs; "
                "pass an empty folder, or `cleaner rollback` the runs to redo"
            )
        plan = incremental.plan(raw_dir, out_dir, cfg.ingest.exclude, full)
        staging = Staging(out_dir, new_run_id(out_dir, cfg.run.run_id))
        reader = _Reader(raw_dir, cfg, progress, plan.unchanged)
        clock = reader.clock
        index = DedupIndex.load(out_dir / "_state")
        tally = _Tally()
        for articles, defects in reader.chunks():
            tally.read(articles, defects)
            articles, dropped = incremental.drop_published(articles, plan)
            defects, dropped_defects = incremental.drop_published(defects, plan)
            tally.already += dropped + dropped_defects
            with clock.stage("validate", articles.height) as out:
                checks = validate(articles, cfg.validate)
                accepted, rejected = _judge(articles, checks)
                rejected = pl.concat([rejected, defects])
                tally.checks.append(checks.checks)
                out[0] = accepted.height
            checkpoint("dedup")
            with clock.stage("dedup", accepted.height) as out:
                dedup = deduplicate(accepted, cfg.dedup, index)
                index = index.add(accepted, dedup).spill(staging.index_path())
                deduped = accepted.join(
                    dedup.mapping, on="doc_id", how="left", maintain_order="left"
                )
                canon = deduped.filter(pl.col("duplicate_of").is_null())
                dups = deduped.filter(pl.col("duplicate_of").is_not_null())
                out[0] = canon.height
            staging.add(
                {
                    "articles": schema.conform(canon, schema.ARTICLES),
                    "duplicates": schema.conform(dups, schema.DUPLICATES),
                    "rejected": rejected,
                }
            )
            tally.kept(canon.height, dups.height, rejected.height)
        outcomes = tuple(reader.outcomes)
        changed = incremental.changes(outcomes, plan)
        output = RunOutput(
            outcomes=outcomes,
            changes=changed,
            checks=_sum_checks(tally.checks),
            counts=Counts(
                files=len(changed),
                records=reader.records + tally.defects,
                stories=tally.articles + tally.duplicates + tally.rejected,
                articles=tally.articles,
                duplicates=tally.duplicates,
                rejected=tally.rejected,
                already_published=tally.already,
            ),
            ledger=incremental.ledger_part(outcomes, changed, tally.per_file, plan),
            mode="full" if full else "incremental",
        )
        checkpoint("publish")
        published = publish_run(
            out_dir, raw_dir, cfg, output, list(clock.timings.values()), staging
        )
        return RunSummary(published, output.counts, outcomes, output.checks)


@dataclass
class _Tally:
    """Running counts of a chunked run."""

    articles: int = 0
    duplicates: int = 0
    rejected: int = 0
    already: int = 0
    defects: int = 0
    per_file: Counter[str] = field(default_factory=Counter)
    checks: list[tuple[CheckSummary, ...]] = field(default_factory=list)

    def read(self, articles: pl.DataFrame, defects: pl.DataFrame) -> None:
        self.defects += defects.height
        self.per_file.update(articles["raw_path"].to_list())
        self.per_file.update(defects["raw_path"].to_list())

    def kept(self, articles: int, duplicates: int, rejected: int) -> None:
        self.articles += articles
        self.duplicates += duplicates
        self.rejected += rejected


def _judge(articles: pl.DataFrame, checks: ValidationResult) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split a chunk into accepted rows (warnings added) and rejected rows (with reasons)."""
    judged = articles.hstack(checks.rows.drop("doc_id"))  # rows keep input order
    accepted = judged.filter(~pl.col("critical")).with_columns(
        warnings=pl.concat_list(
            "warnings",
            pl.col("failed_checks").list.eval(pl.element().struct.field("expectation")),
        ).list.unique(maintain_order=True)
    )
    rejected = schema.conform(judged.filter(pl.col("critical")), schema.REJECTED)
    return accepted, rejected


def _sum_checks(chunks: list[tuple[CheckSummary, ...]]) -> tuple[CheckSummary, ...]:
    """Per-check failure counts added up over the chunks, in the suites' order."""
    total: dict[tuple[str, str | None, str, str], CheckSummary] = {}
    for checks in chunks:
        for c in checks:
            key = (c.suite, c.column, c.expectation, c.kind)
            before = total.get(key)
            total[key] = c if before is None else replace(before, failed=before.failed + c.failed)
    return tuple(total.values())


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
