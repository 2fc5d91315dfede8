"""deduplicate() specs: mapping contract, keep rule, revisions, seeds, shuffle invariance."""

from __future__ import annotations

import datetime as dt
import gc
import json
import random
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cleaner.dedup.keys as keys_module
from bench.corpus import invented_sentences, make_corpus
from cleaner.config import DedupConfig
from cleaner.dedup import (
    BATCH_SCHEMA,
    MAPPING_SCHEMA,
    deduplicate,
    latest_revisions,
    lsh_params,
)
from cleaner.dedup.cluster import DocInfo, keep_order, keep_order_frame
from cleaner.dedup.keys import Words, tokenize
from cleaner.dedup.sign import WordSpool, sign_texts, spool_array

CASES = json.loads((Path(__file__).parent / "cases" / "dedup_pairs.json").read_text())["cases"]
BASE = CASES[0]["a"]
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def _batch(rows: list[dict[str, object]]) -> pl.DataFrame:
    full = [{"title": None, "source": None, "published": None, "updated": None} | r for r in rows]
    return pl.DataFrame(
        full,
        schema=BATCH_SCHEMA,
    )


def _by_id(m: pl.DataFrame) -> dict[str, dict[str, object]]:
    return {r["doc_id"]: r for r in m.iter_rows(named=True)}


def test_mapping_has_one_row_per_doc_sorted_with_the_contract_schema() -> None:
    batch = _batch([{"doc_id": f"d{i}", "body": c["b"]} for i, c in enumerate(CASES)])
    m = deduplicate(batch.reverse(), DedupConfig()).mapping
    assert dict(m.schema) == MAPPING_SCHEMA
    assert m["doc_id"].to_list() == sorted(batch["doc_id"].to_list())


def test_golden_copies_cluster_on_the_complete_story() -> None:
    rows = [
        {
            "doc_id": "full",
            "body": BASE,
            "title": "Bridge reopens",
            "source": "Wire One",
            "published": dt.date(2024, 5, 1),
        }
    ]
    rows += [{"doc_id": f"copy{i}", "body": c["b"]} for i, c in enumerate(CASES[:4])]
    m = _by_id(deduplicate(_batch(rows), DedupConfig()).mapping)
    assert m["full"]["duplicate_of"] is None
    for i, kind in enumerate(["near", "contained", "near", "near"]):
        r = m[f"copy{i}"]
        assert r["duplicate_of"] == "full" and r["kind"] == kind, r["reason"]
        assert r["cluster_id"] == m["full"]["cluster_id"] == "c-full"
        assert "canonical won on complete" in str(r["reason"])


def test_hard_negatives_stay_apart() -> None:
    rows = []
    negatives = [c for c in CASES[4:] if not c["duplicate"]]
    for i, c in enumerate(negatives):
        rows += [{"doc_id": f"a{i}", "body": c["a"]}, {"doc_id": f"b{i}", "body": c["b"]}]
    m = deduplicate(_batch(rows), DedupConfig()).mapping
    assert m["duplicate_of"].null_count() == m.height


def test_exact_copies_and_keep_rule_then_doc_id() -> None:
    rows = [
        {"doc_id": "z", "body": BASE},
        {"doc_id": "y", "body": BASE.upper()},
        {"doc_id": "x", "body": BASE + " "},
    ]
    m = _by_id(deduplicate(_batch(rows), DedupConfig()).mapping)
    assert m["x"]["duplicate_of"] is None
    assert m["y"]["kind"] == m["z"]["kind"] == "exact"
    assert m["y"]["duplicate_of"] == m["z"]["duplicate_of"] == "x"


def test_source_priority_decides_between_equal_copies() -> None:
    rows = [
        {"doc_id": "a", "body": BASE, "source": "Valley Post"},
        {"doc_id": "b", "body": BASE, "source": "Wire One"},
    ]
    cfg = DedupConfig(source_priority=("Wire One",))
    m = _by_id(deduplicate(_batch(rows), cfg).mapping)
    assert m["a"]["duplicate_of"] == "b"
    assert "source_priority" in str(m["a"]["reason"])


