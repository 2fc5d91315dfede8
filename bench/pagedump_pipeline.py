"""Body F1 of the whole text path (split, normalise, extract) on the devdata page dumps.

`bench/pagedump_f1.py` measures the article finder alone; this measures what a user
gets in the `title` and `body` columns when a scraper hands `cleaner` a page dump,
with the same metric (devdata README), so the two can be compared.

    python bench/pagedump_pipeline.py [../shared/devdata/pagedumps]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from cleaner.config import Config
from cleaner.cruft import compile_rules
from cleaner.extract import extract
from cleaner.normalise import normalise
from cleaner.pagedump_metric import shingle_counts, summarise
from cleaner.records import RawRecord
from cleaner.split import split

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "pagedump_pipeline.md"


def main(folder: Path) -> None:
    cfg = Config()
    start = time.perf_counter()
    counts, stories_per_dump = [], []
    for path in sorted((folder / "dump").glob("*.txt")):
        gold = (folder / "gold" / path.name).read_text(encoding="utf-8", errors="replace")
        text = path.read_text(encoding="utf-8", errors="replace")
        record = RawRecord(path.name, "-", 0, text, "utf-8", "txt")
        stories = split(record, cfg.split)
        rules = compile_rules(cfg.normalise, stories)
        parts = []
        for story in stories:
            art = extract(normalise(story, rules), cfg.extract)
            parts.extend(
                p
                for p in (art.title, art.byline, *art.summary, art.caption, art.dateline, art.body)
                if p
            )
        counts.append(shingle_counts(gold, "\n".join(parts)))
        stories_per_dump.append(len(stories))
    seconds = time.perf_counter() - start
    s = summarise(counts)
    split_dumps = sum(n > 1 for n in stories_per_dump)
    report = (
        "# Page dumps through the pipeline's text stages\n\n"
        f"{s.documents} documents; prediction = the text fields a user gets (title, byline, "
        "summary, caption, dateline, body) of every story cut from the dump; metric as in "
        "the devdata README.\n\n"
        "| path | F1 | P | R | empty outputs | dumps split in >1 story | seconds |\n"
        "|---|---|---|---|---|---|---|\n"
        f"| split + normalise + extract | {s.f1:.3f} | {s.precision:.3f} | {s.recall:.3f} "
        f"| {s.empty_outputs} | {split_dumps} | {seconds:.1f} |\n"
    )
    RESULTS.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared/devdata/pagedumps")
