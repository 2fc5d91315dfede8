"""How dedup's cost grows with the batch, with the corpus's density held or growing.

    nice python -m bench.dedup_scaling --base 25000 --copies 1 8 40 \
        --prefixes 50000 200000 1000000 --repeats 3

The benchmark corpus draws its base stories from a fixed pool of gold sentences, so a
larger corpus is also a denser one: at 1M every sentence is in ~280 stories, and a story
has more candidates that share a sentence with it. This run separates the two.

- `--copies K ...`: the labelled corpus of `--base` stories, written K times side by
  side, each copy with its letters and digits enciphered by its own substitution
  alphabet (case, punctuation, number formats and word lengths kept; copy 0 is the
  corpus itself). The copies share almost no words, so each is a batch of the same
  density as the base, and K copies are K times the work of one if the cost is linear.
- `--prefixes N ...`: the first N rows of the largest benchmark corpus (the benchmark's
  own stories; its density grows with N, as the benchmark's does).

`cleaner dedup` runs on each (from the file, in a subprocess of its own, like the
benchmark's `ours-file` row), `--repeats` times, the order reversed on every other
pass so the box's drift does not fall on one size; the medians are reported. Besides
wall and CPU time per story, each run splits its wall time in two: the verification of
candidate pairs (`PairVerifier.telling`), per verified pair, and the rest, per story. A
cost linear in the stories and in the pairs verified keeps both flat while the pairs per
story follow the corpus's density. It also counts the candidate search's work a story:
partner occurrences (two stories in one bucket, once per band they share; each story
has at most 84 bands and 15 partners a band) and the distinct pairs proposed (at most
2 x `max_candidates`). One JSON line per run, then a Markdown table.
Results are recorded by hand in bench/results/dedup.md.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import string
import subprocess
import sys
import time
from collections.abc import Sequence
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
    >>> body = out["body"][0]
    >>> out["doc_id"][0], out["label"][0], body[2] + body[5:7], body[3:5] == "12"
    ('d1~2', 's1~2', ' , ', False)
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


def prefix(n: int, of: int) -> Path:
    """bench/out/prefix_<n>_of_<of>.parquet: the first `n` rows of the benchmark corpus
    of `of` rows, written once (the corpus itself when `n == of`)."""
    if n == of:
        return corpus(of)
    path = OUT / f"prefix_{n}_of_{of}.parquet"
    if not path.exists():
        pl.scan_parquet(corpus(of)).head(n).sink_parquet(path)
    return path


def split(wall: float, verify_s: float, docs: int, pairs: int) -> tuple[float, float]:
    """(µs a story outside verification, µs a verified pair) of one run.

    >>> split(10.0, 6.0, 100_000, 400_000)
    (40.0, 15.0)
    """
    return (
        round((wall - verify_s) / docs * 1e6, 1),
        round(verify_s / pairs * 1e6, 1) if pairs else 0.0,
    )


def one(path: Path) -> dict[str, object]:
    """`cleaner dedup` on `path` from the file: wall and CPU time, the time verifying
    pairs, pairs verified, accuracy."""
    import tempfile

    import cleaner.dedup as dedup
    from cleaner.config import DedupConfig
    from cleaner.dedup import lsh, pairs
    from cleaner.dedup.tools import dedup_parquet

    verified, verifying = [0], [0.0]
    telling = pairs.PairVerifier.telling
    # The candidate search's work: partner occurrences (a story and a better-ranked story
    # in one bucket, once per shared band), and the distinct pairs it proposes.
    occurrences: list[int] = []  # appended from the search's two threads
    proposed = [0]
    pack, search = lsh.pack_pairs, dedup.candidate_arrays

    def packed(*args: object) -> object:
        out = pack(*args)
        occurrences.append(len(out))
        return out

    def searched(*args: object, **kw: object) -> object:
        out = search(*args, **kw)
        proposed[0] += len(out[0])
        return out

    lsh.pack_pairs, dedup.candidate_arrays = packed, searched

    def counted(self: pairs.PairVerifier, a: object, b: object, stage: str = "pairs") -> object:
        verified[0] += len(a)  # type: ignore[arg-type]
        t = time.perf_counter()
        try:
            return telling(self, a, b, stage)  # type: ignore[arg-type]
        finally:
            verifying[0] += time.perf_counter() - t

    pairs.PairVerifier.telling = counted  # type: ignore[method-assign,assignment]
    labels = pl.read_parquet(path, columns=["doc_id", "label", "family"])
    with tempfile.TemporaryDirectory() as out, TreeMemory() as tree:
        cpu0 = _cpu()
        t0 = time.perf_counter()
        mapping = pl.read_parquet(
            dedup_parquet(path, Path(out), "body", "doc_id", DedupConfig()).path
        )
        wall = time.perf_counter() - t0
        cpu = _cpu() - cpu0  # the forked verification workers are joined by now
    pred = labels.join(mapping, on="doc_id", how="left").select(
        "doc_id", pl.col("cluster_id").alias("cluster")
    )
    s = score(labels, pred)
    n = labels.height
    outside, per_pair = split(wall, verifying[0], n, verified[0])
    return {
        "docs": n,
        "wall_s": round(wall, 2),
        "us_per_story": round(wall / n * 1e6, 1),
        "cpu_us_per_story": round(cpu / n * 1e6, 1),
        "occurrences_per_story": round(sum(occurrences) / n, 1),
        "proposed_per_story": round(proposed[0] / n, 2),
        "pairs_per_story": round(verified[0] / n, 3),
        "us_per_story_outside_verification": outside,
        "us_per_verified_pair": per_pair,
        "peak_tree_pss_mb": tree.peak_kb // 1024,
        "f1": round(s.f1, 4),
        "recall": round(s.recall, 4),
        "template_false_merges": s.template_false_merges,
    }


def _cpu() -> float:
    """User and system seconds of this process and its joined children."""
    use = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return sum(u.ru_utime + u.ru_stime for u in use)


def medians(runs: Sequence[dict[str, object]]) -> dict[str, object]:
    """Each measure's median over repeated runs of one file (the rest from the first).

    >>> medians([{"docs": 5, "wall_s": 3.0}, {"docs": 5, "wall_s": 1.0},
    ...          {"docs": 5, "wall_s": 2.0}])
    {'docs': 5, 'wall_s': 2.0}
    """
    out = dict(runs[0])
    for key, value in out.items():
        if isinstance(value, float):
            out[key] = statistics.median(float(r[key]) for r in runs)  # type: ignore[arg-type]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", type=int, default=25_000)
    ap.add_argument("--copies", type=int, nargs="*", default=[1, 8, 40])
    ap.add_argument("--prefixes", type=int, nargs="*", default=[])
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return
    files = [(f"{k} enciphered copies of {args.base:,}", scaled(args.base, k)) for k in args.copies]
    if args.prefixes:
        largest = max(args.prefixes)
        files += [(f"first {n:,} of {largest:,}", prefix(n, largest)) for n in args.prefixes]
    runs: dict[str, list[dict[str, object]]] = {name: [] for name, _ in files}
    for rep in range(args.repeats):
        for name, path in files if rep % 2 == 0 else files[::-1]:
            cmd = [sys.executable, "-m", "bench.dedup_scaling", "--one", str(path)]
            res = subprocess.run(cmd, capture_output=True, text=True, check=True)
            row = {"corpus": name, **json.loads(res.stdout.strip().splitlines()[-1])}
            print(json.dumps(row), flush=True)
            runs[name].append(row)
    print()
    print(
        "| corpus | docs | wall s | µs per story | CPU µs per story "
        "| candidate occurrences per story | pairs proposed per story | pairs per story "
        "| µs per story outside verification | µs per verified pair | F1 "
        "| templated false merges | PSS MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, _ in files:
        r = medians(runs[name])
        print(
            f"| {name} | {r['docs']} | {r['wall_s']} | {r['us_per_story']} | "
            f"{r['cpu_us_per_story']} | {r['occurrences_per_story']} | "
            f"{r['proposed_per_story']} | {r['pairs_per_story']} | "
            f"{r['us_per_story_outside_verification']} | {r['us_per_verified_pair']} | "
            f"{r['f1']} | {r['template_false_merges']} | {r['peak_tree_pss_mb']} |"
        )


if __name__ == "__main__":
    main()
