"""Validate articles against the great-expectations suites in ``expectations/``.

Checks are data, not code: each suite is a great-expectations 1.x ``ExpectationSuite``
in the library's own JSON form, so a user adds, relaxes or removes a check by editing
JSON. Each expectation's own ``severity`` says what a failure means: ``critical``
quarantines the story, ``warning`` (or ``info``) only annotates it. Its
``description`` is the reason a person reads.

great-expectations has no polars engine, so this module converts to pandas in exactly
one place (:func:`_to_pandas`), and only the columns the suites read, as Arrow-backed
columns (no copy of the text into Python objects). Everything the suites need that is
not a plain article column is derived in polars first (:data:`DERIVED`).

A batch result is not enough for quarantine: every failed expectation is mapped back
to the rows it failed through the result's ``unexpected_index_list``.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Literal

import polars as pl

from cleaner.config import ValidateConfig
from cleaner.errors import ConfigError, read_json_object
from cleaner.records import FailedCheck
from cleaner.schema import CHECK, check_rows

Severity = Literal["critical", "warning"]

#: Columns the suites may read that are not article columns, derived in polars.
#: ``extract_warnings`` is the extract stage's warnings joined by ",", so a suite can
#: test for any of them with a pattern such as ``(?:^|,)truncated_paragraph(?:,|$)``.
DERIVED: dict[str, pl.Expr] = {
    "extract_warnings": pl.col("warnings").list.join(","),
}

#: Text columns where an empty or blank string means "missing", as null does.
BLANK_IS_MISSING = ("title", "body", "source", "byline", "dateline", "url", "caption")

_NAMESPACE = uuid.UUID("6b1f3c0e-5d8a-4c7e-9a51-2f1d0c9e7b34")
_MAX_DETAIL = 80


@dataclass(frozen=True, slots=True)
class Check:
    """One expectation of a suite, as cleaner reports it."""

    suite: str
    position: int  # 0-based place in its suite file
    name: str  # meta.name, named after the problem ("source_missing"); else the type
    expectation: str  # the great-expectations type, e.g. expect_column_values_to_be_unique
    column: str | None
    severity: Severity
    description: str
    reads: tuple[str, ...]  # every column the expectation reads
    regex: str | None  # the pattern of a regex expectation, to quote the matching text


@dataclass(frozen=True, slots=True)
class Suite:
    """A loaded suite: where it came from, its checks, and the library's own object."""

    path: Path
    name: str
    checks: tuple[Check, ...]
    gx_suite: Any  # great_expectations.core.ExpectationSuite


@dataclass(frozen=True, slots=True)
class CheckSummary:
    """How many rows one check failed in this batch."""

    expectation: str  # the check's name (meta.name), as in FailedCheck.expectation
    column: str | None
    severity: Severity
    failed: int
    description: str
    kind: str  # the great-expectations type
    suite: str


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """Per-row outcome (``rows``: doc_id, critical, failed_checks) and per-check counts."""

    rows: pl.DataFrame
    checks: tuple[CheckSummary, ...]

    @property
    def rejected(self) -> int:
        """Number of rows that failed at least one critical check."""
        return int(self.rows.get_column("critical").sum())


ROWS_SCHEMA: dict[str, pl.DataType] = {
    "doc_id": pl.Utf8(),
    "critical": pl.Boolean(),
    "failed_checks": pl.List(CHECK),
}


def validate(
    articles: pl.DataFrame, cfg: ValidateConfig, *, now: datetime | None = None
) -> ValidationResult:
    """Run every suite in ``cfg.suite_dir`` over ``articles`` (the ARTICLE columns).

    ``now`` fixes the clock for the run-time bounds (see :func:`suite_parameters`);
    tests pass it, the pipeline leaves it to the clock.

    >>> from cleaner.schema import articles_frame
    >>> validate(articles_frame([]), ValidateConfig()).rows.height
    0
    """
    suites = load_suites(cfg)
    params = suite_parameters(cfg, now or datetime.now(UTC))
    reads = sorted({c for s in suites for check in s.checks for c in check.reads} | {"doc_id"})
    frame = derive(articles, reads)
    data = _to_pandas(frame)
    failures: list[list[FailedCheck]] = [[] for _ in range(frame.height)]
    summaries: list[CheckSummary] = []
    for suite in suites:
        outcomes = _run_suite(suite, data, params)
        for check in suite.checks:
            indexes = outcomes[check.position]
            if indexes is None:  # a batch-level check failed: no row is to blame more
                indexes = list(range(frame.height))
            messages = _messages(check, frame, indexes)
            for index, message in zip(indexes, messages, strict=True):
                failures[index].append(
                    FailedCheck(check.name, check.column, check.severity, message)
                )
            summaries.append(
                CheckSummary(
                    check.name,
                    check.column,
                    check.severity,
                    len(indexes),
                    check.description,
                    check.expectation,
                    suite.name,
                )
            )
    rows = pl.DataFrame(
        {
            "doc_id": articles.get_column("doc_id"),
            "critical": [any(f.severity == "critical" for f in fs) for fs in failures],
            "failed_checks": [check_rows(fs) for fs in failures],
        },
        schema=ROWS_SCHEMA,
    )
    return ValidationResult(rows=rows, checks=tuple(summaries))


