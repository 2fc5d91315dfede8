"""Dedup benchmark: ours vs datasketch MinHashLSH (+/- rapidfuzz) vs text-dedup MinHash.

    nice python -m bench.dedup_bench --sizes 25000 200000 --peers-up-to 25000

Each (system, size) runs in its own subprocess so peak RSS is its own; the labelled corpus
is generated once per size (bench/out/corpus_<n>.parquet) from the gold article texts in
../shared/devdata/pagedumps/gold. Results go to bench/results/dedup.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq

from bench.corpus import gold_sentences, iter_corpus
from bench.metrics import score

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
GOLD = ROOT.parent / "shared" / "devdata" / "pagedumps" / "gold"
# "ours": deduplicate() on the corpus in memory; "ours-file": `cleaner dedup` on the file,
# which streams the text column (its peak RSS holds no corpus); "ours-file-fast": the
# same with `max_candidates = 3` (the README's faster setting: fewer pairs verified).
SYSTEMS = (
    "ours",
    "ours-file",
    "ours-file-fast",
    "datasketch",
    "datasketch+rapidfuzz",
    "text-dedup",
)
FAST_MAX_CANDIDATES = 3
OURS = ("ours", "ours-file", "ours-file-fast")
_NON_ALPHA = re.compile(r"\W", re.UNICODE)


class UnionFind:
    """Plain union-find: what the peers use to turn candidate pairs into clusters."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def corpus(n: int) -> Path:
    path = OUT / f"corpus_{n}.parquet"
    if not path.exists():
        write_parts(path, iter_corpus(n, gold_sentences(GOLD), seed=n))  # streamed: 1M rows
    return path


def write_parts(path: Path, parts: Iterable[pl.DataFrame]) -> None:
    """Write frames of one schema to one Parquet file, one at a time; the file appears
    only once complete (written beside it, then renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    writer: pq.ParquetWriter | None = None
    for part in parts:
        table = part.to_arrow()
        writer = writer or pq.ParquetWriter(tmp, table.schema)
        writer.write_table(table)
    assert writer is not None, "no rows to write"
    writer.close()
    tmp.rename(path)


def _tree(pid: int) -> list[int]:
    """`pid` and all its descendants (Linux /proc)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeMemory:
    """Peak memory of this process and its workers together, sampled every `every` s.

    Summed PSS: a page shared by the parent and its forked workers counts once (split
    between them), and mapped file pages count. ru_maxrss sees one process only; summing
    RSS would count the pages a forked worker shares with its parent twice. 0 where
    there is no /proc/<pid>/smaps_rollup (not Linux).
    """

    def __init__(self, every: float = 0.5) -> None:
        self.every, self.peak_kb = every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        self.peak_kb = max(self.peak_kb, sum(_pss_kb(p) for p in _tree(os.getpid())))

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self._sample()

    def __enter__(self) -> TreeMemory:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_ours(df: pl.DataFrame) -> list[str]:
    from cleaner.config import DedupConfig
    from cleaner.dedup import deduplicate

    m = deduplicate(df, DedupConfig()).mapping
    return df.select("doc_id").join(m, on="doc_id", how="left")["cluster_id"].to_list()


def _word_ngrams(text: str, n: int) -> set[bytes]:
    toks = [t for t in _NON_ALPHA.split(text.lower()) if t]
    return {" ".join(toks[i : i + n]).encode() for i in range(max(1, len(toks) - n + 1))}


def run_datasketch(df: pl.DataFrame, verify: bool) -> list[int]:
    from datasketch import MinHash, MinHashLSH
    from rapidfuzz import fuzz

    bodies = df["body"].to_list()
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    sigs = []
    for i, b in enumerate(bodies):
        m = MinHash(num_perm=128)
        m.update_batch(list(_word_ngrams(b, 5)))
        sigs.append(m)
        lsh.insert(i, m)
    uf = UnionFind(len(bodies))
    for i, m in enumerate(sigs):
        for j in lsh.query(m):
            if j == i or uf.find(i) == uf.find(j):
                continue
            if not verify or fuzz.ratio(bodies[i], bodies[j]) >= 80:
                uf.union(i, j)
    return [uf.find(i) for i in range(len(bodies))]


def run_text_dedup(df: pl.DataFrame) -> list[int]:
    """text-dedup 0.4.0 minhash.py: its embed_func and parameters, its bucket union-find."""
    from text_dedup.minhash import embed_func
    from text_dedup.utils import optimal_param, sha1_hash

    num_perm, ngram, threshold = 128, 5, 0.5
    dtype, max_hash, prime = np.uint64, np.uint32((1 << 32) - 1), np.uint64((1 << 61) - 1)
    rng = np.random.RandomState(42)
    perms = (
        rng.randint(1, prime, size=(num_perm,), dtype=dtype),
        rng.randint(0, prime, size=(num_perm,), dtype=dtype),
    )
    b, r = optimal_param(threshold, num_perm, false_positive_weight=0.5, false_negative_weight=0.5)
    ranges = [(i * r, (i + 1) * r) for i in range(b)]
    tables: list[dict[bytes, set[int]]] = [defaultdict(set) for _ in range(b)]
    for idx, text in enumerate(df["body"].to_list()):
        out = embed_func(
            text,
            idx,
            num_perm=num_perm,
            ngram_size=ngram,
            min_length=0,
            hashranges=ranges,
            permutations=perms,
            hash_func=lambda d: sha1_hash(d, d=32),
            dtype=dtype,
            max_hash=max_hash,
            modulo_prime=prime,
        )
        for i, h in enumerate(out["__signatures__"]):
            tables[i][h].add(idx)
    uf = UnionFind(df.height)
    for table in tables:
        for cluster in table.values():
            if len(cluster) <= 1:
                continue
            idx = min(cluster)
            for x in cluster:
                uf.union(x, idx)
    return [uf.find(i) for i in range(df.height)]


