"""Errors the library raises for a user's mistake; the CLI turns each into one line.

Anything else escaping the library is a bug, reported as an internal error (exit 3).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class CleanerError(Exception):
    """Base of the errors that carry a message meant for the user."""

    exit_code = 2


class ConfigError(CleanerError):
    """The config file or a command-line option is wrong."""


class InputError(CleanerError):
    """The RAW folder (or another input) is missing or unusable."""


class LockedError(CleanerError):
    """Another run holds the output folder's lock."""


def read_json_object(path: Path, what: str, error: type[CleanerError]) -> dict[str, Any]:
    """A JSON file holding one object; anything else raises `error` naming `what` and file.

    >>> try:
    ...     read_json_object(Path("/nonexistent.json"), "suite", ConfigError)
    ... except ConfigError as exc:
    ...     str(exc).split(":")[0]
    'cannot read suite /nonexistent.json'
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(f"cannot read {what} {path}: {exc}") from None
    if not isinstance(data, dict):
        raise error(f"{what} {path} is not a JSON object")
    return data
