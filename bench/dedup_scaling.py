"""How dedup's cost grows with the batch when the corpus's density does not.

    nice python -m bench.dedup_scaling --base 25000 --copies 1 8 40

The benchmark corpus draws its base stories from a fixed pool of gold sentences, so a
larger corpus is also a denser one: at 1M every sentence is in ~280 stories, and a story
has more candidates that share a sentence with it. This run separates the two. It takes
the labelled corpus of `--base` stories and writes K copies of it side by side, each with
its letters and digits enciphered by its own substitution alphabet (case, punctuation,
number formats and word lengths kept; copy 0 is the corpus itself). The copies share
almost no words, so each is a batch of the same density as the base, and K copies are K
times the work of one if the cost is linear. `cleaner dedup` runs on each (from the file,
in a subprocess of its own, like the benchmark's `ours-file` row); the run prints one
line per K and a Markdown table with time per story, verified pairs per story and
accuracy.
Results are recorded by hand in bench/results/dedup.md.
"""

from __future__ import annotations

import argparse
import json
import random
import string
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

from bench.dedup_bench import OUT, TreeMemory, corpus, write_parts
from bench.metrics import score

LOWER = string.ascii_lowercase


def alphabet(copy: int) -> tuple[list[str], list[str]]:
    """Copy `copy`'s substitution (characters to replace, replacements): letters, upper
    and lower case alike, and digits (templated stories share their figures' shingles
    across copies otherwise); copy 0 keeps its own.

    >>> alphabet(0)[0] == alphabet(0)[1]
    True
    >>> src, dst = alphabet(3)
    >>> sorted(dst) == sorted(src) and src != dst
    True
    """
    letters, digits = list(LOWER), list(string.digits)
    if copy:
        random.Random(copy).shuffle(letters)
        random.Random(-copy).shuffle(digits)
    src = list(LOWER) + list(LOWER.upper()) + list(string.digits)
    return src, letters + [c.upper() for c in letters] + digits


def encipher(df: pl.DataFrame, copy: int) -> pl.DataFrame:
    """The corpus as copy `copy`: texts enciphered, ids and labels made its own.

    >>> df = pl.DataFrame({"doc_id": ["d1"], "label": ["s1"], "title": ["Ab"],
    ...                    "body": ["Ab 12, ba."]})
    >>> encipher(df, 0)["body"][0], encipher(df, 0)["doc_id"][0]
    ('Ab 12, ba.', 'd1')
    >>> out = encipher(df, 2)
    >>> out["doc_id"][0], out["label"][0], out["body"][0][2:7] == " 12, "
    ('d1~2', 's1~2', True)
    """
    if copy == 0:
        return df
    src, dst = alphabet(copy)
    text = [c for c in ("title", "body") if c in df.columns]
    return df.with_columns(
        *(pl.col(c).str.replace_many(src, dst) for c in text),
        pl.col("doc_id") + f"~{copy}",
        pl.col("label") + f"~{copy}",
    )


def scaled(base: int, copies: int) -> Path:
    """bench/out/scaled_<base>x<copies>.parquet, written once."""
    path = OUT / f"scaled_{base}x{copies}.parquet"
    if copies == 1:
        return corpus(base)
    if not path.exists():
        df = pl.read_parquet(corpus(base))
        write_parts(path, (encipher(df, k) for k in range(copies)))
    return path


def one(path: Path) -> dict[str, object]:
    """`cleaner dedup` on `path` from the file: wall time, pairs verified, accuracy."""
    import tempfile

    from cleaner.config import DedupConfig
    from cleaner.dedup import pairs
    from cleaner.dedup.tools import dedup_parquet

    verified = [0]
    telling = pairs.PairVerifier.telling

    def counted(self: pairs.PairVerifier, a: object, b: object, stage: str = "pairs") -> object:
        verified[0] += len(a)  # type: ignore[arg-type]
        return telling(self, a, b, stage)  # type: ignore[arg-type]

    pairs.PairVerifier.telling = counted  # type: ignore[method-assign,assignment]
    labels = pl.read_parquet(path, columns=["doc_id", "label", "family"])
    with tempfile.TemporaryDirectory() as out, TreeMemory() as tree:
        t0 = time.perf_counter()
        mapping = pl.read_parquet(
            dedup_parquet(path, Path(out), "body", "doc_id", DedupConfig()).path
        )
        wall = time.perf_counter() - t0
    pred = labels.join(mapping, on="doc_id", how="left").select(
        "doc_id", pl.col("cluster_id").alias("cluster")
    )
    s = score(labels, pred)
    n = labels.height
    return {
        "docs": n,
        "wall_s": round(wall, 2),
        "us_per_story": round(wall / n * 1e6, 1),
        "pairs_per_story": round(verified[0] / n, 3),
        "peak_tree_pss_mb": tree.peak_kb // 1024,
        "f1": round(s.f1, 4),
        "recall": round(s.recall, 4),
        "template_false_merges": s.template_false_merges,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", type=int, default=25_000)
    ap.add_argument("--copies", type=int, nargs="+", default=[1, 8, 40])
    ap.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return
    rows = []
    for k in args.copies:
        path = scaled(args.base, k)
        cmd = [sys.executable, "-m", "bench.dedup_scaling", "--one", str(path)]
        res = subprocess.run(cmd, capture_output=True, text=True, check=True)
        row = {"copies": k, **json.loads(res.stdout.strip().splitlines()[-1])}
        print(json.dumps(row), flush=True)
        rows.append(row)
    print()
    print("| copies of the base | docs | wall s | µs per story | pairs per story | F1 | PSS MB |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['copies']} | {r['docs']} | {r['wall_s']} | {r['us_per_story']} | "
            f"{r['pairs_per_story']} | {r['f1']} | {r['peak_tree_pss_mb']} |"
        )


if __name__ == "__main__":
    main()
