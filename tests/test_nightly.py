"""Nightly operation: incremental, idempotent, atomic, locked, crash-safe, rollback."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from cleaner.lock import run_lock
from tests.conftest import RAW, ROOT

TABLES = ("articles", "duplicates", "rejected")


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    """A private copy of the bundled samples, so tests can add and edit files."""
    copy = tmp_path / "raw"
    shutil.copytree(RAW, copy)
    return copy


def _run(cli: typer.Typer, raw: Path, out: Path, *extra: str) -> dict[str, object]:
    result = CliRunner().invoke(cli, ["run", str(raw), str(out), "--quiet", *extra])
    assert result.exit_code == 0, result.output
    latest = sorted((out / "runs").glob("*.json"))[-1]
    manifest: dict[str, object] = json.loads(latest.read_text())
    return manifest


def _counts(manifest: dict[str, object]) -> dict[str, int]:
    counts = manifest["counts"]
    assert isinstance(counts, dict)
    return counts


def _rows(out: Path) -> int:
    return sum(pl.read_parquet(p).height for t in TABLES for p in (out / t).glob("*.parquet"))


def _story(title: str) -> str:
    words = " ".join(f"word{i}" for i in range(60))
    return (
        f" date 2024-05-02 QUETTA: {title} opened on Monday. {words}.\n\n"
        f"Officials said the {title.lower()} would run all week.\n\n"
        "Published in Dawn, May 2nd, 2024"
    )


def test_second_run_of_the_same_night_adds_nothing(
    cli: typer.Typer, raw: Path, tmp_path: Path
) -> None:
    out = tmp_path / "clean"
    first = _run(cli, raw, out, "--run-id", "n1")
    rows = _rows(out)
    second = _run(cli, raw, out, "--run-id", "n2")
    assert _counts(first)["stories"] > 0
    assert _counts(second)["stories"] == 0
    assert _rows(out) == rows
    assert not any((out / t / "n2.parquet").exists() for t in TABLES)
    inputs = second["inputs"]
    assert isinstance(inputs, list)
    assert {i["change"] for i in inputs} == {"unchanged"}


def test_only_new_files_are_read(cli: typer.Typer, raw: Path, tmp_path: Path) -> None:
    out = tmp_path / "clean"
    _run(cli, raw, out, "--run-id", "n1")
    (raw / "dawn" / "new_story.txt").write_text(_story("Book fair"), encoding="utf-8")
    manifest = _run(cli, raw, out, "--run-id", "n2")
    assert _counts(manifest)["stories"] == 1
    inputs = manifest["inputs"]
    assert isinstance(inputs, list)
    changes = {i["path"]: i["change"] for i in inputs}
    assert changes["dawn/new_story.txt"] == "new"
    assert sum(c == "new" for c in changes.values()) == 1


def test_changed_file_is_a_new_version(cli: typer.Typer, raw: Path, tmp_path: Path) -> None:
    out = tmp_path / "clean"
    target = raw / "dawn" / "two.txt"
    target.write_text(_story("Flower show"), encoding="utf-8")
    _run(cli, raw, out, "--run-id", "n1")
    time.sleep(0.01)
    target.write_text(
        _story("Flower show") + "\n\u00a0\n" + _story("Kite festival"), encoding="utf-8"
    )
    manifest = _run(cli, raw, out, "--run-id", "n2")
    inputs = manifest["inputs"]
    assert isinstance(inputs, list)
    assert {i["path"]: i["change"] for i in inputs}["dawn/two.txt"] == "changed"
    counts = _counts(manifest)
    # the edited file's first story was published last night; only the new one enters
    assert counts["already_published"] == 1
    assert counts["stories"] == 1


def test_touched_but_identical_file_is_not_reprocessed(
    cli: typer.Typer, raw: Path, tmp_path: Path
) -> None:
    out = tmp_path / "clean"
    _run(cli, raw, out, "--run-id", "n1")
    target = next(raw.rglob("*.txt"))
    os.utime(target, ns=(time.time_ns(), time.time_ns() + 10**9))
    manifest = _run(cli, raw, out, "--run-id", "n2")
    assert _counts(manifest)["stories"] == 0


def test_fresh_runs_give_byte_identical_parquet(
    cli: typer.Typer, raw: Path, tmp_path: Path
) -> None:
    for name in ("a", "b"):
        _run(cli, raw, tmp_path / name, "--run-id", "same")
    for table in TABLES:
        a = (tmp_path / "a" / table / "same.parquet").read_bytes()
        b = (tmp_path / "b" / table / "same.parquet").read_bytes()
        assert a == b, table


def test_second_run_while_one_holds_the_lock_exits_2(
    cli: typer.Typer, raw: Path, tmp_path: Path
) -> None:
    out = tmp_path / "clean"
    with run_lock(out):
        result = CliRunner().invoke(cli, ["run", str(raw), str(out)])
    assert result.exit_code == 2
    assert "another cleaner run" in result.output
    assert "Traceback" not in result.output


def test_stale_lock_of_a_dead_process_is_recovered(
    cli: typer.Typer, raw: Path, tmp_path: Path
) -> None:
    out = tmp_path / "clean"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock = out / "_state" / "run.lock"
    lock.parent.mkdir(parents=True)
    lock.write_text(json.dumps({"pid": dead.pid, "host": os.uname().nodename}))
    _run(cli, raw, out, "--run-id", "n1")
    assert not lock.exists()


def test_rollback_removes_a_night_and_the_next_run_redoes_it(
    cli: typer.Typer, raw: Path, tmp_path: Path
) -> None:
    out = tmp_path / "clean"
    _run(cli, raw, out, "--run-id", "n1")
    (raw / "dawn" / "new_story.txt").write_text(_story("Book fair"), encoding="utf-8")
    _run(cli, raw, out, "--run-id", "n2")
    runner = CliRunner()
    listing = runner.invoke(cli, ["runs", str(out)])
    assert "n1" in listing.output and "n2" in listing.output
    result = runner.invoke(cli, ["rollback", "n2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert not any(out.rglob("n2.*"))
    redo = _run(cli, raw, out, "--run-id", "n3")
    assert _counts(redo)["stories"] == 1


def test_rollback_of_unknown_run_is_one_line(cli: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["rollback", "nope", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "no run 'nope'" in result.output


def test_full_refuses_an_output_that_has_runs(cli: typer.Typer, raw: Path, tmp_path: Path) -> None:
    out = tmp_path / "clean"
    _run(cli, raw, out, "--run-id", "n1")
    result = CliRunner().invoke(cli, ["run", str(raw), str(out), "--full"])
    assert result.exit_code == 2
    assert "--full writes a fresh output" in result.output
    fresh = _run(cli, raw, tmp_path / "fresh", "--full", "--run-id", "f1")
    assert fresh["mode"] == "full"


def test_json_logs_are_one_object_per_line(cli: typer.Typer, raw: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["run", str(raw), str(tmp_path / "c"), "--log-format", "json"])
    assert result.exit_code == 0
    events = [json.loads(line) for line in result.output.splitlines()]
    assert events[-1]["event"] == "run"
    assert {e["name"] for e in events if e["event"] == "stage"} >= {"ingest", "dedup", "write"}


@pytest.mark.slow
@pytest.mark.parametrize("point", ["ingest", "dedup", "publish:articles", "publish:_state/ledger"])
def test_kill_9_leaves_earlier_runs_intact_and_next_run_recovers(
    raw: Path, tmp_path: Path, point: str
) -> None:
    """kill -9 a real process at a checkpoint; the rerun must equal an uncrashed run."""
    out, reference = tmp_path / "clean", tmp_path / "reference"
    first = raw.parent / "first"
    first.mkdir()
    for name in sorted(p.name for p in (raw / "dawn").iterdir())[:2]:
        shutil.copy(raw / "dawn" / name, first / name)
    for target in (out, reference):
        _cli(first, target, "night1")
    marker = tmp_path / "paused"
    env = {**os.environ, "CLEANER_PAUSE_AT": point, "CLEANER_PAUSE_MARKER": str(marker)}
    proc = subprocess.Popen(
        _argv(raw, out, "night2"),
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, "run ended before reaching the checkpoint"
        assert time.monotonic() < deadline, "checkpoint never reached"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert [p.stem for p in (out / "runs").glob("*.json")] == ["night1"]
    _cli(raw, out, "night2")
    _cli(raw, reference, "night2")
    for table in TABLES:
        for run_id in ("night1", "night2"):
            got = (out / table / f"{run_id}.parquet").read_bytes()
            want = (reference / table / f"{run_id}.parquet").read_bytes()
            assert got == want, (table, run_id)
    assert not (out / "_state" / "run.lock").exists()


def _argv(raw: Path, out: Path, run_id: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "cleaner",
        "run",
        str(raw),
        str(out),
        "--quiet",
        "--run-id",
        run_id,
    ]


def _cli(raw: Path, out: Path, run_id: str) -> None:
    subprocess.run(_argv(raw, out, run_id), check=True, cwd=ROOT, timeout=300)


def test_small_chunks_account_for_every_story_and_keep_clusters(
    cli: typer.Typer, raw: Path, tmp_path: Path
) -> None:
    """Chunks are validated, deduplicated (against earlier chunks) and staged one by one;
    the published tables are their concatenation."""
    config = tmp_path / "small.toml"
    config.write_text("[run]\nchunk_records = 2\n")
    whole = _run(cli, raw, tmp_path / "whole", "--run-id", "w")
    small = _run(cli, raw, tmp_path / "small", "--run-id", "s", "--config", str(config))
    assert _counts(small)["stories"] == _counts(whole)["stories"]
    frames = {t: pl.read_parquet(tmp_path / "small" / t / "s.parquet") for t in TABLES}
    ids = pl.concat([f.select("doc_id") for f in frames.values()])["doc_id"]
    whole_ids = pl.concat(
        [pl.read_parquet(tmp_path / "whole" / t / "w.parquet").select("doc_id") for t in TABLES]
    )["doc_id"]
    assert sorted(ids.to_list()) == sorted(whole_ids.to_list())
    assert sum(f.height for f in frames.values()) == _counts(small)["stories"]
    kept = pl.concat(
        [
            frames["articles"].select("raw_path", "cluster_id"),
            frames["duplicates"].select("raw_path", "cluster_id"),
        ]
    )
    cocoa = kept.filter(pl.col("raw_path").str.contains("cocoa_prices_wire"))
    assert cocoa.height == 3
    assert cocoa["cluster_id"].n_unique() == 1, "the wire reprints form one cluster"
    stages = {s["name"]: s for s in small["stages"]}  # type: ignore[union-attr,index]
    assert stages["split"]["items_in"] == _counts(small)["records"]


def test_a_copy_arriving_next_night_points_at_last_nights_article(
    cli: typer.Typer, raw: Path, tmp_path: Path
) -> None:
    out = tmp_path / "clean"
    _run(cli, raw, out, "--run-id", "n1")
    original = raw / "harbourherald" / "oyster_beds_closed.txt"
    reprint = original.read_text(encoding="utf-8").replace("Share this article\n", "")
    (raw / "harbourherald" / "oyster_beds_reprint.txt").write_text(reprint, encoding="utf-8")
    manifest = _run(cli, raw, out, "--run-id", "n2")
    assert _counts(manifest)["duplicates"] == 1
    first = (
        pl.read_parquet(out / "articles" / "n1.parquet")
        .filter(pl.col("raw_path") == "harbourherald/oyster_beds_closed.txt")
        .row(0, named=True)
    )
    dup = pl.read_parquet(out / "duplicates" / "n2.parquet").row(0, named=True)
    assert dup["raw_path"] == "harbourherald/oyster_beds_reprint.txt"
    assert dup["duplicate_of"] == first["doc_id"]
    assert dup["cluster_id"] == first["cluster_id"]
