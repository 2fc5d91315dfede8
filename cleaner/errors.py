"""Errors the library raises for a user's mistake; the CLI turns each into one line.

Anything else escaping the library is a bug, reported as an internal error (exit 3).
"""


class CleanerError(Exception):
    """Base of the errors that carry a message meant for the user."""

    exit_code = 2


class ConfigError(CleanerError):
    """The config file or a command-line option is wrong."""


class InputError(CleanerError):
    """The RAW folder (or another input) is missing or unusable."""


class LockedError(CleanerError):
    """Another run holds the output folder's lock."""
