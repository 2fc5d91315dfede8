"""`cleaner dedup` and `cleaner explain`: thin typer wrappers around cleaner.dedup.tools."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cleaner.commands.bars import progress_bars
from cleaner.config import DedupConfig
from cleaner.dedup.tools import UsageError, dedup_parquet, explain, load_text
from cleaner.errors import ConfigError

DEDUP_EXAMPLE = "Example: cleaner dedup stories.parquet out/ --text-col text --threshold 0.8"
EXPLAIN_EXAMPLE = "Example: cleaner explain d-3f2a9c d-77b01e --out clean"
# Config keys that DedupConfig checks itself, and the `cleaner dedup` option setting each.
_OPTION_OF_KEY = {
    "candidate_min_jaccard": "--min-jaccard",
    "candidate_min_containment": "--min-containment",
}


def _fail(msg: str) -> typer.Exit:
    Console(stderr=True).print(f"[red]error:[/red] {msg}", highlight=False)
    return typer.Exit(2)


def dedup_cmd(
    input: Annotated[Path, typer.Argument(help="Parquet file with one story per row.")],
    out: Annotated[Path, typer.Argument(help="Folder for mapping.parquet.")],
    text_col: Annotated[str, typer.Option(help="Column holding the text.")] = "body",
    id_col: Annotated[str, typer.Option(help="Unique id column; absent: ids from content.")] = (
        "doc_id"
    ),
    threshold: Annotated[
        float, typer.Option(help="Verified similarity that makes a near duplicate.")
    ] = DedupConfig.min_similarity,
    containment: Annotated[
        float, typer.Option(help="Share of a shorter copy found in the longer one.")
    ] = DedupConfig.min_containment,
    lsh_threshold: Annotated[
        float, typer.Option(help="Shingle Jaccard at which pairs become candidates.")
    ] = DedupConfig.lsh_threshold,
    max_candidates: Annotated[
        int,
        typer.Option(
            min=1,
            help="Candidates verified per story at most; 3 is faster, 8 finds a little more.",
        ),
    ] = DedupConfig.max_candidates,
    min_jaccard: Annotated[
        float,
        typer.Option(
            help="Estimated body Jaccard (sketch agreement) below which a candidate is not "
            "verified; 0 verifies every candidate.",
        ),
    ] = DedupConfig.candidate_min_jaccard,
    min_containment: Annotated[
        float,
        typer.Option(
            help="Estimated share of the smaller body's shingles in the larger one (sketch "
            "agreement and lengths) below which a candidate is not verified; 0 turns it off.",
        ),
    ] = DedupConfig.candidate_min_containment,
) -> None:
    """Dedup an existing Parquet file: writes OUT/mapping.parquet, one row per input row
    (doc_id, cluster_id, duplicate_of - null for canonicals and singletons -, kind,
    similarity, containment, reason). Optional title/source/published/updated columns feed
    the keep rule. Without the id column, ids are xxh64 of the text (-2, -3 for repeats).
    """
    try:
        cfg = dataclasses.replace(
            DedupConfig(),
            min_similarity=threshold,
            min_containment=containment,
            lsh_threshold=lsh_threshold,
            max_candidates=max_candidates,
            candidate_min_jaccard=min_jaccard,
            candidate_min_containment=min_containment,
        )
    except ConfigError as exc:  # name the option the user typed, not the config key
        msg = str(exc)
        for key, option in _OPTION_OF_KEY.items():
            msg = msg.replace(f"dedup.{key}", option)
        raise _fail(msg) from None
    try:
        with progress_bars(Console(stderr=True)) as tick:
            s = dedup_parquet(input, out, text_col, id_col, cfg, tick)
    except UsageError as exc:
        raise _fail(str(exc)) from None
    note = " (ids generated from content)" if s.ids_generated else ""
    Console().print(
        f"{s.docs} docs, {s.duplicates} duplicates, {s.clusters} clusters -> {s.path}{note}",
        highlight=False,
    )


def explain_cmd(
    doc_a: Annotated[str, typer.Argument(help="Text file path or doc_id.")],
    doc_b: Annotated[str, typer.Argument(help="Text file path or doc_id.")],
    parquet: Annotated[
        list[Path] | None, typer.Option(help="Parquet file(s) to look doc_ids up in.")
    ] = None,
    out: Annotated[Path, typer.Option(help="Output folder searched by default.")] = Path("clean"),
    text_col: Annotated[str, typer.Option(help="Text column in the Parquet files.")] = "body",
    id_col: Annotated[str, typer.Option(help="Id column in the Parquet files.")] = "doc_id",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Explain why two stories are, or are not, duplicates: scores, shared and differing
    passages, the verdict and the rule that decided it. Each argument is a text file or a
    doc_id looked up in --parquet (default: OUT/articles/*.parquet, OUT/duplicates/*.parquet).
    """
    paths = parquet or sorted([*out.glob("articles/*.parquet"), *out.glob("duplicates/*.parquet")])
    try:
        la, ta = load_text(doc_a, paths, text_col, id_col)
        lb, tb = load_text(doc_b, paths, text_col, id_col)
    except UsageError as exc:
        raise _fail(str(exc)) from None
    e = explain(la, ta, lb, tb, DedupConfig())
    if as_json:
        typer.echo(json.dumps(dataclasses.asdict(e), indent=2, ensure_ascii=False))
        return
    con = Console()
    verdict = f"[green]duplicate ({e.kind})[/green]" if e.duplicate else "[red]not duplicates[/red]"
    con.print(f"{e.a}  vs  {e.b}: {verdict}", highlight=False)
    con.print(f"deciding rule: {e.rule}", highlight=False)
    scores = Table("score", "value", title="scores")
    for name, val in (
        ("shingle Jaccard", e.jaccard),
        ("similarity", e.similarity),
        ("containment", e.containment),
    ):
        scores.add_row(name, f"{val:.3f}")
    scores.add_row("body slots agreeing", f"{e.slots_agreeing} (floor {e.slot_floor})")
    con.print(scores)
    if e.slots_agreeing < e.slot_floor:
        con.print(
            "below the slot floor ([dedup] candidate_min_jaccard, candidate_min_containment): "
            "the dedup stage does not verify this pair",
            highlight=False,
        )
    for title, rows in (
        ("shared passages", e.shared),
        (f"only in {e.a}", e.only_a),
        (f"only in {e.b}", e.only_b),
    ):
        t = Table(title=title, show_header=False)
        for r in rows:
            t.add_row(r if len(r) < 300 else r[:300] + " ...")
        con.print(t)
    if e.template_changes:
        con.print(
            "changed numbers/names: " + ", ".join(f"{x}->{y}" for x, y in e.template_changes),
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    """Add `dedup` and `explain` to the cleaner app."""
    app.command("dedup", epilog=DEDUP_EXAMPLE)(dedup_cmd)
    app.command("explain", epilog=EXPLAIN_EXAMPLE)(explain_cmd)
