"""Validation: each default check, per-row mapping, suites edited as JSON, the seeds."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.config import Config, ValidateConfig
from cleaner.errors import ConfigError
from cleaner.records import Article
from cleaner.schema import articles_frame
from cleaner.validate import ValidationResult, suite_folder, validate
from tests.conftest import CASES, need_seeds

NOW = datetime(2025, 1, 15, 9, 30, tzinfo=UTC)
CASEFILE = json.loads((CASES / "validate_checks.json").read_text(encoding="utf-8"))
SENTENCE = (
    "The harbour authority reopened the northern quay after repairs, and traders said the "
    "first ships would dock before the weekend."
)
BODY = " ".join([SENTENCE] * 3)


def article(doc_id: str = "d0", **changes: Any) -> Article:
    """A complete, ordinary (invented) story; ``changes`` override its fields."""
    base = Article(
        doc_id=doc_id,
        title="Harbour reopens after repairs",
        body=BODY,
        summary=(),
        caption=None,
        source="The Coastal Herald",
        published=date(2024, 11, 2),
        updated=None,
        dateline="PORTVILLE",
        byline=None,
        url="https://example.org/harbour",
        language="en",
        word_count=len(BODY.split()),
        raw_path="herald/a.txt",
        record_index=0,
        story_index=0,
        line_start=1,
        line_end=9,
        file_hash="0" * 32,
        split_rule="start",
        profile=None,
        fixes=(),
        audit=(),
        warnings=(),
    )
    if isinstance(changes.get("published"), str):
        changes["published"] = date.fromisoformat(changes["published"])
    if "warnings" in changes:
        changes["warnings"] = tuple(changes["warnings"])
    return replace(base, **changes)


def run(*articles: Article, cfg: ValidateConfig | None = None) -> ValidationResult:
    return validate(articles_frame(list(articles)), cfg or ValidateConfig(), now=NOW)


def failed(result: ValidationResult, row: int = 0) -> list[str]:
    return [c["expectation"] for c in result.rows.row(row, named=True)["failed_checks"]]


@pytest.mark.parametrize("case", CASEFILE["cases"], ids=lambda c: c["name"])
def test_default_check(case: dict[str, Any]) -> None:
    result = run(article(**case["record"]))
    assert sorted(failed(result)) == sorted(case["fails"]), case["why"]
    critical = {c.expectation for c in result.checks if c.severity == "critical"}
    assert result.rows["critical"][0] == bool(critical & set(case["fails"]))


def test_every_default_check_has_a_failing_case() -> None:
    names = {c.expectation for c in run(article()).checks}
    covered = {name for case in CASEFILE["cases"] for name in case["fails"]}
    assert names == covered | {"doc_id_duplicate"}  # needs two rows: its own test below


def test_failures_map_to_their_rows_in_input_order() -> None:
    result = run(
        article("a"),
        article("b", source=None, word_count=12),
        article("c"),
        article("d", title=None),
    )
    assert result.rows["doc_id"].to_list() == ["a", "b", "c", "d"]
    assert result.rows["critical"].to_list() == [False, True, False, False]
    assert failed(result, 1) == ["body_too_short", "source_missing"]
    assert failed(result, 3) == ["title_missing"]
    assert failed(result, 0) == failed(result, 2) == []
    counts = {c.expectation: c.failed for c in result.checks}
    assert counts["source_missing"] == 1 and counts["title_missing"] == 1
    assert counts["published_missing"] == 0


def test_messages_are_readable_and_quote_what_was_found() -> None:
    result = run(article(body=BODY + "\nShort Url", word_count=7, published="1985-06-01"))
    checks = result.rows.row(0, named=True)["failed_checks"]
    messages = {c["expectation"]: c["message"] for c in checks}
    assert messages["cruft_line_in_body"] == "body has a known cruft line (found 'Short Url')"
    assert messages["body_too_short"] == "body has fewer than 40 words (got 7)"
    assert "1985-06-01" in messages["published_out_of_range"]
    assert {c["column"] for c in checks} == {"body", "word_count", "published"}


def test_duplicate_doc_ids_fail_on_every_copy() -> None:
    result = run(article("x"), article("y"), article("x"))
    assert result.rows["critical"].to_list() == [True, False, True]
    assert "'x' appears 2 times" in result.rows.row(0, named=True)["failed_checks"][0]["message"]


def test_now_is_injectable() -> None:
    story = article(published="2025-01-20")
    late = validate(articles_frame([story]), ValidateConfig(), now=datetime(2025, 1, 18))
    early = validate(articles_frame([story]), ValidateConfig(), now=datetime(2025, 1, 10))
    assert failed(late) == [] and failed(early) == ["published_out_of_range"]
    wider = ValidateConfig(published_max_days_ahead=10)
    assert failed(validate(articles_frame([story]), wider, now=datetime(2025, 1, 10))) == []


def test_empty_batch() -> None:
    result = run()
    assert result.rows.height == 0 and result.rejected == 0
    assert all(c.failed == 0 for c in result.checks)


@pytest.fixture
def suite_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "suites"
    shutil.copytree(suite_folder(ValidateConfig()), folder)
    return folder


def edit(folder: Path, change: Any) -> ValidateConfig:
    path = folder / "articles.json"
    suite = json.loads(path.read_text(encoding="utf-8"))
    change(suite["expectations"])
    path.write_text(json.dumps(suite, indent=2), encoding="utf-8")
    return ValidateConfig(suite_dir=str(folder))


def by_name(expectations: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(e for e in expectations if e["meta"]["name"] == name)


def test_relaxing_a_check_in_json_accepts_the_record(suite_copy: Path) -> None:
    short = article(word_count=25)
    assert run(short).rows["critical"][0]

    def relax(exps: list[dict[str, Any]]) -> None:
        by_name(exps, "body_too_short")["kwargs"]["min_value"] = 20

    assert failed(run(short, cfg=edit(suite_copy, relax))) == []


def test_demoting_a_check_to_warning_keeps_the_record(suite_copy: Path) -> None:
    def demote(exps: list[dict[str, Any]]) -> None:
        by_name(exps, "source_missing")["severity"] = "warning"

    result = run(article(source=None), cfg=edit(suite_copy, demote))
    assert failed(result) == ["source_missing"] and not result.rows["critical"][0]


def test_adding_a_check_in_json_rejects_the_record(suite_copy: Path) -> None:
    def add(exps: list[dict[str, Any]]) -> None:
        exps.append(
            {
                "type": "expect_column_values_to_not_be_null",
                "kwargs": {"column": "url"},
                "meta": {"name": "url_missing"},
                "severity": "critical",
                "description": "no url",
            }
        )

    result = run(article(url=None), cfg=edit(suite_copy, add))
    assert failed(result) == ["url_missing"] and result.rows["critical"][0]
    assert result.rows.row(0, named=True)["failed_checks"][0]["message"] == "no url"


def test_a_second_suite_file_is_applied_too(suite_copy: Path) -> None:
    extra = {
        "name": "house_rules",
        "expectations": [
            {
                "type": "expect_column_values_to_be_in_set",
                "kwargs": {"column": "language", "value_set": ["en"]},
                "meta": {"name": "language_not_english"},
                "severity": "warning",
                "description": "story is not in English",
            }
        ],
    }
    (suite_copy / "house.json").write_text(json.dumps(extra), encoding="utf-8")
    result = run(article(language="fr"), cfg=ValidateConfig(suite_dir=str(suite_copy)))
    assert result.rows.row(0, named=True)["failed_checks"][0]["message"] == (
        "story is not in English (got 'fr')"
    )


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{not json", "cannot read suite"),
        (
            '{"name": "s", "expectations": [{"type": "expect_nonsense", "kwargs": {}}]}',
            "expect_nonsense not found",
        ),
        (
            '{"name": "s", "expectations": [{"type": "expect_column_values_to_not_be_null",'
            ' "kwargs": {"column": "colour"}}]}',
            "unknown column 'colour'",
        ),
        (
            '{"name": "s", "expectations": [{"type": "expect_column_values_to_not_be_null",'
            ' "kwargs": {"column": "title"}, "severity": "fatal"}]}',
            "Invalid severity",
        ),
    ],
)
def test_a_broken_suite_is_a_config_error(tmp_path: Path, content: str, words: str) -> None:
    (tmp_path / "bad.json").write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=words):
        run(article(), cfg=ValidateConfig(suite_dir=str(tmp_path)))


def test_missing_suite_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="suite folder not found"):
        run(article(), cfg=ValidateConfig(suite_dir=str(tmp_path / "nowhere")))


def test_seed_000_by_hand_is_rejected_for_date_and_source() -> None:
    """Story 000 of the seeds: a wire story with no title, date or source anywhere."""
    story = article(title=None, source=None, published=None, dateline=None, url=None)
    result = run(story)
    critical = [
        c for c in result.rows.row(0, named=True)["failed_checks"] if c["severity"] == "critical"
    ]
    assert [c["column"] for c in critical] == ["published", "source"]
    assert result.rows["critical"][0]


def test_seeds_prepared_then_validated() -> None:
    seeds = need_seeds()
    from cleaner.pipeline import prepare

    articles = prepare(seeds, Config()).articles
    result = validate(articles, ValidateConfig(), now=NOW)
    judged = articles.select("raw_path", "story_index").hstack(result.rows)
    first = judged.filter(pl.col("raw_path").str.starts_with("000_")).row(0, named=True)
    critical = sorted(c["column"] for c in first["failed_checks"] if c["severity"] == "critical")
    assert first["critical"] and {"published", "source"} <= set(critical)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.sampled_from(CASEFILE["cases"]), min_size=1, max_size=6), st.randoms())
def test_outcome_of_a_row_does_not_depend_on_its_neighbours(
    cases: list[dict[str, Any]], rnd: Any
) -> None:
    stories = [article(f"d{i}", **case["record"]) for i, case in enumerate(cases)]
    rnd.shuffle(stories)
    result = run(*stories)
    by_doc = {s.doc_id: s for s in stories}
    for row in result.rows.iter_rows(named=True):
        alone = run(by_doc[row["doc_id"]])
        assert row["failed_checks"] == alone.rows.row(0, named=True)["failed_checks"]
        assert row["critical"] == any(c["severity"] == "critical" for c in row["failed_checks"])