def suite_parameters(cfg: ValidateConfig, now: datetime) -> dict[str, str]:
    """The run-time values a suite may name with ``{"$PARAMETER": ...}``.

    A suite file cannot hold "now", so the clock-relative bounds are resolved here, and
    only here: ``today`` and ``latest_published`` (today plus
    ``cfg.published_max_days_ahead``), as ISO dates in UTC.

    >>> suite_parameters(ValidateConfig(), datetime(2024, 2, 28, 23, 0, tzinfo=UTC))
    {'today': '2024-02-28', 'latest_published': '2024-03-01'}
    """
    today = now.astimezone(UTC).date() if now.tzinfo else now.date()
    latest = today + timedelta(days=cfg.published_max_days_ahead)
    return {"today": today.isoformat(), "latest_published": latest.isoformat()}


def derive(articles: pl.DataFrame, reads: Sequence[str]) -> pl.DataFrame:
    """Select the columns the suites read, deriving the ones that are not article columns.

    Blank text counts as missing, so "title present" means a title a person could read.

    >>> frame = pl.DataFrame({"title": ["  ", "Rain"], "warnings": [["a", "b"], []]})
    >>> derive(frame, ["title", "extract_warnings"]).rows()
    [(None, 'a,b'), ('Rain', '')]
    """
    exprs: list[pl.Expr] = []
    for name in reads:
        if name in DERIVED:
            exprs.append(DERIVED[name].alias(name))
        elif name not in articles.columns:
            known = sorted([*articles.columns, *DERIVED])
            raise ConfigError(f"a suite reads unknown column '{name}'; known: {', '.join(known)}")
        elif name in BLANK_IS_MISSING:
            col = pl.col(name)
            exprs.append(pl.when(col.str.strip_chars() == "").then(None).otherwise(col).alias(name))
        else:
            exprs.append(pl.col(name))
    return articles.select(exprs)


def _to_pandas(frame: pl.DataFrame) -> Any:
    """The one conversion to pandas: Arrow-backed columns, so dates stay dates.

    Row positions become the pandas index, which is what the results' unexpected
    indexes refer to.
    """
    return frame.to_pandas(use_pyarrow_extension_array=True)


def suite_folder(cfg: ValidateConfig) -> Path:
    """Where the suites are: ``cfg.suite_dir`` as given, else beside the package."""
    folder = Path(cfg.suite_dir)
    if folder.is_dir():
        return folder
    bundled = Path(__file__).resolve().parents[1] / folder
    if not folder.is_absolute() and bundled.is_dir():
        return bundled
    raise ConfigError(f"suite folder not found: {folder} (set validate.suite_dir in the config)")


def load_suites(cfg: ValidateConfig) -> tuple[Suite, ...]:
    """Load every ``*.json`` suite in the suite folder, in name order."""
    folder = suite_folder(cfg)
    paths = sorted(folder.glob("*.json"))
    if not paths:
        raise ConfigError(f"no suites (*.json) in {folder}")
    return tuple(load_suite(path) for path in paths)


def load_suite(path: Path) -> Suite:
    """Read one suite file; any mistake in it is a ConfigError naming the file."""
    data = read_json_object(path, "suite", ConfigError)
    items = data.get("expectations", [])
    if not isinstance(items, list):
        raise ConfigError(f"suite {path}: 'expectations' must be a list")
    _gx_context()  # the library must be imported quietly before it builds anything
    from great_expectations.core import ExpectationSuite
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    built = []
    for position, item in enumerate(items):
        # One by one: ExpectationSuite(**data) would log and silently drop a bad one.
        kind = item.get("type") if isinstance(item, dict) else None
        try:
            with _quiet_gx():
                expectation = ExpectationConfiguration(**item).to_domain_obj()
        except Exception as exc:  # the library raises many types for a bad entry
            raise ConfigError(
                f"suite {path}: expectation {position} ({kind}): {_brief(exc)}"
            ) from None
        built.append(expectation)
    rest = {k: v for k, v in data.items() if k != "expectations"}
    try:
        with _quiet_gx():
            gx_suite = ExpectationSuite(**rest, expectations=built)
    except Exception as exc:
        raise ConfigError(f"suite {path}: {_brief(exc)}") from None
    if len(gx_suite.expectations) != len(built):
        raise ConfigError(f"suite {path}: some expectations were not accepted")
    checks = []
    for position, expectation in enumerate(gx_suite.expectations):
        # A stable id per place, so each result can be matched to its check.
        expectation.id = _check_id(path, position)
        checks.append(_check(gx_suite.name, position, expectation.configuration))
    return Suite(path=path, name=gx_suite.name, checks=tuple(checks), gx_suite=gx_suite)


