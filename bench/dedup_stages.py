"""Per-stage timing of dedup signing and candidate generation (no verification).

    nice python -m bench.dedup_stages 25000 [--threads N] [--save out.npz] [--cross]

Times `_sign` (tokenize + exact keys + band keys) and `candidate_pairs` on the labelled
corpus bench/out/corpus_<n>.parquet, and with `--cross` the history join `cross_pairs`
(the batch against itself, the worst case of an index as large as the batch) with the
bucket and per-row caps of the config (uncapped: ~20 GB at 25k, templated buckets).
Prints one line per stage with seconds and the process's peak RSS so far. `--save` writes the keys
and pairs so two code versions can be compared for identical output. Run it with
PYTHONPATH pointing at the code to measure (an exported old commit for "before").
Results are recorded by hand in bench/results/dedup_stages.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path

import numpy as np
import polars as pl

OUT = Path(__file__).resolve().parents[1] / "bench" / "out"


def _rss_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("--threads", type=int, default=0, help="POLARS_MAX_THREADS (0: default)")
    ap.add_argument("--save", type=Path)
    ap.add_argument("--cross", action="store_true")
    ap.add_argument("--corpus", type=Path)
    args = ap.parse_args()
    if args.threads:
        os.environ["POLARS_MAX_THREADS"] = str(args.threads)

    from cleaner.config import DedupConfig
    from cleaner.dedup import _prepare, _sign, _slices, lsh_params
    from cleaner.dedup.cluster import keep_order_frame
    from cleaner.dedup.lsh import candidate_pairs, cross_pairs

    cfg = DedupConfig()
    path = args.corpus or OUT / f"corpus_{args.n}.parquet"
    df = _prepare(pl.read_parquet(path).head(args.n))
    p = lsh_params(cfg)
    print(f"docs {df.height} loaded rss {_rss_mb()} MB", flush=True)
    t = time.perf_counter()
    signed = _sign(_slices(df["body"], cfg.batch_size), df.height, p)
    exact, bands, n_tok, words = signed.exact, signed.bands, signed.n_tokens, signed.words
    print(f"sign {time.perf_counter() - t:.2f} s rss {_rss_mb()} MB", flush=True)
    rank = np.empty(df.height, np.int64)
    rank[keep_order_frame(df, n_tok, cfg)] = np.arange(df.height)
    t = time.perf_counter()
    pairs = candidate_pairs(bands, rank, cfg.max_bucket, cfg.bucket_top, 2 * cfg.max_candidates)
    print(
        f"candidate_pairs {time.perf_counter() - t:.2f} s rss {_rss_mb()} MB pairs {pairs.height}",
        flush=True,
    )
    if args.cross:
        t = time.perf_counter()
        cross = cross_pairs(
            bands,
            bands,
            max_bucket=cfg.max_bucket,
            bucket_top=cfg.bucket_top,
            per_row=2 * cfg.max_candidates,
        )
        print(
            f"cross_pairs {time.perf_counter() - t:.2f} s rss {_rss_mb()} MB pairs {cross.height}",
            flush=True,
        )
    if args.save:
        np.savez(
            args.save,
            exact=exact,
            bands=bands,
            n_tok=n_tok,
            words=words.data,
            left=pairs["left"].to_numpy(),
            right=pairs["right"].to_numpy(),
            hits=pairs["hits"].to_numpy(),
        )


if __name__ == "__main__":
    main()