def test_updated_copy_from_same_source_is_a_revision_and_latest_is_found() -> None:
    rows = [
        {
            "doc_id": "v1",
            "body": BASE,
            "title": "T",
            "source": "Wire One",
            "published": dt.date(2024, 5, 1),
        },
        {
            "doc_id": "v2",
            "body": BASE.replace("two weeks", "three weeks")[: len(BASE) - 40],
            "title": "T",
            "source": "Wire One",
            "published": dt.date(2024, 5, 1),
            "updated": dt.date(2024, 5, 2),
        },
        {
            "doc_id": "other",
            "body": BASE[: len(BASE) - 60],
            "title": "T",
            "source": "Valley Post",
            "published": dt.date(2024, 5, 1),
            "updated": dt.date(2024, 5, 3),
        },
    ]
    batch = _batch(rows)
    m = deduplicate(batch, DedupConfig()).mapping
    kinds = dict(zip(m["doc_id"], m["kind"], strict=True))
    assert kinds == {"v1": None, "v2": "revision", "other": "near"}
    assert latest_revisions(m, batch).rows() == [("c-v1", "v2")]


def test_empty_and_missing_bodies_are_left_alone() -> None:
    m = deduplicate(
        _batch([{"doc_id": "a", "body": ""}, {"doc_id": "b", "body": None}]), DedupConfig()
    ).mapping
    assert m["duplicate_of"].null_count() == 2


def test_duplicate_doc_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        deduplicate(
            _batch([{"doc_id": "a", "body": "x"}, {"doc_id": "a", "body": "y"}]), DedupConfig()
        )


def _seed_stories() -> list[str]:
    files = sorted((SHARED / "seeds").glob("*.txt"))
    stories: list[str] = []
    for f in files:
        stories += [s for s in re.split(r"\n\u00a0\n", f.read_text(encoding="utf-8")) if s.strip()]
    return stories


@pytest.mark.skipif(not (SHARED / "seeds").exists(), reason="shared seeds absent")
def test_seed_stories_are_not_duplicates_of_each_other() -> None:
    stories = _seed_stories()
    assert len(stories) == 4
    batch = _batch([{"doc_id": f"s{i}", "body": s} for i, s in enumerate(stories)])
    m = deduplicate(batch, DedupConfig()).mapping
    assert m["duplicate_of"].null_count() == 4, m["reason"].to_list()


CORPUS = make_corpus(150, invented_sentences(random.Random(7), 400), seed=7)


@given(st.randoms(use_true_random=False))
@settings(max_examples=8, deadline=None)
def test_shuffling_rows_does_not_change_the_mapping(rnd: random.Random) -> None:
    order = list(range(CORPUS.height))
    rnd.shuffle(order)
    cfg = DedupConfig()
    base = deduplicate(CORPUS, cfg).mapping
    assert deduplicate(CORPUS[order], cfg).mapping.equals(base)


def test_two_reprints_cut_differently_join_the_original_they_both_match() -> None:
    # Paragraphs of an invented story. "cut" keeps the first four, "dropped" lost two in the
    # middle; they share too little to match each other, but both are found in "orig".
    paras = BASE.split("\n\n")
    orig = "\n\n".join(paras)
    cut = "\n\n".join(paras[:3])
    dropped = "\n\n".join([paras[0], *paras[3:]])
    rows = [
        {"doc_id": "orig", "body": orig},
        {
            "doc_id": "cut",
            "body": cut,
            "title": "T",
            "source": "Wire One",
            "published": dt.date(2024, 5, 1),
        },
        {"doc_id": "dropped", "body": dropped},
    ]
    cfg = DedupConfig()
    m = _by_id(deduplicate(_batch(rows), cfg).mapping)
    # Canonical by the keep rule (the complete one), cluster found through the original.
    assert m["cut"]["duplicate_of"] is None
    assert m["orig"]["duplicate_of"] == "cut" and m["dropped"]["duplicate_of"] == "cut"
    assert "orig (its cluster's centre)" in str(m["dropped"]["reason"])
    assert len({r["cluster_id"] for r in m.values()}) == 1


