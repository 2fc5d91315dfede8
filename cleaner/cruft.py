"""Cruft rules: named line rules that say which lines are page furniture."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from cleaner.config import NormaliseConfig
from cleaner.records import Story


@dataclass(frozen=True, slots=True)
class LineRule:
    name: str
    pattern: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class CruftRules:
    rules: tuple[LineRule, ...]

    def match(self, line: str) -> str | None:
        """The name of the first rule that matches the whole line, if any."""
        for rule in self.rules:
            if rule.pattern.fullmatch(line.strip()):
                return rule.name
        return None


GENERIC = (
    LineRule("photo_marker", re.compile(r"PHOTO")),
    LineRule("short_url", re.compile(r"Short Url")),
    LineRule("follow_button", re.compile(r"Follow")),
    LineRule("updated_stamp", re.compile(r"Updated \d{1,2} \w+ \d{4}")),
    LineRule("published_in_footer", re.compile(r"Published in .+, .+\d{4}")),
)


def compile_rules(cfg: NormaliseConfig, stories: Sequence[Story]) -> CruftRules:
    return CruftRules(GENERIC)
