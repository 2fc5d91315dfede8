"""Throughput of split -> normalise -> extract on the shared page dumps (messy, long input).

Run:  PYTHONPATH=. nice python bench/text_stages.py [DUMP_DIR]
Prints stories/s and MB/s per stage; results are recorded by hand in
bench/results/text_stages.md.  Never asserted in unit tests.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from cleaner.audit import read_raw_file
from cleaner.config import Config
from cleaner.cruft import compile_rules
from cleaner.extract import extract
from cleaner.normalise import normalise
from cleaner.split import split

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "devdata" / "pagedumps" / "dump"


def main(folder: Path) -> None:
    cfg = Config()
    records = [read_raw_file(p, folder) for p in sorted(folder.glob("*.txt"))]
    size = sum(len(r.text.encode("utf-8")) for r in records) / 1e6
    t0 = time.perf_counter()
    stories = [s for r in records for s in split(r, cfg.split)]
    t1 = time.perf_counter()
    rules = compile_rules(cfg.normalise, stories)
    normalised = [normalise(s, rules) for s in stories]
    t2 = time.perf_counter()
    articles = [extract(n, cfg.extract) for n in normalised]
    t3 = time.perf_counter()
    lines = sum(len(s.lines) for s in stories)
    print(f"{len(records)} records, {len(stories)} stories, {lines} lines, {size:.1f} MB")
    for name, secs in (
        ("split", t1 - t0),
        ("normalise", t2 - t1),
        ("extract", t3 - t2),
        ("total", t3 - t0),
    ):
        print(
            f"{name:10s} {secs:7.2f} s  {len(stories) / secs:8.0f} stories/s  "
            f"{size / secs:6.2f} MB/s"
        )
    print(f"articles: {len(articles)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