def _check_id(path: Path, position: int) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{path.name}:{position}"))


def _check(suite: str, position: int, config: Any) -> Check:
    kwargs: dict[str, Any] = dict(config.kwargs)
    reads: list[str] = []
    for key, value in kwargs.items():
        if key.startswith("column") and isinstance(value, str):
            reads.append(value)
        elif key.startswith("column") and isinstance(value, list):
            reads.extend(v for v in value if isinstance(v, str))
    column = kwargs.get("column")
    severity: Severity = "critical" if config.severity.value == "critical" else "warning"
    regex = kwargs.get("regex")
    name = (config.meta or {}).get("name")
    return Check(
        suite=suite,
        position=position,
        name=name if isinstance(name, str) and name else config.type,
        expectation=config.type,
        column=column if isinstance(column, str) else None,
        severity=severity,
        description=config.description or f"{config.type} failed on {column or 'the batch'}",
        reads=tuple(dict.fromkeys(reads)),
        regex=regex if isinstance(regex, str) else None,
    )


def _run_suite(suite: Suite, data: Any, params: dict[str, str]) -> dict[int, list[int] | None]:
    """Validate one suite; per check position, the failed row indexes (None: whole batch)."""
    batch = _gx_context().get_batch(batch_parameters={"dataframe": data})
    with _quiet_gx():
        result = batch.validate(
            suite.gx_suite,
            result_format={"result_format": "COMPLETE", "exclude_unexpected_values": True},
            expectation_parameters=params,
        )
    by_id = {_check_id(suite.path, c.position): c for c in suite.checks}
    outcomes: dict[int, list[int] | None] = {c.position: [] for c in suite.checks}
    for item in result.results:
        check = by_id[str(item.expectation_config.id)]
        info = item.exception_info or {}
        if info.get("raised_exception"):
            raise ConfigError(
                f"suite {suite.path}: check {check.position} ({check.expectation} on "
                f"{check.column}) could not run: {_brief(info.get('exception_message'))}"
            )
        if item.success:
            continue
        indexes = item.result.get("unexpected_index_list")
        outcomes[check.position] = None if indexes is None else sorted(int(i) for i in indexes)
    return outcomes


def _messages(check: Check, frame: pl.DataFrame, indexes: list[int]) -> list[str]:
    """A readable reason per failed row: the check's description, plus what was found."""
    if not indexes:
        return []
    column = check.column
    plain = column is None or column in DERIVED or column not in frame.columns
    if column is None or plain or "null" in check.expectation:  # the description says it all
        return [check.description] * len(indexes)
    values = frame.get_column(column).gather(indexes)
    details: list[str | None]
    if check.regex is not None:
        found = values.cast(pl.Utf8).str.extract(check.regex, 0).str.strip_chars()
        details = [None if f is None else f"found {_quote(f)}" for f in found.to_list()]
    elif "lengths" in check.expectation:
        details = [f"{n} characters" for n in values.cast(pl.Utf8).str.len_chars().to_list()]
    elif "unique" in check.expectation:
        counts = Counter(values.to_list())
        details = [f"{_quote(v)} appears {counts[v]} times" for v in values.to_list()]
    else:
        details = [None if v is None else f"got {_quote(v)}" for v in values.to_list()]
    return [check.description if d is None else f"{check.description} ({d})" for d in details]


def _quote(value: object) -> str:
    text = str(value)
    text = text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"
    return repr(text) if isinstance(value, str) else text


def _brief(exc: object) -> str:
    """The gist of a library error: its first two lines, on one line."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return " ".join(lines[:2]) if lines else type(exc).__name__


@cache
def _gx_context() -> Any:
    """The one ephemeral context (and whole-dataframe batch definition) per process.

    Ephemeral: nothing is written to the working directory. Analytics and progress
    bars are off; creating a context is slow, so it is done once.
    """
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    with _quiet_gx():
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        source = context.data_sources.add_pandas(name="cleaner")
        asset = source.add_dataframe_asset(name="articles")
        return asset.add_batch_definition_whole_dataframe("whole")


@contextmanager
def _quiet_gx() -> Iterator[None]:
    """Silence the library's own logging: cleaner reports every problem itself."""
    logger = logging.getLogger("great_expectations")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)
