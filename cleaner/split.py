"""Split: one record -> one or more stories, each tagged with the boundary rule."""

from __future__ import annotations

from cleaner.config import SplitConfig
from cleaner.records import RawRecord, Story


def split(record: RawRecord, cfg: SplitConfig) -> list[Story]:
    """Cut a record into stories at separator lines (only a no-break space)."""
    lines = record.text.splitlines()
    stories: list[Story] = []
    start, rule = 0, "start"
    for i, line in enumerate([*lines, "\u00a0"]):
        if line == "\u00a0" or i == len(lines):
            chunk = lines[start:i]
            if any(x.strip() for x in chunk):
                stories.append(Story(record, len(stories), start + 1, i, tuple(chunk), rule))
            start, rule = i + 1, "separator_nbsp"
    return stories or [Story(record, 0, 1, max(len(lines), 1), tuple(lines), "start")]
