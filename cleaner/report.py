"""A self-contained HTML report for one run, written beside its manifest.

One file with inline CSS and inline SVG: it opens from disk in any browser, can be
mailed or attached to a ticket, and needs no server, script or network. Plots where a
person would rather look than read (volumes per source, failed checks, cruft rules,
cluster sizes); tables for the exact numbers; drift flags on top, because a broken
scraper is the first thing the reader needs to know about.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path

from cleaner.config import DriftConfig, build
from cleaner.drift import DriftFlag, detect
from cleaner.errors import ConfigError
from cleaner.runs import RunRecord, earlier_runs, read_run

#: Colours for the accepted / duplicate / rejected stack, and the check severities.
ACCEPTED, DUPLICATE, REJECTED, WARNING = "#3a7d44", "#8a9bb0", "#c0392b", "#d4a017"
TOP = 15  # bars per plot: enough to see the shape, few enough to read the labels

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;color:#222;padding:0 1em}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:2em;
border-bottom:1px solid #ddd}table{border-collapse:collapse;margin:.5em 0}
td,th{padding:.2em .7em;text-align:right;border-bottom:1px solid #eee}
td:first-child,th:first-child{text-align:left}.muted{color:#777}
.flag{background:#fdecea;border-left:4px solid #c0392b;padding:.4em .8em;margin:.3em 0}
.ok{background:#eaf5ec;border-left:4px solid #3a7d44;padding:.4em .8em}
.key span{display:inline-block;width:.9em;height:.9em;margin:0 .3em 0 1em;vertical-align:-.1em}
svg text{font:12px system-ui,sans-serif;fill:#222}
"""


def write_report(manifest_path: Path) -> Path:
    """Render ``runs/<run_id>.html`` beside ``manifest_path`` and return its path."""
    run = read_run(manifest_path)
    cfg = _drift_config(run)
    flags = detect(run, earlier_runs(run, cfg.history), cfg)
    out = manifest_path.with_suffix(".html")
    out.write_text(render(run, flags), encoding="utf-8")
    return out


def _drift_config(run: RunRecord) -> DriftConfig:
    """The drift settings the run was made with, else the defaults."""
    try:
        return build(DriftConfig, run.validate_config.get("drift", {}), "validate.drift")
    except ConfigError:
        return DriftConfig()


def render(run: RunRecord, flags: Sequence[DriftFlag]) -> str:
    """The whole page as a string.

    >>> from cleaner.runs import parse_run
    >>> page = render(parse_run({"run_id": "r1"}, Path("r1.json")), [])
    >>> page.startswith("<!DOCTYPE html>") and "<script" not in page
    True
    """
    sections = [
        f"<h1>cleaner run {escape(run.run_id)}</h1>",
        f'<p class="muted">{escape(run.started)} → {escape(run.finished)} · '
        f"cleaner {escape(run.cleaner_version)} · raw: {escape(run.raw_dir)}</p>",
        _counts(run),
        _drift(flags),
        _sources(run),
        _checks(run),
        _cruft(run),
        _clusters(run),
        _inputs(run),
        _stages(run),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>cleaner run {escape(run.run_id)}</title><style>{CSS}</style></head>"
        f"<body>{''.join(sections)}</body></html>\n"
    )


def _counts(run: RunRecord) -> str:
    c = run.counts
    balance = c.articles + c.duplicates + c.rejected
    note = "" if balance == c.stories else f" <b>(does not add up: {balance})</b>"
    rows = [
        ("files read", c.files),
        ("stories found", c.stories),
        ("accepted", c.articles),
        ("duplicates", c.duplicates),
        ("rejected", c.rejected),
    ]
    return (
        "<h2>Counts</h2>"
        + _table(("", "count"), [(k, str(v)) for k, v in rows])
        + f'<p class="muted">stories = accepted + duplicates + rejected{note}</p>'
    )


def _drift(flags: Sequence[DriftFlag]) -> str:
    if not flags:
        return '<h2>Drift</h2><p class="ok">No source moved sharply from its usual figures.</p>'
    items = "".join(f'<div class="flag">{escape(f.message)}</div>' for f in flags)
    return f"<h2>Drift</h2>{items}"


