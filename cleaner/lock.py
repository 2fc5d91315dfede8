"""One run at a time per output folder: an exclusive lock file with the owner's pid.

The lock is created with O_EXCL, so two runs starting together cannot both win. A
lock whose process is gone (a crash, kill -9, a reboot) is stale and is taken over;
a lock held by a live process makes the second run exit with a clear message.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cleaner.errors import LockedError


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _try_create(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as handle:
        json.dump({"pid": os.getpid(), "host": socket.gethostname()}, handle)
    return True


@contextmanager
def run_lock(out_dir: Path) -> Iterator[Path]:
    """Hold ``OUT/_state/run.lock`` for the duration of a run."""
    path = out_dir / "_state" / "run.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not _try_create(path):
        owner = _owner(path)
        same_host = owner is None or owner[1] == socket.gethostname()
        if owner is not None and (not same_host or _alive(owner[0])):
            raise LockedError(
                f"another cleaner run (pid {owner[0]} on {owner[1]}) is writing {out_dir}; "
                f"wait for it to finish, or delete {path} if that process is gone"
            )
        path.unlink(missing_ok=True)  # stale: its process is dead
        if not _try_create(path):
            raise LockedError(f"another cleaner run took the lock on {out_dir} just now")
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def _owner(path: Path) -> tuple[int, str] | None:
    """(pid, host) written in the lock file, or None when unreadable (treated as stale)."""
    try:
        data = json.loads(path.read_text())
        return int(data["pid"]), str(data["host"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
