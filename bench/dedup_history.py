"""Tonight against earlier nights: dedup of one night's batch with an archive in the index.

    nice python -m bench.dedup_history --archive 175000 975000 --night 25000

For each archive size A, the labelled corpus of A + night stories (bench/out) is split:
`--night` rows drawn at random (seed 0) are tonight's batch, so tonight holds copies of
earlier nights' stories as a real night does; the other A rows are signed and saved as
earlier nights' index (`DedupIndex`, Parquet parts under a temporary state folder, as
the nightly pipeline keeps them). Times loading the index and `deduplicate(tonight,
cfg, index)`, and counts tonight's stories matched to an earlier article. Results are
recorded by hand in bench/results/dedup.md.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import polars as pl

from bench.dedup_bench import corpus


def one(archive: int, night: int) -> dict[str, object]:
    from cleaner.config import DedupConfig
    from cleaner.dedup import _prepare, _sign, _slices, deduplicate, lsh_params
    from cleaner.dedup.index import DedupIndex

    cfg = DedupConfig()
    df = pl.read_parquet(corpus(archive + night)).with_row_index("row")
    tonight = df.sample(night, seed=0).sort("row")
    earlier = df.filter(~pl.col("row").is_in(tonight["row"].implode())).drop("row")
    tonight = tonight.drop("row")
    params = lsh_params(cfg)
    batch = _prepare(earlier)
    exact, bands, n_tokens, _ = _sign(_slices(batch["body"], cfg.batch_size), batch.height, params)
    meta = earlier.select(
        "doc_id",
        cluster_id=pl.lit("c-") + pl.col("doc_id"),
        exact_key=pl.Series(exact),
        n_tokens=pl.Series(n_tokens),
        has_title=pl.col("title").is_not_null(),
        source="source",
        published="published",
        updated="updated",
    )
    with tempfile.TemporaryDirectory() as state:
        DedupIndex.empty().append_rows(params, meta, bands, earlier).save(Path(state))
        del df, earlier, batch, bands, meta
        t0 = time.perf_counter()
        index = DedupIndex.load(Path(state))
        t1 = time.perf_counter()
        result = deduplicate(tonight, cfg, index)
        t2 = time.perf_counter()
    known = set(index.meta["doc_id"].to_list())
    matched = result.mapping["duplicate_of"].is_in(list(known)).sum()
    return {
        "archive": archive,
        "night": night,
        "load_s": round(t1 - t0, 2),
        "dedup_s": round(t2 - t1, 2),
        "matched_to_earlier": int(matched),
        "duplicates": int(result.mapping["duplicate_of"].is_not_null().sum()),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--archive", type=int, nargs="+", default=[175_000, 975_000])
    ap.add_argument("--night", type=int, default=25_000)
    args = ap.parse_args()
    for archive in args.archive:
        print(json.dumps(one(archive, args.night)), flush=True)


if __name__ == "__main__":
    main()
