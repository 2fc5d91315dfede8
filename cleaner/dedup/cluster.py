"""Clusters anchored on a canonical story; the keep rule and the reason it gives.

Documents are visited best-first by the keep rule. Each one is verified against the
canonicals it is a candidate of (earlier nights' articles, then tonight's better-ranked
canonicals); it joins the first that verifies, or becomes a canonical itself. A member
joins because it matches the canonical text, never through a chain of members, so two
unrelated stories cannot be glued together by a story that looks a bit like both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from cleaner.config import DedupConfig
from cleaner.dedup.verify import Kind, Verdict

KEEP_RULES = ("complete", "longest", "earliest", "source_priority", "doc_id")
MAPPING_SCHEMA: dict[str, type[pl.DataType] | pl.DataType] = {
    "doc_id": pl.Utf8,
    "cluster_id": pl.Utf8,
    "duplicate_of": pl.Utf8,
    "kind": pl.Utf8,
    "similarity": pl.Float64,
    "containment": pl.Float64,
    "reason": pl.Utf8,
}


def cluster_id_for(doc_id: str) -> str:
    """Cluster id of a cluster whose first canonical is `doc_id`; kept for good after.

    >>> cluster_id_for("3f2a")
    'c-3f2a'
    """
    return f"c-{doc_id}"


@dataclass(frozen=True)
class DocInfo:
    """What the keep rule and the revision rule look at, for one story."""

    doc_id: str
    has_title: bool
    source: str | None
    published: dt.date | None
    updated: dt.date | None
    n_tokens: int

    @property
    def completeness(self) -> int:
        """How many of title, published date and source the story has (0-3)."""
        return int(self.has_title) + int(self.published is not None) + int(self.source is not None)


def doc_infos(batch: pl.DataFrame, n_tokens: npt.NDArray[np.int64]) -> list[DocInfo]:
    """DocInfo of every row, in row order."""
    titles = batch["title"].to_list()
    return [
        DocInfo(d, bool(t and t.strip()), s, p, u, int(n))
        for d, t, s, p, u, n in zip(
            batch["doc_id"].to_list(),
            titles,
            batch["source"].to_list(),
            batch["published"].to_list(),
            batch["updated"].to_list(),
            n_tokens.tolist(),
            strict=True,
        )
    ]


def _rule_key(info: DocInfo, rule: str, cfg: DedupConfig) -> tuple[int, object]:
    if rule == "complete":
        return (0, -info.completeness)
    if rule == "longest":
        return (0, -info.n_tokens)
    if rule == "earliest":
        return (0, info.published) if info.published else (1, None)
    if rule == "source_priority":
        prio = cfg.source_priority
        return (0, prio.index(info.source) if info.source in prio else len(prio))
    if rule == "doc_id":
        return (0, info.doc_id)
    raise ValueError(f"unknown keep rule {rule!r}; use some of {', '.join(KEEP_RULES)}")


def keep_order(infos: Sequence[DocInfo], cfg: DedupConfig) -> list[int]:
    """Row indices best canonical first; `doc_id` always breaks the last tie.

    >>> a = DocInfo("a", True, "X", dt.date(2024, 1, 2), None, 100)
    >>> b = DocInfo("b", True, "X", dt.date(2024, 1, 1), None, 100)
    >>> keep_order([a, b], DedupConfig())
    [1, 0]
    """
    rules = [*cfg.keep_rule, *(() if "doc_id" in cfg.keep_rule else ("doc_id",))]
    return sorted(range(len(infos)), key=lambda i: [_rule_key(infos[i], r, cfg) for r in rules])


def why_kept(canon: DocInfo, other: DocInfo, cfg: DedupConfig) -> str:
    """The first keep rule that prefers `canon` over `other`, in words.

    >>> a = DocInfo("a", True, "X", None, None, 300)
    >>> why_kept(a, DocInfo("b", True, "X", None, None, 120), DedupConfig())
    'canonical won on longest (300 vs 120 tokens)'
    """
    for rule in (*cfg.keep_rule, "doc_id"):
        if _rule_key(canon, rule, cfg) == _rule_key(other, rule, cfg):
            continue
        detail = {
            "complete": f"{canon.completeness} vs {other.completeness} of title/date/source",
            "longest": f"{canon.n_tokens} vs {other.n_tokens} tokens",
            "earliest": f"published {canon.published} vs {other.published}",
            "source_priority": f"source {canon.source!r} before {other.source!r}",
            "doc_id": f"{canon.doc_id} < {other.doc_id}",
        }[rule]
        return f"canonical won on {rule} ({detail})"
    return "canonical won on doc_id"


def is_revision(canon: DocInfo, other: DocInfo) -> bool:
    """A later 'Updated' version of the same source's story.

    >>> a = DocInfo("a", True, "X", dt.date(2024, 1, 1), None, 100)
    >>> is_revision(a, DocInfo("b", True, "X", dt.date(2024, 1, 1), dt.date(2024, 1, 3), 120))
    True
    """
    if canon.source is None or canon.source != other.source or other.updated is None:
        return False
    ref = canon.updated or canon.published
    return ref is not None and other.updated > ref


@dataclass(frozen=True)
class Match:
    """A verified candidate: the canonical it matched and the verdict."""

    canonical: int  # batch row, or -1 - history row for an earlier night's article
    verdict: Verdict


@dataclass(frozen=True)
class History:
    """Earlier nights' articles as seen by the clusterer (filled in by the index)."""

    infos: Sequence[DocInfo]
    cluster_ids: Sequence[str]
    exact: dict[int, int]  # exact key -> history row
    pairs: dict[int, list[tuple[int, int]]]  # batch row -> [(hits, history row)]
    tokens: Callable[[int], list[int]]
    text: Callable[[int], str]


