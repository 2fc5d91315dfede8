"""CLI specs for `cleaner dedup` and `cleaner explain`, run in-process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import typer
from typer.testing import CliRunner

from cleaner.commands.dedup import register
from cleaner.config import DedupConfig

CASES = json.loads((Path(__file__).parent / "cases" / "dedup_pairs.json").read_text())["cases"]
runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def test_dedup_writes_one_mapping_row_per_input_row(tmp_path: Path) -> None:
    src = tmp_path / "in.parquet"
    texts = [CASES[0]["a"], CASES[0]["b"], CASES[4]["a"], CASES[4]["b"], CASES[0]["a"]]
    pl.DataFrame({"text": texts}).write_parquet(src)
    res = runner.invoke(_app(), ["dedup", str(src), str(tmp_path / "out"), "--text-col", "text"])
    assert res.exit_code == 0, res.output
    assert "ids generated from content" in res.output
    m = pl.read_parquet(tmp_path / "out" / "mapping.parquet")
    assert m.height == 5
    assert m["duplicate_of"].is_not_null().sum() == 2  # the reprint and the repeated text
    # the reprint is longer (headline and cruft lines), so it is the canonical
    assert m["duplicate_of"].drop_nulls().n_unique() == 1


def _configs_seen(monkeypatch: Any) -> list[DedupConfig]:
    """The configs `cleaner dedup` hands to the library, one per run."""
    import cleaner.commands.dedup as cmd

    seen: list[DedupConfig] = []
    real = cmd.dedup_parquet

    def spy(*args: Any) -> Any:
        seen.append(args[4])
        return real(*args)

    monkeypatch.setattr(cmd, "dedup_parquet", spy)
    return seen


def test_dedup_max_candidates_reaches_the_config(tmp_path: Path, monkeypatch: Any) -> None:
    seen = _configs_seen(monkeypatch)
    src = tmp_path / "in.parquet"
    pl.DataFrame({"text": [CASES[0]["a"], CASES[0]["b"]]}).write_parquet(src)
    out = str(tmp_path / "out")
    res = runner.invoke(_app(), ["dedup", str(src), out, "--text-col", "text"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        _app(), ["dedup", str(src), out, "--text-col", "text", "--max-candidates", "3"]
    )
    assert res.exit_code == 0, res.output
    assert [c.max_candidates for c in seen] == [DedupConfig.max_candidates, 3]
    assert pl.read_parquet(tmp_path / "out" / "mapping.parquet")["duplicate_of"].null_count() == 1


def test_dedup_min_jaccard_reaches_the_config_and_0_verifies_every_candidate(
    tmp_path: Path, monkeypatch: Any
) -> None:
    seen = _configs_seen(monkeypatch)
    src = tmp_path / "in.parquet"
    pl.DataFrame({"text": [CASES[0]["a"], CASES[0]["b"]]}).write_parquet(src)
    args = ["dedup", str(src), str(tmp_path / "out"), "--text-col", "text", "--min-jaccard", "0"]
    res = runner.invoke(_app(), args)
    assert res.exit_code == 0, res.output
    assert [c.candidate_min_jaccard for c in seen] == [0.0]


def test_dedup_min_containment_reaches_the_config(tmp_path: Path, monkeypatch: Any) -> None:
    seen = _configs_seen(monkeypatch)
    src = tmp_path / "in.parquet"
    pl.DataFrame({"text": [CASES[0]["a"], CASES[0]["b"]]}).write_parquet(src)
    args = ["dedup", str(src), str(tmp_path / "out"), "--text-col", "text"]
    assert runner.invoke(_app(), args).exit_code == 0
    assert runner.invoke(_app(), [*args, "--min-containment", "0.35"]).exit_code == 0
    default = DedupConfig.candidate_min_containment
    assert [c.candidate_min_containment for c in seen] == [default, 0.35]
    res = runner.invoke(_app(), [*args, "--min-containment", "-0.5"])
    assert res.exit_code == 2
    assert "--min-containment must be in [0, 1], got -0.5" in " ".join(res.output.split())


def test_dedup_min_jaccard_out_of_range_is_a_usage_error(tmp_path: Path) -> None:
    src = tmp_path / "in.parquet"
    pl.DataFrame({"body": ["one story", "another"]}).write_parquet(src)
    res = runner.invoke(_app(), ["dedup", str(src), str(tmp_path / "o"), "--min-jaccard", "1.5"])
    assert res.exit_code == 2
    assert "--min-jaccard must be in [0, 1], got 1.5" in " ".join(res.output.split())
    assert not (tmp_path / "o").exists()


def test_dedup_max_candidates_below_one_is_a_usage_error(tmp_path: Path) -> None:
    src = tmp_path / "in.parquet"
    pl.DataFrame({"text": ["x"]}).write_parquet(src)
    res = runner.invoke(
        _app(), ["dedup", str(src), str(tmp_path), "--text-col", "text", "--max-candidates", "0"]
    )
    assert res.exit_code == 2


def test_dedup_missing_column_is_a_usage_error(tmp_path: Path) -> None:
    src = tmp_path / "in.parquet"
    pl.DataFrame({"body": ["x"]}).write_parquet(src)
    res = runner.invoke(_app(), ["dedup", str(src), str(tmp_path), "--text-col", "text"])
    assert res.exit_code == 2
    assert "--text-col" in res.output


def test_dedup_repeated_ids_are_a_usage_error(tmp_path: Path) -> None:
    src = tmp_path / "in.parquet"
    pl.DataFrame({"body": ["one story", "another"], "doc_id": ["a", "a"]}).write_parquet(src)
    res = runner.invoke(_app(), ["dedup", str(src), str(tmp_path / "out")])
    assert res.exit_code == 2
    assert "repeated ids" in res.output and "--id-col" in res.output
    assert not (tmp_path / "out").exists()


def test_dedup_option_out_of_range_is_a_usage_error_without_an_id_hint(tmp_path: Path) -> None:
    src = tmp_path / "in.parquet"
    pl.DataFrame({"body": ["one story", "another"]}).write_parquet(src)
    res = runner.invoke(_app(), ["dedup", str(src), str(tmp_path), "--lsh-threshold", "1.5"])
    assert res.exit_code == 2
    assert "LSH threshold must be in (0, 1)" in res.output and "--id-col" not in res.output


def test_explain_files_json(tmp_path: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(CASES[1]["a"])
    b.write_text(CASES[1]["b"])
    res = runner.invoke(_app(), ["explain", str(a), str(b), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["duplicate"] is True and out["kind"] == "contained"
    assert out["containment"] == 1.0 and out["shared"]
    assert out["slots_agreeing"] >= out["slot_floor"] == 8


def test_explain_says_when_the_stage_would_not_verify_a_pair(tmp_path: Path) -> None:
    """Two stories opening on the same quote, then different: under the slot floor."""
    quote = "The bridge will stay closed until the inspectors are satisfied, the mayor said. "
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(quote + " ".join(f"alpha{i} beta{i % 7}" for i in range(150)))
    b.write_text(quote + " ".join(f"gamma{i} delta{i % 5}" for i in range(150)))
    res = runner.invoke(_app(), ["explain", str(a), str(b)])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())  # rich wraps to the terminal's width
    assert "not duplicates" in text
    assert "the dedup stage does not verify this pair" in text
    out = json.loads(runner.invoke(_app(), ["explain", str(a), str(b), "--json"]).output)
    # two bodies of one size: the containment floor (0.2 of either, J 0.11) decides, not J 0.06
    assert out["slots_agreeing"] < out["slot_floor"] == 14


def test_explain_ids_from_parquet_shows_template_guard(tmp_path: Path) -> None:
    (tmp_path / "articles").mkdir()
    pl.DataFrame({"doc_id": ["e1", "e2"], "body": [CASES[4]["a"], CASES[4]["b"]]}).write_parquet(
        tmp_path / "articles" / "run1.parquet"
    )
    res = runner.invoke(_app(), ["explain", "e1", "e2", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "not duplicates" in res.output and "template guard" in res.output


def test_explain_unknown_id_is_a_usage_error(tmp_path: Path) -> None:
    res = runner.invoke(_app(), ["explain", "nope", "nada", "--out", str(tmp_path)])
    assert res.exit_code == 2
    assert "neither a file nor a doc_id" in res.output


def test_help_ends_with_an_example() -> None:
    for cmd in ("dedup", "explain"):
        res = runner.invoke(_app(), [cmd, "--help"])
        assert "Example: cleaner " + cmd in res.output


def test_dedup_streams_the_text_column_of_a_file_with_many_row_groups(tmp_path: Path) -> None:
    # Read 2 texts at a time across 3 row groups: the mapping of one whole batch.
    from cleaner.config import DedupConfig
    from cleaner.dedup import deduplicate
    from cleaner.dedup.tools import dedup_parquet

    src = tmp_path / "in.parquet"
    texts = [CASES[k][s] for k in (0, 1, 2, 4, 5) for s in ("a", "b")]
    df = pl.DataFrame({"id": [f"s{i}" for i in range(len(texts))], "text": texts})
    df.write_parquet(src, row_group_size=4)
    cfg = DedupConfig(batch_size=2)
    summary = dedup_parquet(src, tmp_path / "out", "text", "id", cfg)
    got = pl.read_parquet(summary.path)
    whole = deduplicate(df.rename({"id": "doc_id", "text": "body"}), DedupConfig()).mapping
    assert got.equals(whole)
    assert summary.duplicates >= 4
