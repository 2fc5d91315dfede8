"""Cruft line rules: generic rules, publisher profiles and cruft learned from a batch.

A cruft rule is a named regular expression matched against a whole (repaired,
stripped) line, plus the line's fate: ``removed`` for page furniture ("Short Url",
"Follow", share buttons), or a field name for furniture that carries a value
("Updated 06 October 2024" feeds ``updated``).  Rules match whole lines only, which is
what keeps "Follow the money, she said." or "Updated figures show ..." untouched.

Publisher profiles are TOML data files (``cleaner/profiles/*.toml`` plus any folder in
``NormaliseConfig.profile_dirs``), one per layout: how to recognise the layout, the
source it implies, and its own rules.  Patterns may use ``{date}`` for any date form
that :mod:`cleaner.dates` parses.

Learned cruft: a short line that recurs, digits and dates wildcarded, in many stories
of one source is almost certainly furniture.  :func:`learn` counts them per source;
``cleaner cruft`` lists them, and ``strip_learned_cruft`` removes them automatically.
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import cast

from cleaner.config import NormaliseConfig
from cleaner.dates import DATE
from cleaner.errors import ConfigError
from cleaner.records import Fate, Story

BUNDLED_PROFILES = Path(__file__).resolve().parent / "profiles"
RULE_FATES: tuple[Fate, ...] = (
    "removed",
    "updated",
    "published",
    "source",
    "caption",
    "byline",
    "url",
)
NO_SOURCE = "(unknown)"


@dataclass(frozen=True, slots=True)
class LineRule:
    """A named whole-line rule and where a matching line goes."""

    name: str
    pattern: re.Pattern[str]
    fate: Fate = "removed"

    def matches(self, line: str) -> bool:
        return self.pattern.fullmatch(line) is not None


@dataclass(frozen=True, slots=True)
class Profile:
    """One publisher layout, read from a TOML file."""

    name: str
    source: str | None
    recognise: tuple[re.Pattern[str], ...]
    min_matches: int
    rules: tuple[LineRule, ...]
    path: str

    def score(self, lines: Sequence[str]) -> int:
        """How many of the recognising patterns match some line (0 when below the minimum)."""
        hits = sum(1 for p in self.recognise if any(p.fullmatch(line) for line in lines))
        return hits if hits >= self.min_matches else 0


@dataclass(frozen=True, slots=True)
class LearnedCruft:
    """A wildcarded line seen in ``stories`` stories of ``source``."""

    source: str
    pattern: str
    stories: int
    example: str


@dataclass(frozen=True, slots=True)
class CruftRules:
    """Everything normalise needs to decide the fate of a line, compiled once per batch."""

    generic: tuple[LineRule, ...]
    profiles: tuple[Profile, ...]
    learned: tuple[LearnedCruft, ...] = ()
    strip_learned: bool = False
    page_dumps: bool = True
    rejoin_wrapped: bool = True

    def learned_keys(self) -> frozenset[tuple[str, str]]:
        return frozenset((c.source, c.pattern) for c in self.learned)


def _rx(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(pattern.replace("{date}", f"(?:{DATE})"), flags)


_SHARE = (
    r"(?:Share|Tweet|Email|E-mail|Print|WhatsApp|Facebook|Twitter|X|LinkedIn|Pinterest"
    r"|Reddit|Telegram|Copy link|Copy Link|Comment|Comments|Save|Messenger)"
)


def _rule(name: str, *alternatives: str, fate: Fate = "removed") -> LineRule:
    return LineRule(name, _rx("|".join(f"(?:{a})" for a in alternatives)), fate)


#: The built-in generic rules, in the order they are tried.
GENERIC_RULES: tuple[LineRule, ...] = (
    _rule("short_url", r"Short (?:Url|URL|link)"),
    _rule(
        "follow_button", r"(?:Follow|FOLLOW)(?: us| Us)?(?: on [A-Z]\w*(?:,? (?:and )?[A-Z]\w*)*)?"
    ),
    _rule("share_buttons", rf"(?:{_SHARE}(?: (?:this|on \w+|this (?:story|article)))?[\s|,/•·]*)+"),
    _rule("photo_marker", r"PHOTO|PHOTOS|Photo|Photos|IMAGE|VIDEO|Video|WATCH|GALLERY"),
    _rule(
        "photo_credit", r"(?:PHOTO|Photo|Image|File photo)(?: credit)?\s*[:/|]\s*[\w .,/&'-]{1,40}"
    ),
    _rule("advertisement", r"Advertisement|ADVERTISEMENT|Sponsored(?: content)?|Ad|AD"),
    _rule(
        "read_more",
        r"(?:Read more|READ MORE|Read also|Also read|ALSO READ|See also|Related|RELATED"
        r"|More on this|Recommended)(?:\s*[:|»>-].{0,200})?",
    ),
    _rule(
        "newsletter",
        r"(?:Sign up|SIGN UP|Subscribe|SUBSCRIBE)(?: now| today| here)?"
        r"(?:(?: to| for) .{0,60}(?:newsletter|updates|alerts|digest).{0,40})?",
        r"Get (?:our|the) .{0,40}newsletter.{0,60}",
    ),
    _rule(
        "cookie_notice",
        r"(?:We|This (?:site|website)) uses? cookies.{0,160}",
        r".{0,60}\bcookies? (?:policy|settings|preferences|consent)\b.{0,60}",
        r"Accept(?: all)? cookies",
    ),
    _rule(
        "copyright",
        r"(?:©|\([cC]\)|Copyright|COPYRIGHT)\s*(?:©\s*)?(?:19|20)\d\d.{0,100}",
        r"©.{0,100}",
        r".{0,80}All [rR]ights [rR]eserved\.?",
    ),
    _rule("separator_line", r"(?:\*\s*){3,}|[-_=~]{3,}"),
    _rule(
        "updated_stamp",
        r"(?:Last |LAST )?(?:[Uu]pdated|UPDATED)(?: on| at)?:?\s+{date}",
        fate="updated",
    ),
    _rule(
        "published_footer", r"Published in [A-Z][\w .&'\u2019-]{1,40}?,\s+{date}\.?", fate="source"
    ),
    _rule(
        "published_stamp",
        r"(?:Published|PUBLISHED|Posted|First published)(?: on| at)?:?\s+{date}",
        fate="published",
    ),
)


def _load_profile(path: Path) -> Profile:
    where = f"profile {path}"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where} cannot be read as TOML: {exc}") from None
    try:
        name = str(data["name"])
        recognise_table = data.get("recognise", {})
        recognise = tuple(_rx(p) for p in recognise_table.get("patterns", []))
        min_matches = int(recognise_table.get("min_matches", 1))
        rules: list[LineRule] = []
        for rule in data.get("rules", []):
            fate = rule.get("fate", "removed")
            if fate not in RULE_FATES:
                raise ConfigError(
                    f"{where}: rule {rule.get('name')!r} has fate {fate!r}; "
                    f"use one of {', '.join(RULE_FATES)}"
                )
            rules.append(LineRule(f"{name}.{rule['name']}", _rx(rule["pattern"]), cast(Fate, fate)))
    except KeyError as exc:
        raise ConfigError(f"{where}: missing key {exc}") from None
    except re.error as exc:
        raise ConfigError(f"{where}: bad regular expression: {exc}") from None
    if not recognise:
        raise ConfigError(f"{where}: [recognise] needs at least one pattern")
    source = data.get("source")
    return Profile(
        name, str(source) if source else None, recognise, min_matches, tuple(rules), str(path)
    )


def load_profiles(dirs: Iterable[str | Path] = ()) -> tuple[Profile, ...]:
    """Bundled profiles, then those in ``dirs``; a later profile replaces one of the same name.

    >>> sorted(p.name for p in load_profiles())
    ['arab_news', 'dawn', 'harbour_herald', 'wire_photo']
    """
    found: dict[str, Profile] = {}
    for folder in (BUNDLED_PROFILES, *map(Path, dirs)):
        if not folder.is_dir():
            raise ConfigError(f"profile folder not found: {folder}")
        for path in sorted(folder.glob("*.toml")):
            profile = _load_profile(path)
            found[profile.name] = profile
    return tuple(found.values())


def recognise(profiles: Sequence[Profile], lines: Sequence[str]) -> Profile | None:
    """The profile whose recognising patterns match the most lines (first wins a tie)."""
    best: Profile | None = None
    best_score = 0
    for profile in profiles:
        score = profile.score(lines)
        if score > best_score:
            best, best_score = profile, score
    return best


_DATE_RX = re.compile(DATE)
_DIGITS = re.compile(r"\d+")


def wildcard(line: str) -> str:
    """A line's recurrence key: dates become ``<date>``, digit runs ``<n>``.

    >>> wildcard("Updated 06 October 2024 | 3 comments")
    'Updated <date> | <n> comments'
    """
    return _DIGITS.sub("<n>", _DATE_RX.sub("<date>", line.strip()))


def source_key(story: Story) -> str:
    """Which source a story counts under when learning cruft: given source, else folder."""
    if story.record.given.source:
        return story.record.given.source
    parent = PurePosixPath(story.record.path).parent
    return str(parent) if str(parent) != "." else NO_SOURCE


def learnable(line: str) -> bool:
    """Only short lines can be learned as cruft; recurring long sentences are wire copy."""
    text = line.strip()
    return bool(text) and len(text) <= 120 and len(text.split()) <= 12


def learn(stories: Iterable[Story], min_stories: int) -> tuple[LearnedCruft, ...]:
    """Wildcarded short lines found in at least ``min_stories`` stories of one source.

    Sorted by source, then most frequent first, so the listing is deterministic.
    """
    from cleaner.normalise import fix_text  # late import: normalise imports this module

    seen: dict[tuple[str, str], set[tuple[str, int, int]]] = defaultdict(set)
    example: dict[tuple[str, str], str] = {}
    for story in stories:
        key_source = source_key(story)
        ident = (story.record.path, story.record.record_index, story.story_index)
        for raw in story.lines:
            text = fix_text(raw)
            if not learnable(text):
                continue
            key = (key_source, wildcard(text))
            seen[key].add(ident)
            example.setdefault(key, text)
    found = [
        LearnedCruft(source, pattern, len(ids), example[(source, pattern)])
        for (source, pattern), ids in seen.items()
        if len(ids) >= min_stories
    ]
    return tuple(sorted(found, key=lambda c: (c.source, -c.stories, c.pattern)))


def compile_rules(cfg: NormaliseConfig, stories: Sequence[Story]) -> CruftRules:
    """Bundled and user profiles, the generic rules, and cruft learned from this batch."""
    return CruftRules(
        generic=GENERIC_RULES,
        profiles=load_profiles(cfg.profile_dirs),
        learned=learn(stories, cfg.learned_min_stories) if cfg.strip_learned_cruft else (),
        strip_learned=cfg.strip_learned_cruft,
        page_dumps=cfg.page_dumps,
        rejoin_wrapped=cfg.rejoin_wrapped,
    )


@lru_cache(maxsize=64)
def _combined(rules: tuple[LineRule, ...]) -> re.Pattern[str]:
    """All rules as one alternation: one regex pass per line instead of one per rule.

    ``fullmatch`` tries the alternatives in order, so the first rule that matches the
    whole line wins, exactly as if the rules were tried one by one.
    """
    return re.compile("|".join(f"(?P<r{k}>{r.pattern.pattern})" for k, r in enumerate(rules)))


def line_classifier(
    profile: Profile | None,
    rules: CruftRules,
) -> Callable[[str], LineRule | None]:
    """A function giving a line's first matching rule: profile rules, then generic ones.

    Built once per story, so the rule set is compiled and looked up once, not per line.
    """
    candidates = (*(profile.rules if profile else ()), *rules.generic)
    pattern = _combined(candidates)

    def classify_line(line: str) -> LineRule | None:
        m = pattern.fullmatch(line)
        if m is None or m.lastgroup is None:
            return None
        return candidates[int(m.lastgroup[1:])]

    return classify_line


def classify(line: str, profile: Profile | None, rules: CruftRules) -> LineRule | None:
    """The first rule (profile rules before generic ones) that matches a whole line.

    >>> classify("Follow", None, CruftRules(GENERIC_RULES, ())).name
    'follow_button'
    >>> classify("Follow the money, she said.", None, CruftRules(GENERIC_RULES, ())) is None
    True
    """
    return line_classifier(profile, rules)(line)


def profile_toml(candidates: Sequence[LearnedCruft], source: str) -> str:
    """Learned candidates of one source as a profile rule block, ready to paste."""
    out = [f"# learned cruft for source {source!r}"]
    for k, cand in enumerate(c for c in candidates if c.source == source):
        pattern = re.escape(cand.pattern).replace("<date>", "{date}").replace("<n>", r"\d+")
        pattern = pattern.replace("\\ ", " ")
        out += [
            "[[rules]]",
            f'name = "learned_{k + 1}"',
            f"pattern = '{pattern}'",
            f"# seen in {cand.stories} stories, e.g. {cand.example!r}",
            "",
        ]
    return "\n".join(out)
