"""CLI commands grouped by area; each module adds its commands with ``register(app)``."""

from __future__ import annotations

from collections.abc import Callable

import typer


def register_all(app: typer.Typer) -> None:
    """Add every area's commands to ``app`` (once)."""
    if getattr(app, "_cleaner_registered", False):
        return
    from cleaner.commands import dedup, ops, text, validate

    registers: tuple[Callable[[typer.Typer], None], ...] = (
        validate.register,
        text.register,
        dedup.register,
        ops.register,
    )
    for register in registers:
        register(app)
    app._cleaner_registered = True  # type: ignore[attr-defined]
