"""Index specs: earlier nights are matched, cluster ids survive, saving is atomic."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from cleaner.config import DedupConfig
from cleaner.dedup import BATCH_SCHEMA, DedupIndex, IndexMismatchError, deduplicate

CASES = json.loads((Path(__file__).parent / "cases" / "dedup_pairs.json").read_text())["cases"]
SCHEMA = BATCH_SCHEMA


def _batch(pairs: list[tuple[str, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "doc_id": d,
                "body": b,
                "title": None,
                "source": None,
                "published": None,
                "updated": None,
            }
            for d, b in pairs
        ],
        schema=SCHEMA,
    )


def _night(state: Path, batch: pl.DataFrame, cfg: DedupConfig) -> pl.DataFrame:
    index = DedupIndex.load(state)
    res = deduplicate(batch, cfg, index)
    index.add(batch, res).save(state)
    return res.mapping


def test_second_night_points_at_first_nights_article(tmp_path: Path) -> None:
    cfg = DedupConfig()
    first = _night(tmp_path, _batch([("n1a", CASES[0]["a"]), ("n1b", CASES[4]["a"])]), cfg)
    assert first["duplicate_of"].null_count() == 2
    second = _night(
        tmp_path,
        _batch(
            [
                ("n2a", CASES[1]["b"]),
                ("n2b", CASES[4]["a"].lower()),
                ("n2c", CASES[4]["b"]),
                ("n2d", CASES[2]["b"]),
            ]
        ),
        cfg,
    )
    rows = {r["doc_id"]: r for r in second.iter_rows(named=True)}
    assert rows["n2a"]["duplicate_of"] == "n1a" and rows["n2a"]["kind"] == "contained"
    assert rows["n2a"]["cluster_id"] == "c-n1a"
    assert "earlier night" in rows["n2a"]["reason"]
    assert rows["n2b"]["duplicate_of"] == "n1b" and rows["n2b"]["kind"] == "exact"
    assert rows["n2c"]["duplicate_of"] is None  # templated look-alike of n1b: a new story
    assert rows["n2d"]["duplicate_of"] == "n1a"
    index = DedupIndex.load(tmp_path)
    assert sorted(index.meta["doc_id"].to_list()) == ["n1a", "n1b", "n2c"]
    assert not [p for p in (tmp_path / "dedup").rglob("*") if ".tmp" in p.name]


def test_rerunning_a_night_is_idempotent(tmp_path: Path) -> None:
    cfg = DedupConfig()
    batch = _batch([("a", CASES[0]["a"]), ("b", CASES[0]["b"])])
    first = _night(tmp_path, batch, cfg)
    again = _night(tmp_path, batch, cfg)
    assert again.select("doc_id", "cluster_id", "duplicate_of").equals(
        first.select("doc_id", "cluster_id", "duplicate_of")
    )
    assert DedupIndex.load(tmp_path).size == 1


def test_index_built_with_other_lsh_settings_is_refused(tmp_path: Path) -> None:
    _night(tmp_path, _batch([("a", CASES[0]["a"])]), DedupConfig())
    with pytest.raises(IndexMismatchError, match="restore"):
        deduplicate(_batch([("b", "x y z")]), DedupConfig(num_perm=64), DedupIndex.load(tmp_path))


def test_missing_state_gives_an_empty_index(tmp_path: Path) -> None:
    assert DedupIndex.load(tmp_path / "nothing").size == 0


@pytest.mark.parametrize("case", CASES, ids=[c["why"][:40] for c in CASES])
def test_a_pair_split_over_two_nights_gets_the_verdict_of_one_batch(
    case: dict[str, object], tmp_path: Path
) -> None:
    """Last night's articles are read as the same words as tonight's stories."""
    cfg = DedupConfig()
    a, b = ("a", str(case["a"])), ("b", str(case["b"]))
    one = _night(tmp_path / "one", _batch([a, b]), cfg)
    _night(tmp_path / "two", _batch([a]), cfg)
    apart = _night(tmp_path / "two", _batch([b]), cfg)
    assert (one["duplicate_of"].null_count() < 2) is (apart["duplicate_of"][0] == "a")
    cols = ["duplicate_of", "kind", "similarity", "containment"]
    b_in_one = one.filter(pl.col("doc_id") == "b")
    if b_in_one["duplicate_of"][0] == "a":  # same direction: the very same verdict
        assert apart.select(cols).rows() == b_in_one.select(cols).rows(), case["why"]