def test_a_short_text_inside_two_different_stories_does_not_merge_them() -> None:
    # Two invented stories opening with the same standard paragraph, and the paragraph
    # alone: the paragraph is contained in both, the stories do not match each other.
    lead = " ".join(invented_sentences(random.Random(5), 3))
    one = lead + "\n\n" + " ".join(invented_sentences(random.Random(6), 6))
    two = lead + "\n\n" + " ".join(invented_sentences(random.Random(7), 6))
    rows = [
        {"doc_id": "lead", "body": lead},
        {"doc_id": "one", "body": one},
        {"doc_id": "two", "body": two},
    ]
    m = _by_id(deduplicate(_batch(rows), DedupConfig()).mapping)
    assert m["one"]["cluster_id"] != m["two"]["cluster_id"]


def test_a_look_alike_close_to_an_excerpt_does_not_join_the_story_the_excerpt_was_cut_from() -> (
    None
):
    # A match report, its excerpt (cut before the first scorer's team-mates, its first
    # word garbled), and another club's report on the same template, cut too: every fact
    # of the excerpt is in it (the scorer moved down), so the excerpt is a near copy of
    # both. The excerpt is the best-connected story, but the other report is told apart
    # from the full one by the template guard: it must not join through the excerpt.
    full = (
        "Ashcombe United beat the Marlow Rovers 2-0 at home on Sunday afternoon to climb to "
        "third in the league table. Striker Pembridge scored in each half and Castellan saved "
        "a penalty late on before a crowd of 8,412. The hosts had lost their previous 3 games. "
        "United travel to Wexley next Saturday, the club said."
    )
    cut = (
        "shcombe United beat the Marlow Rovers 2-0 at home on Sunday afternoon to climb to "
        "third in the league table. Striker Pembridge scored in each"
    )
    other = (
        "Dunmore United beat the Marlow Rovers 2-0 at home on Sunday afternoon to climb to "
        "third in the league table. Striker Halloway scored in each half and Pembridge added a"
    )
    rows = [
        {
            "doc_id": "full",
            "body": full,
            "title": "Ashcombe win",
            "source": "A",
            "published": dt.date(2024, 5, 1),
        },
        {"doc_id": "cut", "body": cut},
        {"doc_id": "other", "body": other},
    ]
    m = _by_id(deduplicate(_batch(rows), DedupConfig()).mapping)
    assert m["cut"]["duplicate_of"] == "full"
    assert m["other"]["cluster_id"] != m["full"]["cluster_id"]


_dates = st.one_of(st.none(), st.dates(dt.date(2020, 1, 1), dt.date(2020, 1, 9)))


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["", "  ", "Title", None]),
            st.sampled_from(["A", "B", "C", None]),
            _dates,
            st.integers(0, 5),
        ),
        max_size=30,
    ),
    st.permutations(["complete", "longest", "earliest", "source_priority"]),
)
@settings(max_examples=200, deadline=None)
def test_vectorised_keep_order_equals_the_reference(
    rows: list[tuple[str | None, str | None, dt.date | None, int]], rules: list[str]
) -> None:
    """The polars keep order (used on millions of stories) is the rule as written in Python."""
    cfg = DedupConfig(keep_rule=tuple(rules[:3]), source_priority=("B", "A"))
    df = pl.DataFrame(
        {
            "doc_id": [f"d{i:03d}" for i in range(len(rows))],
            "title": [r[0] for r in rows],
            "source": [r[1] for r in rows],
            "published": [r[2] for r in rows],
        },
        schema={"doc_id": pl.Utf8, "title": pl.Utf8, "source": pl.Utf8, "published": pl.Date},
    )
    n_tok = np.array([r[3] for r in rows], dtype=np.int64)
    infos = [
        DocInfo(f"d{i:03d}", bool(t and t.strip()), s, p, None, n)
        for i, (t, s, p, n) in enumerate(rows)
    ]
    assert keep_order_frame(df, n_tok, cfg).tolist() == keep_order(infos, cfg)


