"""Tonight against earlier nights: dedup of one night's batch with an archive in the index.

    nice python -m bench.dedup_history --archive 175000 975000 --night 25000

For each archive size A, the labelled corpus of A + night stories (bench/out) is split:
`--night` rows drawn at random (seed 0) are tonight's batch, so tonight holds copies of
earlier nights' stories as a real night does; the other A rows are signed and saved as
earlier nights' index (`DedupIndex`, Parquet parts under a temporary state folder, as
the nightly pipeline keeps them; written once under bench/out). A fresh process loads
the index and runs `deduplicate(tonight, cfg, index)`: their times, its peak RSS, and
tonight's stories matched to an earlier article. Results are recorded by hand in
bench/results/dedup.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

from bench.dedup_bench import OUT, corpus


def prepare(archive: int, night: int) -> Path:
    """bench/out/history_<A>_<night>/: the index of the earlier stories under `state/`
    and tonight's batch as `tonight.parquet`, written once."""
    from cleaner.config import DedupConfig
    from cleaner.dedup import _prepare, _sign, _slices, lsh_params
    from cleaner.dedup.index import DedupIndex

    root = OUT / f"history_{archive}_{night}"
    if (root / "tonight.parquet").exists():
        return root
    cfg = DedupConfig()
    df = pl.read_parquet(corpus(archive + night)).with_row_index("row")
    tonight = df.sample(night, seed=0).sort("row")
    earlier = df.filter(~pl.col("row").is_in(tonight["row"].implode())).drop("row")
    params = lsh_params(cfg)
    batch = _prepare(earlier)
    signed = _sign(_slices(batch["body"], cfg.batch_size), batch.height, params)
    exact, bands, n_tokens = signed.exact, signed.bands, signed.n_tokens
    del signed  # its words and sketches: not saved
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
    DedupIndex.empty().append_rows(params, meta, bands, earlier).save(root / "state")
    tonight.drop("row").write_parquet(root / "tonight.parquet")
    return root


def _peak_mb() -> int:
    """This process's peak RSS: VmHWM where Linux has it (ru_maxrss keeps the peak of
    the forked parent across exec), else ru_maxrss."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def measure(root: Path) -> dict[str, object]:
    """Load the index and dedup tonight against it, in this (fresh) process."""
    from cleaner.config import DedupConfig
    from cleaner.dedup import deduplicate
    from cleaner.dedup.index import DedupIndex

    tonight = pl.read_parquet(root / "tonight.parquet")
    before = _peak_mb()
    t0 = time.perf_counter()
    index = DedupIndex.load(root / "state")
    t1 = time.perf_counter()
    result = deduplicate(tonight, DedupConfig(), index)
    t2 = time.perf_counter()
    known = index.meta["doc_id"]
    return {
        "archive": index.size,
        "night": tonight.height,
        "load_s": round(t1 - t0, 2),
        "dedup_s": round(t2 - t1, 2),
        "peak_rss_mb": _peak_mb(),
        "rss_before_mb": before,
        "matched_to_earlier": int(result.mapping["duplicate_of"].is_in(known.implode()).sum()),
        "duplicates": int(result.mapping["duplicate_of"].is_not_null().sum()),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--archive", type=int, nargs="+", default=[175_000, 975_000])
    ap.add_argument("--night", type=int, default=25_000)
    ap.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    for archive in args.archive:
        root = prepare(archive, args.night)
        cmd = [sys.executable, "-m", "bench.dedup_history", "--measure", str(root)]
        res = subprocess.run(cmd, capture_output=True, text=True, check=True)
        print(res.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
