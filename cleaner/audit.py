"""Show where every line of a story went, and list cruft learned from a batch.

Library side of ``cleaner inspect`` and ``cleaner cruft``.  ``inspect`` works on a
finished run (the ``audit`` column of the output Parquet files) or, without any run,
directly on a raw ``.txt`` file: that path reads the file itself and runs split,
normalise and extract, so a user can try a new profile on one file in a second.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import xxhash
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cleaner.config import Config
from cleaner.cruft import LearnedCruft, compile_rules, learn
from cleaner.errors import InputError
from cleaner.extract import extract
from cleaner.normalise import normalise
from cleaner.records import Article, Fate, LineFate, RawRecord, Story
from cleaner.split import split

TABLES = ("articles", "duplicates", "rejected")


@dataclass(frozen=True, slots=True)
class AuditView:
    """One story's audit trail with enough context to print it."""

    doc_id: str
    where: str  # "articles/<run>.parquet", or the raw file path
    raw_path: str
    story_index: int
    title: str | None
    audit: tuple[LineFate, ...]
    warnings: tuple[str, ...]


def read_raw_file(path: Path, root: Path | None = None) -> RawRecord:
    """A ``.txt`` file as one RawRecord, decoded as UTF-8 with replacement characters.

    Its ``path`` is relative to ``root`` when given, else the path as passed.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    rel = path.relative_to(root).as_posix() if root else path.as_posix()
    return RawRecord(
        path=rel,
        file_hash=xxhash.xxh3_128_hexdigest(data),
        record_index=0,
        text=data.decode("utf-8", errors="replace"),
        encoding="utf-8",
        fmt="txt",
    )


def process(records: Sequence[RawRecord], cfg: Config) -> list[Article]:
    """split -> normalise -> extract for a few records, learning cruft over all of them."""
    stories = [s for r in records for s in split(r, cfg.split)]
    rules = compile_rules(cfg.normalise, stories)
    return [extract(normalise(s, rules), cfg.extract) for s in stories]


def view_of(article: Article, where: str) -> AuditView:
    return AuditView(
        article.doc_id,
        where,
        article.raw_path,
        article.story_index,
        article.title,
        article.audit,
        article.warnings,
    )


def inspect_file(path: Path, cfg: Config, raw_root: Path | None = None) -> list[AuditView]:
    """Audit views of every story in one raw ``.txt`` file, computed now.

    When the file lies under ``raw_root`` its path is taken relative to it, as a run
    would, so the doc_ids shown match the run's and ``source_by_dir`` applies.
    """
    root = None
    if raw_root is not None and path.resolve().is_relative_to(raw_root.resolve()):
        root = raw_root.resolve()
    record = read_raw_file(path.resolve() if root else path, root)
    articles = process([record], cfg)
    return [view_of(a, str(path)) for a in articles]


def find_doc(doc_id: str, out: Path) -> AuditView:
    """The stored audit trail of ``doc_id`` from a run's output under ``out``."""
    for table in TABLES:
        for file in sorted((out / table).glob("*.parquet")):
            frame = (
                pl.scan_parquet(file)
                .filter(pl.col("doc_id") == doc_id)
                .select("doc_id", "raw_path", "story_index", "title", "audit", "warnings")
                .collect()
            )
            if frame.height:
                row = frame.row(0, named=True)
                audit = tuple(
                    LineFate(int(a["line_no"]), a["fate"], a["rule"], a["text"] or "")
                    for a in row["audit"] or []
                )
                return AuditView(
                    row["doc_id"],
                    f"{table}/{file.name}",
                    row["raw_path"],
                    int(row["story_index"]),
                    row["title"],
                    audit,
                    tuple(row["warnings"] or ()),
                )
    raise InputError(
        f"no story with doc_id {doc_id!r} under {out}/{{{','.join(TABLES)}}}; "
        "pass a raw .txt file instead, or run `cleaner run` first"
    )


_STYLE: dict[str, str] = {"body": "green", "removed": "red"}


def mark(fate: Fate) -> str:
    """The word shown for a fate: kept, removed, or the field the line moved to.

    >>> mark("body"), mark("removed"), mark("title")
    ('kept', 'removed', '-> title')
    """
    if fate == "body":
        return "kept"
    return "removed" if fate == "removed" else f"-> {fate}"


def render(view: AuditView, console: Console) -> None:
    """Print the raw story, one row per non-blank line, marked with its fate and rule."""
    head = f"[bold]{view.doc_id}[/bold]  {view.raw_path} story {view.story_index}  ({view.where})"
    console.print(head)
    if view.title:
        console.print(f"title: {view.title}")
    if view.warnings:
        console.print(f"warnings: {', '.join(view.warnings)}")
    table = Table(show_header=True, header_style="bold", expand=False)
    table.add_column("line", justify="right")
    table.add_column("fate")
    table.add_column("rule")
    table.add_column("text", overflow="fold")
    for entry in view.audit:
        style = _STYLE.get(entry.fate, "cyan")
        table.add_row(
            str(entry.line_no), Text(mark(entry.fate), style=style), entry.rule, Text(entry.text)
        )
    console.print(table)


def iter_records(raw_dir: Path, cfg: Config) -> Iterator[RawRecord]:
    """Records under ``raw_dir``: through ingest when it is available, else the .txt files."""
    try:
        from cleaner.ingest import ingest
    except ImportError:
        for path in sorted(raw_dir.rglob("*.txt")):
            yield read_raw_file(path, raw_dir)
        return
    for item in ingest(raw_dir, cfg.ingest):
        if isinstance(item, RawRecord) and item.defect is None:
            yield item


def cruft_candidates(
    raw_dir: Path,
    cfg: Config,
    min_stories: int | None = None,
) -> tuple[LearnedCruft, ...]:
    """Learned cruft over every story under ``raw_dir``, most frequent first per source."""
    if not raw_dir.is_dir():
        raise InputError(f"raw folder not found: {raw_dir}")
    stories: list[Story] = []
    for record in iter_records(raw_dir, cfg):
        stories.extend(split(record, cfg.split))
    threshold = cfg.normalise.learned_min_stories if min_stories is None else min_stories
    return learn(stories, threshold)
