"""Time validate() on a synthetic batch of invented stories: GE setup, then per batch.

Run: PYTHONPATH=. nice python bench/validate_bench.py [N]
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, date, datetime

import polars as pl

from cleaner.config import ValidateConfig
from cleaner.schema import ARTICLE, conform


def batch(n: int) -> pl.DataFrame:
    words = [
        "the",
        "harbour",
        "authority",
        "reopened",
        "the",
        "northern",
        "quay",
        "after",
        "repairs",
    ]
    body = "\n".join(" ".join(words * 5) for _ in range(8))  # ~400 words, 8 lines
    frame = pl.DataFrame(
        {
            "doc_id": [f"{i:016x}" for i in range(n)],
            "title": [None if i % 10 == 0 else "Harbour reopens after repairs" for i in range(n)],
            "body": [body + ("\nFollow" if i % 50 == 0 else "") for i in range(n)],
            "source": ["The Coastal Herald" if i % 7 else None for i in range(n)],
            "published": [date(2024, 1, 1 + i % 28) for i in range(n)],
            "word_count": [len(body.split())] * n,
            "warnings": [["truncated_paragraph"] if i % 20 == 0 else [] for i in range(n)],
        }
    )
    return conform(frame, ARTICLE)


def main() -> None:
    from cleaner.validate import validate

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    now = datetime(2025, 1, 15, tzinfo=UTC)
    start = time.perf_counter()
    validate(batch(10), ValidateConfig(), now=now)
    print(f"first call (import + context + suite): {time.perf_counter() - start:.2f} s")
    frame = batch(n)
    start = time.perf_counter()
    result = validate(frame, ValidateConfig(), now=now)
    took = time.perf_counter() - start
    print(f"{n} stories: {took:.2f} s ({n / took:,.0f} stories/s), rejected {result.rejected}")


if __name__ == "__main__":
    main()
