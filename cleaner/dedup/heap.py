"""The cyclic garbage collector paused while dedup builds millions of acyclic objects.

Dedup makes a `DocInfo` per story, and verification millions of short-lived lists and
strings: none of them in a reference cycle, so reference counting frees them all. The
cyclic collector would still walk every live object again and again as they pile up:
at a million stories, building the DocInfos took 2.5 s with it and 1.3 s without (200k:
0.4 and 0.3 s), a cost that grows faster than the batch. The star clusters' few
hundred checks of unverified pairs (`stars`) allocate like verification: with it, 526
checks took 0.45 s at a million stories (850 us each), without it 0.09 s (200k: 0.03
and 0.02 s). Paused over the whole clustering as well, it gained nothing more that
could be measured, so it is paused in those three places.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def acyclic() -> Iterator[None]:
    """Run the block with the cyclic collector off; its previous state is restored after.

    Nested blocks are fine: only the outermost one that turned it off turns it on again.

    >>> with acyclic():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
