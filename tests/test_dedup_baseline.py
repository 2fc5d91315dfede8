"""Accuracy floor: dedup on a small generated corpus must not fall below the pinned baseline."""

from __future__ import annotations

import json
import random
from pathlib import Path

from bench.corpus import invented_sentences, make_corpus
from bench.metrics import score
from cleaner.config import DedupConfig
from cleaner.dedup import deduplicate

BASE = json.loads((Path(__file__).parent / "baselines_dedup.json").read_text())


def test_dedup_accuracy_floor() -> None:
    seed = BASE["seed"]
    corpus = make_corpus(BASE["n_docs"], invented_sentences(random.Random(seed), 1500), seed=seed)
    m = deduplicate(corpus, DedupConfig()).mapping
    s = score(corpus, m.select("doc_id", m["cluster_id"].alias("cluster")))
    assert s.precision >= BASE["min_precision"], s
    assert s.recall >= BASE["min_recall"], s
    assert s.f1 >= BASE["min_f1"], s
    assert s.ari >= BASE["min_ari"], s
    assert s.template_false_merges <= BASE["max_template_false_merges"], s
    assert s.event_false_merges <= BASE["max_event_false_merges"], s
