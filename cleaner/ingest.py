"""Ingest: the RAW folder -> a lazy stream of records, and an outcome per file."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from pathlib import Path

import xxhash

from cleaner.config import IngestConfig
from cleaner.records import FileOutcome, RawRecord


def ingest(
    raw_dir: Path, cfg: IngestConfig, skip: Collection[str] = ()
) -> Iterator[RawRecord | FileOutcome]:
    """Yield every text file's record, then that file's outcome, in sorted path order.

    Paths in ``skip`` (relative, posix) are not read at all: the incremental run
    already knows them unchanged.
    """
    for path in sorted(p for p in raw_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(raw_dir).as_posix()
        if rel in skip:
            continue
        if any(path.relative_to(raw_dir).match(pat) for pat in cfg.exclude):
            continue
        data = path.read_bytes()
        digest = xxhash.xxh3_128_hexdigest(data)
        if path.suffix != ".txt":
            yield FileOutcome(rel, path.suffix.lstrip("."), len(data), digest, "skipped", 0,
                              ("unsupported format",))
            continue
        text = data.decode("utf-8", errors="replace")
        yield RawRecord(path=rel, file_hash=digest, record_index=0, text=text,
                        encoding="utf-8", fmt="txt")
        yield FileOutcome(rel, "txt", len(data), digest, "ok", 1)
