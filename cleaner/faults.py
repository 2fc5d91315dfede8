"""Named checkpoints where the crash-safety tests kill a real run.

When ``CLEANER_PAUSE_AT`` names a checkpoint, the run writes the file named by
``CLEANER_PAUSE_MARKER`` and sleeps there, so a test can ``kill -9`` it at exactly
that point. Checkpoints: ``ingest``, ``dedup``, ``publish`` and ``publish:<folder>``
before each part is moved into place. Unset (always, outside tests) a checkpoint
costs one dict lookup.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def checkpoint(name: str) -> None:
    """Pause here for a test's kill -9 when asked to; otherwise do nothing."""
    if os.environ.get("CLEANER_PAUSE_AT") != name:
        return
    marker = os.environ.get("CLEANER_PAUSE_MARKER")
    if marker:
        Path(marker).write_text(str(os.getpid()))
    time.sleep(float(os.environ.get("CLEANER_PAUSE_SECONDS", "60")))
