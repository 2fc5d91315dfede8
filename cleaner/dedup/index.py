"""Persistent index of the stories accepted on earlier nights (Parquet files, no server).

Layout under `<state_dir>/dedup/`: one immutable part per night, `<run_id>.parquet`,
one row per story that night accepted as canonical: doc_id, cluster_id, exact key,
token count, keep-rule fields, LSH band keys (uint32), the LSH parameters (checked on
load) and the body. A pipeline run publishes its part with its other outputs, so a
crashed run's part is removed by recovery and `cleaner rollback` removes a night's
entries with the rest of the night (see `cleaner.state`).

`load` reads every column but the bodies; bodies are read back from their part only
for the few history stories that are candidates of tonight's batch. Memory held per
accepted story: the band keys (4 bytes x bands x 2 views) plus ~100 bytes of ids and
fields.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl
import xxhash

from cleaner.dedup.keys import LOW32, U64
from cleaner.dedup.result import DedupParams, DedupResult

META_SCHEMA: dict[str, type[pl.DataType] | pl.DataType] = {
    "doc_id": pl.Utf8,
    "cluster_id": pl.Utf8,
    "exact_key": pl.UInt64,
    "n_tokens": pl.Int64,
    "has_title": pl.Boolean,
    "source": pl.Utf8,
    "published": pl.Date,
    "updated": pl.Date,
    "part": pl.Utf8,
}
U32 = npt.NDArray[np.uint32]


IndexParams = DedupParams


class IndexMismatchError(ValueError):
    """The saved index was built with other LSH parameters than the current config."""


@dataclass(frozen=True)
class DedupIndex:
    """Accepted stories of earlier nights; `add` returns a new index, `save` persists it.

    >>> DedupIndex.empty().size
    0
    """

    params: IndexParams | None
    meta: pl.DataFrame
    keys: U32 = field(repr=False)
    texts: pl.DataFrame = field(repr=False)  # doc_id, body of rows not saved yet
    state_dir: Path | None = None

    @staticmethod
    def empty() -> DedupIndex:
        """An index with no story (the first night)."""
        return DedupIndex(
            None,
            pl.DataFrame(schema=META_SCHEMA),
            np.zeros((0, 0), np.uint32),
            pl.DataFrame(schema={"doc_id": pl.Utf8, "body": pl.Utf8}),
        )

    @property
    def size(self) -> int:
        """Number of accepted stories."""
        return self.meta.height

    @staticmethod
    def load(state_dir: Path) -> DedupIndex:
        """Read every part under `state_dir/dedup/` (bodies stay on disk), or an empty index."""
        parts = sorted((Path(state_dir) / "dedup").glob("*.parquet"))
        if not parts:
            return replace(DedupIndex.empty(), state_dir=Path(state_dir))
        columns = [c for c in META_SCHEMA if c != "part"] + ["bands", "params"]
        df = pl.concat(
            [pl.read_parquet(p, columns=columns).with_columns(part=pl.lit(p.name)) for p in parts]
        )
        blobs = sorted(df["params"].unique().to_list())
        if len(blobs) > 1:
            raise IndexMismatchError(
                f"dedup index parts under {state_dir}/dedup were built with different LSH "
                "settings; roll back the nights made with the other settings"
            )
        params = IndexParams(**json.loads(blobs[0]))
        width = 2 * params.bands
        # One flat column to numpy, not a Python list per story (a million stories' keys:
        # ~0.3 s instead of ~10 s).
        keys = df["bands"].explode().to_numpy().astype(np.uint32, copy=False).reshape(-1, width)
        return DedupIndex(
            params,
            df.select(list(META_SCHEMA)).cast(META_SCHEMA),  # type: ignore[arg-type]
            keys,
            pl.DataFrame(schema={"doc_id": pl.Utf8, "body": pl.Utf8}),
            Path(state_dir),
        )

    def check(self, params: IndexParams) -> None:
        """Raise IndexMismatchError if this index was built with other parameters."""
        if self.params is not None and self.size and self.params != params:
            raise IndexMismatchError(
                f"dedup index was built with {self.params}, config gives {params}; "
                "restore the old dedup settings or move clean/_state/dedup away to start over"
            )

    def append_rows(
        self,
        params: IndexParams,
        meta: pl.DataFrame,
        keys: U32 | U64,
        bodies: pl.DataFrame,
    ) -> DedupIndex:
        """A new index with these accepted stories added (doc_ids already present are skipped).

        `meta` has the META_SCHEMA columns except `part`; `keys` the (n, 2*bands) band
        keys of the same rows; `bodies` doc_id and body. `add` calls it with a result.
        """
        self.check(params)
        known = set(self.meta["doc_id"].to_list())
        keep = np.array([d not in known for d in meta["doc_id"].to_list()], dtype=bool)
        if not keep.any():
            return replace(self, params=params)
        new_meta = meta.filter(pl.Series(keep)).with_columns(part=pl.lit(None, pl.Utf8))
        new_keys = keys[keep]
        if new_keys.dtype != np.uint32:  # 64-bit keys: the index keeps their low 32 bits
            new_keys = (new_keys & LOW32).astype(np.uint32)
        old_keys = self.keys if self.size else np.zeros((0, new_keys.shape[1]), np.uint32)
        ids = new_meta.select("doc_id")
        new_texts = ids.join(bodies.select("doc_id", "body"), on="doc_id", how="left")
        return replace(
            self,
            params=params,
            meta=pl.concat([self.meta, new_meta.select(list(META_SCHEMA)).cast(META_SCHEMA)]),  # type: ignore[arg-type]
            keys=np.concatenate([old_keys, new_keys]),
            texts=pl.concat([self.texts, new_texts]),
        )

    def add(
        self, batch: pl.DataFrame, result: DedupResult, accepted: list[str] | None = None
    ) -> DedupIndex:
        """A new index with the batch's canonical stories (duplicate_of null) added.

        Pass `accepted` (doc_ids) when a later stage rejected some canonicals: only
        published articles may become the target of a later night's duplicate.
        """
        canon = result.mapping["duplicate_of"].is_null().to_numpy()
        ok = canon & (result.signatures["n_tokens"].to_numpy() > 0)
        if accepted is not None:
            ok &= result.mapping["doc_id"].is_in(accepted).to_numpy()
        rows = pl.Series(ok)
        info = batch.select("doc_id", "title", "source", "published", "updated")
        meta = (
            result.mapping.filter(rows)
            .select("doc_id", "cluster_id")
            .join(result.signatures, on="doc_id", how="left")
            .join(info, on="doc_id", how="left")
            .with_columns(has_title=pl.col("title").fill_null("").str.strip_chars() != "")
            .drop("title")
        )
        return self.append_rows(result.params, meta, result.band_keys[ok], batch)

    def bodies(self, rows: list[int]) -> dict[int, str]:
        """Bodies of these index rows: unsaved ones from memory, the rest from their parts."""
        if not rows:
            return {}
        sub = self.meta.with_row_index("row").filter(pl.col("row").is_in(rows))
        out: dict[int, str] = {}
        mem = dict(zip(self.texts["doc_id"].to_list(), self.texts["body"].to_list(), strict=True))
        by_part: dict[str, dict[str, int]] = {}
        for row, doc_id, part in sub.select("row", "doc_id", "part").iter_rows():
            if doc_id in mem:
                out[row] = mem[doc_id]
            elif part is not None:
                by_part.setdefault(part, {})[doc_id] = row
        for part, wanted in sorted(by_part.items()):
            if self.state_dir is None:
                raise FileNotFoundError(f"dedup index part {part} has no state folder")
            found = (
                pl.scan_parquet(self.state_dir / "dedup" / part)
                .select("doc_id", "body")
                .filter(pl.col("doc_id").is_in(list(wanted)))
                # In batches: the part's whole body column (a night's candidates are in
                # most of its row groups) is never in memory at once, only what passes.
                .collect(engine="streaming")
            )
            for doc_id, body in found.iter_rows():
                out[wanted[doc_id]] = body
        return out

    def new_part(self) -> pl.DataFrame:
        """The stories added since `load` (in no part yet), as one part's rows.

        The pipeline publishes this as `_state/dedup/<run_id>.parquet` with the run.
        """
        fresh = self.meta.with_row_index("row").filter(pl.col("part").is_null())
        width = 2 * self.params.bands if self.params is not None else 1
        keys = self.keys[fresh["row"].to_numpy()] if fresh.height else np.zeros((0, width))
        blob = json.dumps(self.params.__dict__, sort_keys=True) if self.params else "{}"
        return (
            fresh.drop("row", "part")
            .with_columns(
                bands=pl.Series(keys.astype(np.uint32)).cast(pl.List(pl.UInt32)),
                params=pl.lit(blob),
            )
            .join(self.texts, on="doc_id", how="left")
            .sort("doc_id")
        )

    def spill(self, path: Path) -> DedupIndex:
        """Write the stories added since `load` to `path`; keep only their keys in memory.

        A long run calls this after every chunk, so the bodies of tonight's canonicals
        never pile up in memory; `bodies` reads them back from `path` when needed.
        """
        part = self.new_part()
        if part.height == 0:
            return self
        path.parent.mkdir(parents=True, exist_ok=True)
        part.write_parquet(path, compression="zstd")
        meta = self.meta.with_columns(
            part=pl.when(pl.col("part").is_null()).then(pl.lit(str(path))).otherwise("part")
        )
        return replace(self, meta=meta, texts=pl.DataFrame(schema=self.texts.schema))

    def save(self, state_dir: Path, name: str | None = None) -> DedupIndex:
        """Write the stories added since `load` as one new part (atomic: temp, rename).

        `name` defaults to a digest of the new doc_ids, so saving the same additions
        twice writes the same part.
        """
        part = self.new_part()
        if part.height == 0:
            return replace(self, state_dir=Path(state_dir))
        root = Path(state_dir) / "dedup"
        root.mkdir(parents=True, exist_ok=True)
        if name is None:
            digest = xxhash.xxh64("\n".join(part["doc_id"].to_list()).encode()).hexdigest()
            name = f"part-{digest}"
        tmp = root / f".{name}.parquet.tmp-{os.getpid()}"
        part.write_parquet(tmp, compression="zstd")
        os.replace(tmp, root / f"{name}.parquet")
        return DedupIndex.load(state_dir)
