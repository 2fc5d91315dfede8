"""CLI command groups; each module exposes `register(app)` for cleaner/cli.py."""
