"""The progress callback every long library call accepts; commands draw it, stages never do.

Called as ``progress(stage, done, total)``, with total 0 when it is not known.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]


def quiet(stage: str, done: int, total: int) -> None:
    """The default callback: reports nothing.

    >>> quiet("sign", 1, 2)
    """