@dataclass(frozen=True)
class Inputs:
    """Everything `assign` needs about tonight's batch."""

    infos: Sequence[DocInfo]
    exact: Sequence[int]
    pairs: dict[int, list[tuple[int, int]]]  # row -> [(hits, better-ranked row)]
    tokens: Callable[[int], list[int]]
    text: Callable[[int], str]


Verifier = Callable[[list[int], list[int], str, str], Verdict]


def assign(
    inp: Inputs, hist: History | None, verify: Verifier, cfg: DedupConfig, max_checks: int = 16
) -> pl.DataFrame:
    """Cluster a batch against itself and history; one mapping row per batch row."""
    n = len(inp.infos)
    order = keep_order(inp.infos, cfg)
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n)
    dup_of: list[int | None] = [None] * n  # batch row or -1-hist row
    kind: list[Kind | None] = [None] * n
    sim: list[float | None] = [None] * n
    cont: list[float | None] = [None] * n
    reason: list[str | None] = [None] * n
    canonical = np.zeros(n, bool)
    group_head: dict[int, int] = {}
    n_members: dict[int, int] = {}

    def info(ref: int) -> DocInfo:
        return inp.infos[ref] if ref >= 0 else hist.infos[-1 - ref]  # type: ignore[union-attr]

    def kept(ref: int, row: int) -> str:
        if ref < 0:
            return "canonical kept: accepted on an earlier night"
        return why_kept(inp.infos[ref], inp.infos[row], cfg)

    for row in order:
        me = inp.infos[row]
        key = inp.exact[row]
        if me.n_tokens == 0:
            canonical[row] = True
            continue
        if hist is not None and key in hist.exact:
            ref = -1 - hist.exact[key]
            dup_of[row], kind[row], sim[row], cont[row] = ref, "exact", 1.0, 1.0
            reason[row] = f"exact: same folded text as an earlier night's article; {kept(ref, row)}"
            continue
        if key in group_head:
            head = group_head[key]
            target = dup_of[head]
            if target is None:
                dup_of[row], kind[row], sim[row], cont[row] = head, "exact", 1.0, 1.0
                reason[row] = f"exact: same folded text; {kept(head, row)}"
                n_members[head] = n_members.get(head, 0) + 1
            else:
                dup_of[row], kind[row], sim[row], cont[row] = (
                    target,
                    kind[head],
                    sim[head],
                    cont[head],
                )
                reason[row] = (
                    f"exact copy of {inp.infos[head].doc_id}, which is a duplicate: {reason[head]}"
                )
            continue
        group_head[key] = row
        cands: list[tuple[int, int, int]] = []  # (-hits, tie, ref)
        if hist is not None:
            cands += [(-h, -1, -1 - r) for h, r in hist.pairs.get(row, [])]
        cands += [
            (-h, int(rank[o]), o)
            for h, o in inp.pairs.get(row, [])
            if rank[o] < rank[row] and canonical[o]
        ]
        cands.sort()
        match: Match | None = None
        for _, _, ref in cands[:max_checks]:
            if ref >= 0:
                v = verify(inp.tokens(ref), inp.tokens(row), inp.text(ref), inp.text(row))
            else:
                h = -1 - ref
                v = verify(hist.tokens(h), inp.tokens(row), hist.text(h), inp.text(row))  # type: ignore[union-attr]
            if v.duplicate:
                match = Match(ref, v)
                break
        if match is None:
            canonical[row] = True
            continue
        ref, v = match.canonical, match.verdict
        k: Kind | None = v.kind
        why = f"{v.kind}: {v.rule}"
        if is_revision(info(ref), me):
            k = "revision"
            why = (
                f"revision: same source {me.source!r}, updated {me.updated} after "
                f"{info(ref).updated or info(ref).published}; {v.rule}"
            )
        dup_of[row], kind[row], sim[row], cont[row] = ref, k, v.similarity, v.containment
        reason[row] = f"{why}; {kept(ref, row)}"
        if ref >= 0:
            n_members[ref] = n_members.get(ref, 0) + 1

    def cid(ref: int) -> str:
        if ref < 0:
            return hist.cluster_ids[-1 - ref]  # type: ignore[union-attr]
        return cluster_id_for(inp.infos[ref].doc_id)

    for row, cnt in n_members.items():
        reason[row] = f"canonical of {cnt + 1} copies, by keep rule {' > '.join(cfg.keep_rule)}"
    ids = [i.doc_id for i in inp.infos]
    return pl.DataFrame(
        {
            "doc_id": ids,
            "cluster_id": [cid(row if d is None else d) for row, d in enumerate(dup_of)],
            "duplicate_of": [None if d is None else info(d).doc_id for d in dup_of],
            "kind": kind,
            "similarity": sim,
            "containment": cont,
            "reason": reason,
        },
        schema=MAPPING_SCHEMA,
    ).sort("doc_id")
