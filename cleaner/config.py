"""Configuration: frozen dataclasses and their loading from TOML.

Config is inert data. Anything that can be derived from it (LSH bands and rows from
a similarity threshold, compiled rule sets from profile files) is derived by the
stage that uses it, with its own tests.

A config file mirrors these classes, one table per stage::

    [ingest.fields]
    text = ["text", "body"]

    [extract]
    source_by_dir = { "dawn" = "Dawn" }

    [dedup]
    min_similarity = 0.8
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, TypeVar, get_type_hints

from cleaner.errors import ConfigError


@dataclass(frozen=True, slots=True)
class FieldMap:
    """Which record fields (JSON keys, CSV / Parquet columns) hold what; first match wins."""

    text: tuple[str, ...] = ("text", "body", "content", "article", "story")
    title: tuple[str, ...] = ("title", "headline")
    url: tuple[str, ...] = ("url", "link")
    published: tuple[str, ...] = ("date", "published", "published_at", "pubdate")
    source: tuple[str, ...] = ("source", "site", "publisher")
    byline: tuple[str, ...] = ("author", "byline")
    language: tuple[str, ...] = ("language", "lang")


@dataclass(frozen=True, slots=True)
class IngestConfig:
    """How ingest reads RAW: which fields hold what, the record size cap, what to skip."""

    fields: FieldMap = field(default_factory=FieldMap)
    # A single text record larger than this is quarantined rather than parsed:
    # no real news story is 50 MB, and line rules on it would stall the night.
    max_record_bytes: int = 50_000_000
    # Glob patterns (relative to RAW; "**/" spans any folders) to skip: hidden files
    # and folders (a scraper's ".partial" downloads, ".git") and editor backups are not
    # inputs.  Excluded files get no FileOutcome.
    exclude: tuple[str, ...] = ("**/.*", "**/*~")


@dataclass(frozen=True, slots=True)
class SplitConfig:
    enabled: bool = True
    # A candidate story shorter than this many non-blank lines is glued back to its
    # neighbour: a lone subhead must never become a story of its own.
    min_story_lines: int = 3


@dataclass(frozen=True, slots=True)
class NormaliseConfig:
    # Extra folders of publisher profiles (*.toml), searched after the bundled ones.
    profile_dirs: tuple[str, ...] = ()
    # Off by default: a line recurring across a batch is only a *candidate*; users
    # review `cleaner cruft` output before trusting it to delete text unattended.
    strip_learned_cruft: bool = False
    # A wildcarded line seen in at least this many stories of one source is cruft.
    learned_min_stories: int = 5
    # Find the article span inside whole-page dumps (navigation, comments, footers).
    page_dumps: bool = True
    # Re-join paragraphs hard-wrapped at a fixed width.
    rejoin_wrapped: bool = True


@dataclass(frozen=True, slots=True)
class ExtractConfig:
    # Source (publisher) per input sub-folder of RAW, used when the record names none.
    source_by_dir: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DedupConfig:
    """Settings of the dedup stage; every default says why it is what it is.

    >>> DedupConfig().min_similarity
    0.7
    """

    # Word n-gram size of the shingles fed to MinHash. 3 rather than the usual 5: OCR noise
    # of 3% of characters corrupts ~15% of words, which kills 56% of 5-grams but 39% of
    # 3-grams, so noisy reprints keep a Jaccard high enough to become candidates.
    shingle_size: int = 3
    # MinHash slots (one-permutation hashing with densification). 128 is the common
    # quality/cost point; bands and rows are derived from it and `lsh_threshold`.
    num_perm: int = 128
    # Estimated shingle Jaccard at which a pair should become a candidate. Low on purpose:
    # candidates are only proposals, every one is verified on the real texts, so a missed
    # candidate costs recall for good while an extra one costs a few microseconds.
    lsh_threshold: float = 0.3
    # Weight of false negatives when deriving bands/rows (false positives get 1 - this).
    # Above 0.5 for the same reason as the low threshold: verification removes extras.
    lsh_false_negative_weight: float = 0.8
    # Tokens of the lead (start of the body) signed as a second view. Wire copies are cut
    # from the bottom (inverted pyramid), so a copy truncated to 40% shares its lead in
    # full even though it shares only 40% of the body's shingles.
    lead_tokens: int = 80
    # Verified token similarity (2*matched / (len a + len b)) that makes a near duplicate.
    # On the benchmark corpus 95% of true pairs (3% OCR noise, cruft, light edits) score
    # above 0.7 while different stories on one event with shared sentences peak at 0.6.
    min_similarity: float = 0.7
    # Verified share of the shorter text found, in order, in the longer one that makes a
    # "contained" duplicate (a copy cut to its first 40%, or a story with an added
    # paragraph). Only matched runs of `min_run` tokens count, so scattered function
    # words of an unrelated story do not add up.
    min_containment: float = 0.7
    # Below this exact-word similarity or containment a pair is not re-aligned with
    # misspelt words counted as matched (align_fuzzy). A copy with 3% OCR noise on both
    # sides keeps ~0.5 on exact words, while unrelated stories score near 0: the floor
    # only saves the cost of re-aligning pairs that cannot become duplicates.
    fuzzy_floor: float = 0.35
    # Shortest run of consecutive matching tokens that counts as matched text. Runs of
    # 1-2 words ("said the", "in the") occur between any two English stories.
    min_run: int = 3
    # A contained copy must keep at least this share of the longer text's tokens; below
    # it, a short brief quoting one paragraph of a long story is not a copy of it.
    min_length_ratio: float = 0.2
    # ... and at least this many tokens: a 10-word line is contained in many stories.
    min_contained_tokens: int = 25
    # Template guard: a candidate whose aligned differences include at least this many
    # changed numbers or names is a templated story (earnings, results, weather), not a
    # copy. 2 because one changed figure can be a correction or an OCR slip.
    template_min_changes: int = 2
    # ... and where changed numbers/names make at least this share of the number/name
    # tokens of the shorter text (a long story with two OCR slips in 60 figures is a copy).
    template_min_share: float = 0.1
    # A single changed number/name is enough when it is this large a share of the facts:
    # a 25-word cut of a weather or results story holds only 4-9 of them, so one changed
    # figure in it is a different report (at 0.2, 18 of 200k benchmark stories merged
    # that way); a corrected figure in a 40-fact story (2.5%) is still the same story.
    template_single_change_share: float = 0.1
    # One changed number in a near copy shorter than this many words (a results line, a
    # forecast, a price note) makes it another story; a corrected figure is tolerated in
    # longer ones. On the 200k benchmark, one-number near pairs of different stories are
    # 65-73 words long (full templated stories), those of one story 113 words or more.
    template_short_tokens: int = 80
    # ... and so does one name changed inside the shared text of such a copy, when the two
    # names are less alike than this (character similarity once OCR misreads are undone;
    # in a sample of benchmark pairs, names garbled by OCR kept 0.50-0.74 and most
    # filled-in names 0.13-0.43). In a cut copy (contained) of this many words or more, a
    # name changed inside the shared text counts only when it is this unlike, too; in a
    # shorter one, any changed name does.
    template_other_name_similarity: float = 0.45
    # Two names (capitalised words) closer than this character similarity are the same
    # name with a typo ("Thrasher"/"Thrashex"), not a changed name.
    template_name_similarity: float = 0.75
    # Candidates verified per story at most, best first (most bands shared in buckets of
    # at most max_bucket stories, then most bands shared); all of them are verified,
    # since star clusters need every match of a story to find the centre. A copy shares
    # its own facts' rare bands, look-alikes the template's common ones, so copies come
    # first; the cap bounds the cost of a templated story with thousands of look-alikes.
    # 5 = the first round's 3 (template_stop) and 2 more. Measured on the benchmark
    # corpus (bench/results/dedup.md): 8 found 0.1 % more duplicate pairs at 1M stories
    # (recall 0.9481 against 0.9469) for ~20 % more time; 3 is ~15 % faster again.
    max_candidates: int = 5
    # Stop checking a story's candidates once this many of its best ones were stopped by
    # the template guard: it is a templated story (a results table, a weather report)
    # and its weaker candidates are more of the same template. A real copy shares more
    # bands than any look-alike, so it is among the first ones checked.
    template_stop: int = 3
    # ... and once this many of them were plain misses (other stories, told apart by the
    # alignment rather than stopped by the guard): a copy shares more bands than a story
    # that merely shares a sentence with it, so when the best ones are all other stories
    # the weaker ones are too. Counted over the first round, the `template_stop` best;
    # 0 checks on. On the 1M benchmark corpus, the weaker candidates of stories whose 3
    # best were all misses are 567,000 checks (15 % of all) that find 380 true copies:
    # recall 0.9469 -> 0.9463 for 8 % less time; the stories a larger corpus adds share
    # sentences with ever more others, so this is where the work grows fastest.
    miss_stop: int = 3
    # Candidates whose bodies' estimated shingle Jaccard is below this are not verified:
    # the agreement of their 128 MinHash slots (one byte each, `dedup.sketch`), a few
    # nanoseconds against an alignment's microseconds. The weakest true duplicates are
    # cut copies: a fifth of a long story (min_length_ratio), OCR noise breaking up to
    # ~40 % of its shingles, J ~0.12; 0.06 is half that, two standard deviations of the
    # 128-slot estimate below it. What it removes are stories whose leads share a
    # sentence and little else, the candidates that grow with the batch. 0 verifies all.
    candidate_min_jaccard: float = 0.06
    # ... nor those whose smaller body is estimated to be contained in the larger one to
    # less than this (shared shingles over the smaller's, from the same agreement and the
    # two token counts; `sketch.SlotFloor`). Verification judges containment: verified
    # duplicates on the 200k benchmark keep 0.29 or more of the smaller body's shingles
    # (0.1 % under 0.39), and 0.2 is two standard deviations of the estimate below 0.29.
    # Two stories of one size whose leads share a sentence keep a tenth or so, and they
    # are what a denser batch adds. 0 leaves only candidate_min_jaccard.
    candidate_min_containment: float = 0.2
    # An LSH bucket with more stories than this (a template shared by thousands) links
    # each member only to its `bucket_top` best-ranked stories instead of all pairs,
    # keeping candidate pairs linear in the batch size.
    max_bucket: int = 16
    bucket_top: int = 8
    # Order of the keep rule that picks the canonical copy of a cluster. Names:
    # "complete" (has title, date and source), "longest" (body tokens), "earliest"
    # (published), "source_priority", "doc_id" (always last: makes the choice total).
    keep_rule: tuple[str, ...] = ("complete", "longest", "earliest", "source_priority", "doc_id")
    # Sources preferred as canonical when the rules before it tie (first is best);
    # unlisted sources rank after listed ones. Empty by default: no publisher is favoured.
    source_priority: tuple[str, ...] = ()
    # Documents per signature batch: bounds memory (the token and shingle arrays of one
    # batch, ~10 arrays of 8 bytes per token, ~150 MB for 5k stories of 400 words) while
    # keeping numpy's per-call overhead negligible.
    batch_size: int = 5_000
    # Worker processes verifying candidate pairs; 0 = every core this process may use.
    # Verdicts do not depend on it (each pair is judged on its two texts alone), so the
    # output is the same with 1 worker or 8; small batches are verified in process.
    workers: int = 0

    def __post_init__(self) -> None:
        for name in ("candidate_min_jaccard", "candidate_min_containment"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"dedup.{name} must be in [0, 1], got {value}")


@dataclass(frozen=True, slots=True)
class DriftConfig:
    # Compare tonight with at most this many earlier runs: two weeks of nightly runs
    # is long enough to know a source's usual volume, short enough to follow a real change.
    history: int = 14
    # Say nothing until this many earlier runs exist: one earlier night is an anecdote.
    min_history: int = 3
    # Stories per source: flag below usual * low or above usual * high ...
    stories_low: float = 0.5
    stories_high: float = 3.0
    # ... and only when the difference is at least this many stories, so a source
    # that usually sends 3 stories and sends 1 tonight is not an alarm.
    stories_min_change: int = 10
    # Reject rate and missing-date rate: flag a move of this many points (0.2 = 20 %).
    rate_change: float = 0.2
    # Cruft lines removed per story: flag a move of at least this many lines per story
    # (a changed page template shows up as several new lines per story at once).
    cruft_change: float = 2.0


@dataclass(frozen=True, slots=True)
class ValidateConfig:
    # Folder of great-expectations suites (*.json, all applied, in name order). A
    # relative path is looked up in the working directory, then beside the package
    # (so the bundled expectations/ works from any directory in a checkout).
    suite_dir: str = "expectations"
    # `cleaner validate` exits 1 when the share of rejected records exceeds this;
    # 0 means any critical failure fails the command.
    max_reject_rate: float = 0.0
    # Suites may say {"$PARAMETER": "latest_published"}: today (UTC) plus this many
    # days. Two days, because time zones and scrapers that stamp tomorrow's print
    # edition give honest dates slightly ahead of the clock; more is a broken parser.
    published_max_days_ahead: int = 2
    drift: DriftConfig = field(default_factory=DriftConfig)


@dataclass(frozen=True, slots=True)
class RunConfig:
    # Pin the run id (and with it every timestamp written) for reproducible tests;
    # None means "derive from the clock at start".
    run_id: str | None = None
    # Records per processing chunk: large enough that per-chunk statistics (learned
    # cruft) are representative, small enough that one chunk's Python objects stay
    # well under a gigabyte.
    chunk_records: int = 5_000


@dataclass(frozen=True, slots=True)
class Config:
    ingest: IngestConfig = field(default_factory=IngestConfig)
    split: SplitConfig = field(default_factory=SplitConfig)
    normalise: NormaliseConfig = field(default_factory=NormaliseConfig)
    extract: ExtractConfig = field(default_factory=ExtractConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    validate: ValidateConfig = field(default_factory=ValidateConfig)
    run: RunConfig = field(default_factory=RunConfig)


T = TypeVar("T")


def load_config(path: Path | None) -> Config:
    """Read a TOML config file; ``None`` gives the defaults.

    Unknown keys are an error, not silently ignored: a typo in a nightly job's
    config must not quietly change what gets cleaned.
    """
    if path is None:
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    return build(Config, data, "config")


def build(cls: type[T], data: Any, where: str) -> T:
    """Build dataclass ``cls`` from nested TOML ``data``, checking keys and types.

    >>> build(DedupConfig, {"min_similarity": 0.9}, "dedup").min_similarity
    0.9
    """
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a table, got {type(data).__name__}")
    assert is_dataclass(cls)
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {sorted(known)}")
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        hint = hints[name]
        if is_dataclass(hint):
            kwargs[name] = build(hint, value, f"{where}.{name}")  # type: ignore[arg-type]
        elif getattr(hint, "__origin__", None) is tuple:
            if not isinstance(value, list):
                raise ConfigError(f"{where}.{name}: expected a list")
            kwargs[name] = tuple(value)
        else:
            kwargs[name] = value
    return cls(**kwargs)