def run_ours_file(path: Path, ids: pl.Series, max_candidates: int | None = None) -> list[str]:
    import tempfile
    from dataclasses import replace

    from cleaner.config import DedupConfig
    from cleaner.dedup.tools import dedup_parquet

    cfg = DedupConfig()
    if max_candidates is not None:
        cfg = replace(cfg, max_candidates=max_candidates)
    with tempfile.TemporaryDirectory() as out:
        m = pl.read_parquet(dedup_parquet(path, Path(out), "body", "doc_id", cfg).path)
    return ids.to_frame().join(m, on="doc_id", how="left")["cluster_id"].to_list()


def _clusters(system: str, n: int, df: pl.DataFrame) -> list[object]:
    if system == "ours":
        return list(run_ours(df))
    if system == "ours-file":
        return list(run_ours_file(corpus(n), df["doc_id"]))
    if system == "ours-file-fast":
        return list(run_ours_file(corpus(n), df["doc_id"], FAST_MAX_CANDIDATES))
    if system == "datasketch":
        return list(run_datasketch(df, verify=False))
    if system == "datasketch+rapidfuzz":
        return list(run_datasketch(df, verify=True))
    return list(run_text_dedup(df))


def one(system: str, n: int) -> dict[str, object]:
    # `cleaner dedup` reads the file itself: only the labels are loaded here.
    cols = ["doc_id", "label", "family"] if system.startswith("ours-file") else None
    df = pl.read_parquet(corpus(n), columns=cols)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with TreeMemory() as tree:
        t0 = time.perf_counter()
        clusters = _clusters(system, n, df)
        wall = time.perf_counter() - t0
    rss = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,  # forked workers
    )
    pred = pl.DataFrame({"doc_id": df["doc_id"], "cluster": [str(c) for c in clusters]})
    s = score(df, pred)
    return {
        "system": system,
        "n": n,
        "wall_s": round(wall, 2),
        "peak_rss_mb": rss // 1024,
        "peak_tree_pss_mb": tree.peak_kb // 1024,
        "corpus_rss_mb": rss0 // 1024,
        **{k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(s).items()},
    }


def report(rows: list[dict[str, object]], skipped: list[str]) -> str:
    lines = [
        "# Dedup benchmark",
        "",
        "Command: `nice python -m bench.dedup_bench " + " ".join(sys.argv[1:]) + "`",
        "",
        "Corpus: bench/corpus.py, base stories from ../shared/devdata/pagedumps/gold sentences;"
        " ~60% in syndication clusters (new headline, truncation 40-90%, dropped/added"
        " paragraph, sentence swap, cruft lines, OCR/typo noise 0.5-3% of letters, spelling,"
        " number formats, quote styles, re-wrapped lines), ~15% templated stories (earnings,"
        " results, weather), ~10% same-event stories. Machine: shared 2-core box.",
        "",
        "Memory: peak RSS is the largest single process (the run's, or one of its forked"
        " verification workers: what `/usr/bin/time` reports); peak PSS sums the run and its"
        " workers every 0.5 s, pages they share counted once (the peers run in one process).",
        "",
        "| system | docs | P | R | F1 | ARI | F1 w/o templated | templated false merges |"
        " same-event false merges | wall s | peak RSS MB | peak PSS MB, all processes |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['system']} | {r['n']} | {r['precision']:.3f} | {r['recall']:.3f} | "
            f"{r['f1']:.3f} | {r['ari']:.3f} | {r['f1_no_template']:.3f} | "
            f"{r['template_false_merges']} | "
            f"{r['event_false_merges']} | {r['wall_s']} | {r['peak_rss_mb']} | "
            f"{r['peak_tree_pss_mb']} |"
        )
    ours = {r["n"]: r for r in rows if r["system"] == "ours"}
    lines += ["", "Ratios (peer / ours, same size):", ""]
    for r in rows:
        o = ours.get(r["n"])
        if r["system"] not in OURS and o:
            pss = float(r["peak_tree_pss_mb"]) / max(1.0, float(o["peak_tree_pss_mb"]))
            lines.append(
                f"- {r['system']} @ {r['n']}: wall x{float(r['wall_s']) / float(o['wall_s']):.1f}"
                f", PSS x{pss:.1f}, F1 "
                f"{r['f1']:.3f} vs {o['f1']:.3f}"
            )
    if skipped:
        lines += ["", "Skipped:", "", *[f"- {s}" for s in skipped]]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[25_000, 200_000])
    ap.add_argument("--peers-up-to", type=int, default=25_000)
    ap.add_argument("--one", nargs=2, metavar=("SYSTEM", "N"))
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one[0], int(args.one[1]))))
        return
    rows, skipped = [], []
    for n in args.sizes:
        corpus(n)
        for system in SYSTEMS:
            if system not in OURS and n > args.peers_up_to:
                skipped.append(f"{system} at {n} docs (too slow for the shared 2-core box)")
                continue
            out = subprocess.run(
                [sys.executable, "-m", "bench.dedup_bench", "--one", system, str(n)],
                capture_output=True,
                text=True,
                cwd=ROOT,
                check=False,
            )
            if out.returncode:
                skipped.append(f"{system} at {n}: failed: {out.stderr.strip()[-300:]}")
                continue
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(rows[-1], flush=True)
    (ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench" / "results" / "dedup.md").write_text(report(rows, skipped))


if __name__ == "__main__":
    main()
