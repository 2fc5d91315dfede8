"""Shared helpers for the text-stage tests: run split -> normalise -> extract in memory."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cleaner.audit import process, read_raw_file
from cleaner.config import Config
from cleaner.records import Article, GivenFields, RawRecord

CASES = Path(__file__).resolve().parent / "cases"
LOOKALIKE = CASES / "lookalike"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SEEDS = SHARED / "seeds"


def record(text: str, path: str = "sample.txt", given: GivenFields | None = None) -> RawRecord:
    return RawRecord(
        path=path,
        file_hash="0" * 32,
        record_index=0,
        text=text,
        encoding="utf-8",
        fmt="txt",
        given=given or GivenFields(),
    )


def articles_of(
    lines: Sequence[str],
    cfg: Config | None = None,
    path: str = "sample.txt",
    given: GivenFields | None = None,
) -> list[Article]:
    return process([record("\n".join(lines), path, given)], cfg or Config())


def articles_in(folder: Path, cfg: Config | None = None) -> dict[tuple[str, int], Article]:
    records = [read_raw_file(p, folder) for p in sorted(folder.glob("*.txt"))]
    return {(a.raw_path, a.story_index): a for a in process(records, cfg or Config())}
