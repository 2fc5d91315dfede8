"""Star clusters around a centre story; the keep rule, the canonical and the reason.

A story that matches an earlier night's article joins it. Tonight's other stories are
verified against their candidates, then grouped into stars: the story with the most
verified matches becomes a centre and takes its unassigned matches, and so on. Every
member matches its centre directly, never through a chain of members, so two unrelated
stories cannot be glued together by a story that looks a bit like both.

Why the best-connected story as centre: reprints of a wire story are edited
independently (one cut, one with a paragraph dropped, one OCR'd), so two reprints can
differ more from each other than each differs from the original; the original (or the
least edited copy) is the one that matches the most of them. The canonical copy is then
chosen inside the cluster by the keep rule, as a separate decision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from cleaner.config import DedupConfig
from cleaner.dedup.doc import Doc
from cleaner.dedup.heap import acyclic
from cleaner.dedup.keys import I64, U64
from cleaner.dedup.pairs import Candidates, Told
from cleaner.dedup.stars import Matches, stars
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


_CLUSTER_PREFIX = "c-"


def cluster_id_for(doc_id: str) -> str:
    """Cluster id of a cluster whose first canonical is `doc_id`; kept for good after.

    >>> cluster_id_for("3f2a")
    'c-3f2a'
    """
    return f"{_CLUSTER_PREFIX}{doc_id}"


@dataclass(frozen=True, slots=True)
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
    """DocInfo of every row, in row order.

    A million stories name a few sources and a few hundred days: each distinct value is
    one object shared by its rows, not one per row (with slotted records, 232 -> 104 MB
    for the infos of a million stories).
    """
    return [
        DocInfo(d, bool(t and t.strip()), s, p, u, int(n))
        for d, t, s, p, u, n in zip(
            batch["doc_id"].to_list(),
            batch["title"].to_list(),
            _shared(batch["source"]),
            _shared(batch["published"]),
            _shared(batch["updated"]),
            n_tokens.tolist(),
            strict=True,
        )
    ]


def _shared(column: pl.Series) -> list[Any]:
    """The column's values with one Python object per distinct value.

    >>> a, b = _shared(pl.Series(["Wire One", "Wire One", None]))[:2]
    >>> a is b
    True
    """
    pool: dict[Any, Any] = {}
    return [v if v is None else pool.setdefault(v, v) for v in column.to_list()]


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


def keep_order_frame(batch: pl.DataFrame, n_tokens: I64, cfg: DedupConfig) -> I64:
    """`keep_order` computed by polars over the batch's columns: no object per story.

    Same order as `keep_order` on the same stories (a property test holds them equal).

    >>> df = pl.DataFrame({"doc_id": ["a", "b"], "title": ["T", "T"], "source": ["X", "X"],
    ...                    "published": [dt.date(2024, 1, 2), dt.date(2024, 1, 1)]})
    >>> keep_order_frame(df, np.array([100, 100]), DedupConfig()).tolist()
    [1, 0]
    """
    prio = list(cfg.source_priority)
    title = pl.col("title").str.strip_chars().str.len_chars().fill_null(0) > 0
    complete = (
        title.cast(pl.Int64)
        + pl.col("published").is_not_null().cast(pl.Int64)
        + pl.col("source").is_not_null().cast(pl.Int64)
    )
    by = {
        "complete": -complete,
        "longest": -pl.col("n_tokens"),
        "earliest": pl.col("published"),
        "source_priority": pl.col("source").replace_strict(
            prio, list(range(len(prio))), default=len(prio), return_dtype=pl.Int64
        ),
        "doc_id": pl.col("doc_id"),
    }
    for rule in cfg.keep_rule:
        if rule not in by:
            raise ValueError(f"unknown keep rule {rule!r}; use some of {', '.join(KEEP_RULES)}")
    rules = [*cfg.keep_rule, *(() if "doc_id" in cfg.keep_rule else ("doc_id",))]
    frame = batch.select("doc_id", "title", "source", "published").with_columns(
        n_tokens=pl.Series(n_tokens, dtype=pl.Int64), row=pl.int_range(pl.len())
    )
    keys = [by[r].alias(f"k{i}") for i, r in enumerate(rules)]
    out = frame.select(*keys, "row").sort([f"k{i}" for i in range(len(rules))], nulls_last=True)
    return out["row"].to_numpy().astype(np.int64)


def why_kept(canon: DocInfo, other: DocInfo, cfg: DedupConfig) -> str:
    """The first keep rule that prefers `canon` over `other`, in words.

    >>> a = DocInfo("a", True, "X", None, None, 300)
    >>> why_kept(a, DocInfo("b", True, "X", None, None, 120), DedupConfig())
    'canonical won on longest (300 vs 120 tokens)'
    """
    for rule in (*cfg.keep_rule, "doc_id"):
        if _rule_key(canon, rule, cfg) != _rule_key(other, rule, cfg):
            return f"canonical won on {rule} ({_detail(rule, canon, other)})"
    return "canonical won on doc_id"


def _detail(rule: str, canon: DocInfo, other: DocInfo) -> str:
    """What `rule` compared, in words (only the rule that decided is worded: a million
    stories' reasons are written in one run)."""
    if rule == "complete":
        return f"{canon.completeness} vs {other.completeness} of title/date/source"
    if rule == "longest":
        return f"{canon.n_tokens} vs {other.n_tokens} tokens"
    if rule == "earliest":
        return f"published {canon.published} vs {other.published}"
    if rule == "source_priority":
        return f"source {canon.source!r} before {other.source!r}"
    return f"{canon.doc_id} < {other.doc_id}"


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

    info: Callable[[int], DocInfo]  # of a history row, built when asked: few are
    cluster_ids: Sequence[str]
    exact: dict[int, int]  # exact key -> history row (only keys tonight's stories have)
    pairs: dict[int, list[tuple[int, int, int]]]  # batch row -> [(rare, hits, history row)]
    # What verifying many (history row h[i], batch row r[i]) pairs told (`Inputs.verify_rows`).
    verify_rows: Callable[[I64, I64], Told]


@dataclass(frozen=True)
class Inputs:
    """Everything `assign` needs about tonight's batch."""

    infos: Sequence[DocInfo]
    order: I64  # rows, best canonical first (the keep rule)
    exact: U64  # exact key of each row (keys.exact_keys)
    pairs: Candidates  # (row, better-ranked row, hits, rare hits)
    doc: Callable[[int], Doc]
    # What verifying many (row a[i], row b[i]) pairs told, spread over workers: the
    # duplicates and the pairs the template guard stopped. The third argument names the
    # round for progress reports.
    verify_rows: Callable[[I64, I64, str], Told]


Verifier = Callable[[Doc, Doc], Verdict]


def assign(
    inp: Inputs, hist: History | None, verify: Verifier, cfg: DedupConfig, max_checks: int = 16
) -> pl.DataFrame:
    """Cluster a batch against itself and history; one mapping row per batch row."""
    n = len(inp.infos)
    order = np.asarray(inp.order, np.int64)
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n)
    n_tokens = np.fromiter((i.n_tokens for i in inp.infos), np.int64, n)
    dup_of: list[int | None] = [None] * n  # batch row or -1-hist row
    verdict: list[Verdict | None] = [None] * n
    via: list[int | None] = [None] * n  # centre a member was verified against

    # 1. Exact keys and earlier nights' articles: the head of each exact group (its
    # best-ranked row) is verified against its best history candidates, all heads' at
    # once; the best duplicate wins. A row whose key an earlier night's article has goes
    # to that article, its group with it.
    rows = order[n_tokens[order] > 0]
    keys = inp.exact[rows]
    if hist is not None and hist.exact:
        known = np.isin(keys, np.fromiter(hist.exact, np.uint64, len(hist.exact)))
        for row, key in zip(rows[known].tolist(), keys[known].tolist(), strict=True):
            dup_of[row] = -1 - hist.exact[key]
        rows, keys = rows[~known], keys[~known]
    _, first, group = np.unique(keys, return_index=True, return_inverse=True)
    head_of = rows[first[group.reshape(-1)]]
    copy = head_of != rows
    exact_of = dict(zip(rows[copy].tolist(), head_of[copy].tolist(), strict=True))
    heads = rows[~copy].tolist()  # keep-rule order
    if hist is not None:
        asked: list[tuple[int, int]] = []  # (history row, batch row), each head's best first
        for row in heads:
            cands = sorted((-rare, -hits, r) for rare, hits, r in hist.pairs.get(row, []))
            asked += [(h, row) for _, _, h in cands[:max_checks]]
        if asked:
            h_rows, b_rows = np.array(asked, np.int64).T
            told = hist.verify_rows(h_rows, b_rows)
            for i, v in reversed(told.found):  # the best-ranked duplicate of a row last
                h, row = asked[i]
                dup_of[row], verdict[row] = -1 - h, v
    open_rows = [row for row in heads if dup_of[row] is None]

    # 2. Verified matches between tonight's open stories (each pair once, best first),
    # all verified in one call so they can be spread over workers.
    is_open = np.zeros(n, bool)
    is_open[open_rows] = True
    # A story whose best candidates are all the same template filled with other facts
    # is a templated story: its weaker candidates are more of the same, not checked.
    # A story whose best candidates were all other stories (misses: neither a copy nor a
    # templated look-alike) has no copy among its weaker ones either.
    found_a: list[I64] = []
    found_b: list[I64] = []
    found: list[Verdict] = []
    templated = np.zeros(n, np.int64)
    missed = np.zeros(n, np.int64)
    stop, miss_stop = cfg.template_stop, cfg.miss_stop
    all_better, all_rows, nth = inp.pairs.ranked(rank, is_open, max_checks)
    for first_round in (True, False):
        if first_round:
            go = nth < stop
        else:  # template_stop 0: no first round, nothing stopped
            go = (nth >= stop) & ~((stop > 0) & (templated[all_rows] >= stop))
            go &= ~((miss_stop > 0) & (missed[all_rows] >= miss_stop))
        better, rows = all_better[go], all_rows[go]
        if len(rows) == 0:
            continue
        told = inp.verify_rows(better, rows, "pairs" if first_round else "more pairs")
        np.add.at(templated, rows[told.stopped], 1)
        at = np.array([i for i, _ in told.found], np.int64)
        if first_round:
            miss = np.ones(len(rows), bool)
            miss[told.stopped] = False
            miss[at] = False
            np.add.at(missed, rows[miss], 1)
        found_a.append(rows[at])
        found_b.append(better[at])
        found += [v for _, v in told.found]
        del told
    del all_better, all_rows, nth
    matched = Matches.of(
        np.concatenate([np.zeros(0, np.int64), *found_a]),
        np.concatenate([np.zeros(0, np.int64), *found_b]),
        found,
    )
    del found_a, found_b, found

    # 3. Stars: best-connected story first (exact copies count), keep rank breaks ties.
    # Only stories with a verified match are in play: one without stays alone whatever
    # the order (most of a million stories).
    extra = np.bincount(
        np.fromiter(exact_of.values(), np.int64, len(exact_of)), minlength=n
    ).astype(np.int64)

    def matches(x: int, y: int) -> bool:
        return verify(inp.doc(x), inp.doc(y)).duplicate

    def told_apart(x: int, y: int) -> bool:
        """Whether the template guard finds x and y one template with other facts."""
        x, y = (x, y) if rank[x] < rank[y] else (y, x)
        v = verify(inp.doc(x), inp.doc(y))
        return not v.duplicate and bool(v.template_changes)

    with acyclic():  # its checks would each walk the batch's million objects: heap.py
        star = stars(matched, rank, n_tokens, extra, matches, told_apart)
    # Each star's canonical is its best-ranked member; a member's verdict is its match
    # with the centre, the centre's (when it is not the canonical) its match with it.
    members = np.flatnonzero(star.centre >= 0)
    centre = star.centre[members]
    best = np.full(n, n, np.int64)
    np.minimum.at(best, centre, rank[members])
    canon = order[best[centre]]
    dup = members != canon
    members, centre, canon = members[dup], centre[dup], canon[dup]
    is_centre = members == centre
    joined = np.where(is_centre, star.joined_by[canon], star.joined_by[members])
    against = np.where(is_centre, canon, centre)
    for m, c, e, w in zip(
        members.tolist(), canon.tolist(), joined.tolist(), against.tolist(), strict=True
    ):
        dup_of[m], verdict[m], via[m] = c, matched.verdicts[e], w
    # The matches (a Verdict each, ~0.2 GB per million stories) are let go before the
    # mapping's million strings are built.
    del matched, star, members, centre, canon, joined, against
    return _mapping(inp, hist, cfg, dup_of, verdict, via, exact_of)


