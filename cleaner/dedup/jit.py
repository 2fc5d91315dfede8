"""`compiled`: numba's njit for the dedup kernels, with a disk cache that cannot go stale.

numba caches a compiled function next to its module and checks only that module's
source: a kernel that inlines a helper from another module (the screen calls the word
rules of `screen_words`; signing reads constants of `keys` and `lsh`) would keep running
the old helper after an edit or an upgrade. So every kernel module's cache files carry
the digest of the whole dedup package's sources, and are deleted when it changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit


@lru_cache(maxsize=1)
def sources_digest() -> str:
    """Digest of every module of the dedup package: any edit gives another one.

    All of them, not a list of the kernels' own: a kernel reads helpers and constants
    of other modules, and a module that gains a kernel cannot be left off a list.
    """
    h = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _purge_stale(cache_dir: str, module: str) -> None:
    """Delete `module`'s cached kernels in `cache_dir` unless they match the sources.

    Best effort: a cache that cannot be read or written is numba's business.
    """
    folder = Path(cache_dir)
    stamp = folder / f"{module}.kernels-{sources_digest()}"
    try:
        if stamp.exists():
            return
        for old in folder.glob(f"{module}.*"):
            if old.suffix in (".nbi", ".nbc") or ".kernels-" in old.name:
                old.unlink()
        folder.mkdir(parents=True, exist_ok=True)
        stamp.touch()
    except OSError:
        pass


def compiled(fn: Callable[..., Any]) -> Any:
    """`fn` compiled by numba (GIL released), cached on disk where a cache can be written.

    The cache sits next to the module, or in the user's cache folder; an install where
    neither can be written (read-only site-packages, no home) compiles in each process
    instead of failing at import. Cached kernels compiled from other sources are dropped.
    """
    try:
        kernel = njit(cache=True, nogil=True)(fn)
    except RuntimeError:  # numba: "cannot cache function ...: no locator available"
        return njit(nogil=True)(fn)
    cache = getattr(kernel, "_cache", None)
    path = getattr(cache, "_cache_path", None)
    if path is not None:
        _purge_stale(path, fn.__module__.rsplit(".", 1)[-1])
    return kernel


def frozen(x: npt.NDArray[Any], dtype: type[np.generic]) -> npt.NDArray[Any]:
    """A read-only, contiguous view (a copy only if needed): one compiled signature for
    every caller, whether its buffer came from Arrow (read-only) or from numpy."""
    view = np.ascontiguousarray(x, dtype=dtype).view()
    view.flags.writeable = False
    return view