def test_worker_processes_do_not_change_the_mapping(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pairs verified in forked workers give the very mapping one process gives."""
    import multiprocessing.pool

    import cleaner.dedup.pairs as pairs

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform: pairs are always verified in process")
    alone = deduplicate(CORPUS, DedupConfig(workers=1)).mapping
    chunks: list[int] = []
    imap = multiprocessing.pool.Pool.imap

    def counted(self, func, iterable, chunksize=1):  # type: ignore[no-untyped-def]
        spans = list(iterable)
        chunks.extend(b - a for a, b in spans)
        return imap(self, func, spans, chunksize)

    monkeypatch.setattr(pairs, "MIN_PARALLEL_PAIRS", 1)
    monkeypatch.setattr(pairs, "CHUNK", 7)
    monkeypatch.setattr(multiprocessing.pool.Pool, "imap", counted)
    shared = deduplicate(CORPUS, DedupConfig(workers=2)).mapping
    assert len(chunks) > 2, "the pairs were not sent to worker processes"
    assert shared.equals(alone)
    assert alone["duplicate_of"].is_not_null().sum() > 10  # the corpus has clusters


def test_words_spooled_to_disk_give_the_mapping_of_words_in_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A big batch's words go to a temporary file and come back as a memory map that
    forked workers read; verdicts do not depend on where the words were kept."""
    import multiprocessing

    import cleaner.dedup.pairs as pairs
    import cleaner.dedup.sign as sign

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")
    in_memory = deduplicate(CORPUS, DedupConfig(batch_size=16)).mapping
    spooled: list[sign.WordSpool] = []
    make = sign.WordSpool

    def tiny(limit: int = 0) -> sign.WordSpool:
        spooled.append(make(limit=1))
        return spooled[-1]

    monkeypatch.setattr("cleaner.dedup.WordSpool", tiny)
    monkeypatch.setattr(pairs, "MIN_PARALLEL_PAIRS", 1)
    on_disk = deduplicate(CORPUS, DedupConfig(batch_size=16, workers=2)).mapping
    assert spooled and spooled[0].offsets, "the words were not spooled"
    assert on_disk.equals(in_memory)


def _word_parts() -> list[Words]:
    texts = CORPUS["body"]
    return [tokenize(texts.slice(i, 9), words=True).words for i in range(0, 40, 9)]  # type: ignore[misc]


def _same_words(a: Words, b: Words) -> None:
    assert a.offsets.tolist() == b.offsets.tolist()
    assert bytes(a.data) == bytes(b.data)
    assert [a.text(i) for i in range(len(a.offsets) - 1)] == [
        b.text(i) for i in range(len(b.offsets) - 1)
    ]


def test_word_spool_keeps_chunks_in_order_in_memory_or_on_disk() -> None:
    parts = _word_parts()
    expected = Words.concat(parts)
    for limit in (0, 1, len(parts[0].data) + 1, 1 << 40):
        spool = WordSpool(limit)
        for part in parts:
            spool.add(part)
        _same_words(spool.words(), expected)
    spool = WordSpool(0)
    for part in parts:
        spool.add(part)
    words = spool.words()
    assert isinstance(words.data, np.memmap) and not words.data.flags.writeable
    # Texts are read from the spooled file, not through the map (see `Words.text`), and
    # the file is closed with the last Words that reads it.
    file = words.file
    assert file is not None
    blank = Words(words.offsets, np.zeros(len(words.data), np.uint8), file)
    assert blank.text(1) == expected.text(1)  # from the file: the array is all zeros
    del words, blank
    gc.collect()
    assert file.closed


@pytest.mark.parametrize("read", ["preadv", "pread"])
def test_gathered_words_are_the_rows_words_read_from_the_spooled_file(
    read: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers screen a span's rows from a small buffer read with preadv (pread where
    there is none), never the map: same texts, in any row order and with repeats, runs of
    consecutive rows included."""
    if read == "pread":
        monkeypatch.setattr(keys_module, "_PREADV", None)
    elif keys_module._PREADV is None:
        pytest.skip("no os.preadv here")
    parts = _word_parts()
    expected = Words.concat(parts)
    spool = WordSpool(0)
    for part in parts:
        spool.add(part)
    words = spool.words()
    assert words.file is not None
    blank = Words(words.offsets, np.zeros(len(words.data), np.uint8), words.file)
    n = len(expected.offsets) - 1
    for rows in ([5, 3, 4, 5, 0, n - 1, 6, 7, 8], [n - 1], list(range(n)), []):
        sub, at = blank.gather(np.array(rows, np.int64))
        assert len(sub.offsets) - 1 == len(set(rows)), "one copy of each row"
        assert sub.file is None  # a buffer of its own
        assert [sub.text(i) for i in at.tolist()] == [expected.text(r) for r in rows]
    in_memory = Words.concat(parts)
    same, at = in_memory.gather(np.array([2, 1], np.int64))
    assert same is in_memory and at.tolist() == [2, 1]


def test_word_spool_falls_back_to_memory_when_the_disk_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No temporary file at all, or a disk that fills up half-way: same words, in RAM."""
    import tempfile

    parts = _word_parts()
    expected = Words.concat(parts)

    def no_tmp(*args: object, **kwargs: object) -> None:
        raise OSError("read-only file system")

    with monkeypatch.context() as m:
        m.setattr(tempfile, "TemporaryFile", no_tmp)
        spool = WordSpool(0)
        for part in parts:
            spool.add(part)
        _same_words(spool.words(), expected)

    real = tempfile.TemporaryFile

    class Full:
        def __init__(self) -> None:
            self.inner = real()
            self.budget = len(parts[0].data) + len(parts[1].data) + 3

        def write(self, data: memoryview) -> int:
            if len(data) > self.budget:
                self.inner.write(bytes(data)[: self.budget])  # a partial write, then full
                raise OSError(28, "No space left on device")
            self.budget -= len(data)
            return self.inner.write(data)

        def __getattr__(self, name: str) -> object:
            return getattr(self.inner, name)

    monkeypatch.setattr(tempfile, "TemporaryFile", lambda *a, **k: Full())
    spool = WordSpool(0)
    for part in parts:
        spool.add(part)
    assert spool.file is None, "spooling should have stopped when the disk filled up"
    _same_words(spool.words(), expected)


def test_big_arrays_are_spooled_to_a_read_only_map_and_small_ones_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tempfile

    bands = np.arange(4 * 84, dtype=np.uint32).reshape(4, 84)
    small = spool_array(bands, limit=bands.nbytes)
    assert small is bands
    mapped = spool_array(bands, limit=0)
    assert isinstance(mapped, np.memmap) and not mapped.flags.writeable
    assert np.array_equal(mapped, bands) and mapped.dtype == bands.dtype

    def no_tmp(*args: object, **kwargs: object) -> None:
        raise OSError("read-only file system")

    monkeypatch.setattr(tempfile, "TemporaryFile", no_tmp)
    assert spool_array(bands, limit=0) is bands


def test_band_keys_of_a_result_follow_the_mapping_order() -> None:
    """The index stores band keys by mapping row; they are reordered only when read."""
    res = deduplicate(CORPUS, DedupConfig())
    p = lsh_params(DedupConfig())
    by_row = dict(zip(CORPUS["doc_id"], sign_texts(CORPUS["body"], p).bands, strict=True))
    expected = np.stack([by_row[d] for d in res.mapping["doc_id"]])
    assert np.array_equal(res.band_keys, expected)


def test_progress_reports_every_stage_up_to_its_total() -> None:
    """`cleaner dedup` draws these calls: signing, then each verification round."""
    calls: list[tuple[str, int, int]] = []
    deduplicate(CORPUS, DedupConfig(), progress=lambda *c: calls.append(c))
    last = {stage: (done, total) for stage, done, total in calls}
    assert last["sign"] == (CORPUS.height, CORPUS.height)
    assert last["pairs"][0] == last["pairs"][1] > 0
    stages = list(dict.fromkeys(stage for stage, _, _ in calls))
    assert stages[:2] == ["sign", "pairs"]


def test_texts_streamed_in_chunks_give_the_mapping_of_the_body_column() -> None:
    """`bodies` (how `cleaner dedup` streams a file) never changes a verdict, whatever the
    chunk sizes; a stream that does not match the batch is refused, not half-used."""
    sizes = [1, 7, 2, 40, 3]
    texts = CORPUS["body"]
    chunks, start = [], 0
    while start < len(texts):
        size = sizes[len(chunks) % len(sizes)]
        chunks.append(texts.slice(start, size))
        start += size
    streamed = deduplicate(CORPUS.drop("body"), DedupConfig(), bodies=iter(chunks)).mapping
    assert streamed.equals(deduplicate(CORPUS, DedupConfig()).mapping)
    with pytest.raises(ValueError, match="hold 149 texts for a batch of 150 rows"):
        deduplicate(CORPUS.drop("body"), DedupConfig(), bodies=[texts.slice(1)])