def _mapping(
    inp: Inputs,
    hist: History | None,
    cfg: DedupConfig,
    dup_of: list[int | None],
    verdict: list[Verdict | None],
    via: list[int | None],
    exact_of: dict[int, int],
) -> pl.DataFrame:
    """Mapping rows (kind, scores, reason) from the cluster decisions."""
    # Only rows that are a copy or a canonical get these: a dict each, not a list a row.
    kind: dict[int, Kind | None] = {}
    sim: dict[int, float] = {}
    cont: dict[int, float] = {}
    reason: dict[int, str] = {}
    n_members: dict[int, int] = {}

    def info(ref: int) -> DocInfo:
        return inp.infos[ref] if ref >= 0 else hist.info(-1 - ref)  # type: ignore[union-attr]

    def kept(ref: int, row: int) -> str:
        if ref < 0:
            return "canonical kept: accepted on an earlier night"
        return why_kept(inp.infos[ref], inp.infos[row], cfg)

    for row, ref in enumerate(dup_of):
        if ref is None:
            continue
        me = inp.infos[row]
        v = verdict[row]
        if v is None:  # exact copy of an earlier night's article
            kind[row], sim[row], cont[row] = "exact", 1.0, 1.0
            reason[row] = f"exact: same folded text as an earlier night's article; {kept(ref, row)}"
            continue
        k: Kind | None = v.kind
        against = via[row]
        where = (
            ""
            if against is None or against == ref
            else f" with {info(against).doc_id} (its cluster's centre)"
        )
        why = f"{v.kind}: {v.rule}{where}"
        if is_revision(info(ref), me):
            k = "revision"
            why = (
                f"revision: same source {me.source!r}, updated {me.updated} after "
                f"{info(ref).updated or info(ref).published}; {v.rule}{where}"
            )
        kind[row], sim[row], cont[row] = k, v.similarity, v.containment
        reason[row] = f"{why}; {kept(ref, row)}"
        if ref >= 0:
            n_members[ref] = n_members.get(ref, 0) + 1
    for row, head in sorted(exact_of.items()):
        target = dup_of[head]
        if target is None:
            # The head is a canonical (or unmatched): its exact copies point at it.
            dup_of[row], kind[row], sim[row], cont[row] = head, "exact", 1.0, 1.0
            reason[row] = f"exact: same folded text; {kept(head, row)}"
            n_members[head] = n_members.get(head, 0) + 1
        else:
            dup_of[row], kind[row], sim[row], cont[row] = target, kind[head], sim[head], cont[head]
            reason[row] = (
                f"exact copy of {inp.infos[head].doc_id}, which is a duplicate: {reason[head]}"
            )
            if target >= 0:
                n_members[target] = n_members.get(target, 0) + 1

    for row, cnt in n_members.items():
        reason[row] = f"canonical of {cnt + 1} copies, by keep rule {' > '.join(cfg.keep_rule)}"
    verdict.clear()  # read: ~0.2 GB of Verdicts per million stories can go
    return _frame(inp, hist, dup_of, kind, sim, cont, reason)


