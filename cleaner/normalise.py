"""Normalise: repair text and remove cruft lines, recording what changed."""

from __future__ import annotations

import unicodedata

import ftfy

from cleaner.cruft import CruftRules
from cleaner.records import Line, LineFate, Normalised, Story


def normalise(story: Story, rules: CruftRules) -> Normalised:
    kept: list[Line] = []
    removed: list[LineFate] = []
    fixes: set[str] = set()
    for offset, raw in enumerate(story.lines):
        line_no = story.line_start + offset
        text = unicodedata.normalize("NFC", ftfy.fix_text(raw)).replace("\u00a0", " ").strip()
        if text != raw.strip():
            fixes.add("text_repair")
        if not text:
            continue
        rule = rules.match(text)
        if rule:
            removed.append(LineFate(line_no, "removed", rule, raw))
        else:
            kept.append(Line(line_no, text))
    return Normalised(story, tuple(kept), tuple(removed), tuple(sorted(fixes)), None)