def _sources(run: RunRecord) -> str:
    if not run.per_source:
        return "<h2>Sources</h2><p>No stories.</p>"
    ordered = sorted(run.per_source, key=lambda s: (-s.stories, s.source))
    bars = [
        (s.source, ((s.articles, ACCEPTED), (s.duplicates, DUPLICATE), (s.rejected, REJECTED)))
        for s in ordered[:TOP]
    ]
    key = (
        '<p class="key">'
        f'<span style="background:{ACCEPTED}"></span>accepted'
        f'<span style="background:{DUPLICATE}"></span>duplicate'
        f'<span style="background:{REJECTED}"></span>rejected</p>'
    )
    rows = [
        (
            s.source,
            str(s.stories),
            str(s.articles),
            str(s.duplicates),
            str(s.rejected),
            _share(s.missing_published, s.stories),
            f"{s.cruft_lines / max(s.stories, 1):.1f}",
        )
        for s in ordered
    ]
    head = ("source", "stories", "accepted", "duplicates", "rejected", "no date", "cruft/story")
    return "<h2>Sources</h2>" + key + bar_chart(bars) + _table(head, rows)


def _checks(run: RunRecord) -> str:
    failed = sorted((c for c in run.checks if c.failed), key=lambda c: (-c.failed, c.expectation))
    if not failed:
        return "<h2>Failed checks</h2><p>Every story passed every check.</p>"
    bars = [
        (c.expectation, ((c.failed, REJECTED if c.severity == "critical" else WARNING),))
        for c in failed[:TOP]
    ]
    rows = [
        (c.expectation, c.severity, c.column or "", str(c.failed), c.description) for c in failed
    ]
    key = (
        f'<p class="key"><span style="background:{REJECTED}"></span>critical (rejected)'
        f'<span style="background:{WARNING}"></span>warning</p>'
    )
    head = ("check", "severity", "column", "stories", "meaning")
    return "<h2>Failed checks</h2>" + key + bar_chart(bars) + _table(head, rows)


def _cruft(run: RunRecord) -> str:
    rules = sorted(run.cruft_rules, key=lambda r: (-r.lines, r.rule))
    if not rules:
        return "<h2>Cruft rules fired</h2><p>No line was removed.</p>"
    bars = [(r.rule, ((r.lines, DUPLICATE),)) for r in rules[:TOP]]
    more = f'<p class="muted">and {len(rules) - TOP} more rules</p>' if len(rules) > TOP else ""
    return "<h2>Cruft rules fired</h2>" + bar_chart(bars) + more


def _clusters(run: RunRecord) -> str:
    clusters = sorted(run.clusters, key=lambda c: c.size)
    if not clusters:
        return "<h2>Duplicate clusters</h2><p>No clusters.</p>"
    bars = [(f"size {c.size}", ((c.count, DUPLICATE),)) for c in clusters]
    note = '<p class="muted">how many clusters have each size (size 1: a story with no copy)</p>'
    return "<h2>Duplicate clusters</h2>" + note + bar_chart(bars)


def _inputs(run: RunRecord) -> str:
    troubled = [i for i in run.inputs if i.status != "ok" or i.problems]
    summary = f"{len(run.inputs)} files, {len(troubled)} with problems"
    if not troubled:
        return f"<h2>Inputs</h2><p>{summary}.</p>"
    rows = [(i.path, i.status, str(i.records), "; ".join(i.problems)) for i in troubled]
    return f"<h2>Inputs</h2><p>{summary}:</p>" + _table(
        ("file", "status", "records", "problems"), rows
    )


def _stages(run: RunRecord) -> str:
    if not run.stages:
        return ""
    rows = [(s.name, f"{s.seconds:.2f}", str(s.items_in), str(s.items_out)) for s in run.stages]
    return "<h2>Stages</h2>" + _table(("stage", "seconds", "in", "out"), rows)


def bar_chart(bars: Sequence[tuple[str, Sequence[tuple[int, str]]]]) -> str:
    """Horizontal (optionally stacked) bars as inline SVG, labelled with their totals.

    >>> svg = bar_chart([("Wire", ((3, "#000"), (1, "#f00")))])
    >>> svg.count("<rect"), ">4<" in svg
    (2, True)
    """
    label_w, bar_w, row_h = 190, 430, 22
    top = max((sum(v for v, _ in parts) for _, parts in bars), default=0) or 1
    height = row_h * len(bars) + 4
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 60}" '
        f'height="{height}" role="img">'
    ]
    for row, (label, parts) in enumerate(bars):
        y = row * row_h + 2
        short = label if len(label) <= 28 else label[:27] + "…"
        out.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">'
            f"<title>{escape(label)}</title>{escape(short)}</text>"
        )
        x = float(label_w)
        for value, colour in parts:
            if value <= 0:
                continue
            width = bar_w * value / top
            out.append(
                f'<rect x="{x:.1f}" y="{y + 2}" width="{width:.1f}" height="{row_h - 6}" '
                f'fill="{colour}"><title>{value}</title></rect>'
            )
            x += width
        total = sum(v for v, _ in parts)
        out.append(f'<text x="{x + 5:.1f}" y="{y + 15}">{total}</text>')
    out.append("</svg>")
    return "".join(out)


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "-"
