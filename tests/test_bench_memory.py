"""The dedup benchmark's memory column: the run and its forked workers, shared pages once."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

import pytest

from bench.dedup_bench import TreeMemory, _pss_kb, _tree

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/smaps_rollup").exists()
    or "fork" not in multiprocessing.get_all_start_methods(),
    reason="needs Linux /proc and fork",
)
MB = 1024


def _child(size_mb: int, ready: Any, done: Any) -> None:
    held = bytearray(size_mb << 20)  # zero-filled: every page written, private to the child
    ready.set()
    done.wait(30)
    del held


def _peak_with_child(size_mb: int) -> tuple[int, int]:
    """(tree PSS before, peak tree PSS while a forked child holds `size_mb` MB), in KB."""
    ctx = multiprocessing.get_context("fork")
    ready, done = ctx.Event(), ctx.Event()
    with TreeMemory(every=0.05) as tree:
        before = tree.peak_kb
        child = ctx.Process(target=_child, args=(size_mb, ready, done))
        child.start()
        assert ready.wait(30)
        time.sleep(0.3)  # a few samples while the child holds its memory
        done.set()
        child.join()
    return before, tree.peak_kb


def test_a_forked_workers_own_memory_is_counted() -> None:
    before, peak = _peak_with_child(200)
    assert peak - before >= 180 * MB, (before, peak)


def test_pages_a_forked_worker_shares_with_the_run_are_counted_once() -> None:
    """An idle forked child shares the parent's pages: summed RSS would count the parent
    twice, summed PSS adds only the child's own few pages."""
    own = _pss_kb(os.getpid())
    before, peak = _peak_with_child(0)
    assert peak - before < own // 2, (own, before, peak)


def test_the_tree_holds_the_process_and_its_children() -> None:
    assert _tree(os.getpid())[0] == os.getpid()