def _frame(
    inp: Inputs,
    hist: History | None,
    dup_of: list[int | None],
    kind: dict[int, Kind | None],
    sim: dict[int, float],
    cont: dict[int, float],
    reason: dict[int, str],
) -> pl.DataFrame:
    """The mapping as a frame sorted by doc_id; ids and cluster ids gathered by polars."""
    n = len(inp.infos)
    ref = np.array([n if d is None else d for d in dup_of], np.int64)  # n: none
    head = np.where(ref == n, np.arange(n), ref)  # the canonical a row's cluster is named by
    ids = pl.Series("doc_id", [i.doc_id for i in inp.infos], pl.Utf8)
    ids_or_null = ids.extend_constant(None, 1)  # row n: no duplicate_of
    frame = pl.DataFrame(
        [
            ids,
            (_CLUSTER_PREFIX + ids.gather(np.maximum(head, 0))).alias("cluster_id"),
            ids_or_null.gather(np.maximum(ref, 0)).alias("duplicate_of"),
            _sparse("kind", n, kind),
            _sparse("similarity", n, sim),
            _sparse("containment", n, cont),
            _sparse("reason", n, reason),
        ]
    )
    earlier = np.flatnonzero(ref < 0)  # copies of an earlier night's article
    if len(earlier):
        assert hist is not None, "a reference to an earlier night without its index"
        old = (-1 - ref[earlier]).tolist()
        frame = frame.with_columns(
            frame["cluster_id"].scatter(earlier, [hist.cluster_ids[h] for h in old]),
            frame["duplicate_of"].scatter(earlier, [hist.info(h).doc_id for h in old]),
        )
    return frame.sort("doc_id", maintain_order=True).select(list(MAPPING_SCHEMA))


def _sparse(name: str, n: int, values: dict[int, Any]) -> pl.Series:
    """A column of n rows, null but at the rows `values` has."""
    dtype = MAPPING_SCHEMA[name]
    column = pl.repeat(None, n, dtype=dtype, eager=True).alias(name)
    if values:
        column = column.scatter(list(values), pl.Series(name, list(values.values()), dtype))
    return column
