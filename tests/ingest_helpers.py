"""Helpers shared by the ingest tests: run ingest over a folder and split the stream."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cleaner.config import IngestConfig
from cleaner.ingest import ingest
from cleaner.records import FileOutcome, RawRecord


@dataclass(frozen=True)
class Result:
    records: list[RawRecord]
    outcomes: list[FileOutcome]

    def outcome(self, path: str) -> FileOutcome:
        (found,) = [o for o in self.outcomes if o.path == path]
        return found

    def of(self, path: str) -> list[RawRecord]:
        return [r for r in self.records if r.path == path]


def run(raw: Path, cfg: IngestConfig | None = None) -> Result:
    """Ingest ``raw`` and check the stream's shape: each file's records, then its outcome."""
    records: list[RawRecord] = []
    outcomes: list[FileOutcome] = []
    pending: list[RawRecord] = []
    for item in ingest(raw, cfg or IngestConfig()):
        if isinstance(item, RawRecord):
            assert not outcomes or outcomes[-1].path != item.path, "record after its outcome"
            pending.append(item)
        else:
            assert all(r.path == item.path for r in pending), "records not followed by outcome"
            assert item.records == len(pending)
            records.extend(pending)
            pending = []
            outcomes.append(item)
    assert not pending, "records without a FileOutcome"
    assert [o.path for o in outcomes] == sorted(o.path for o in outcomes)
    return Result(records, outcomes)
