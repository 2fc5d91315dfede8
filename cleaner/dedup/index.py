"""Persistent index of the stories accepted on earlier nights (Parquet files, no server).

Layout under `<state_dir>/dedup/`:

- `index.parquet`: one row per accepted story: doc_id, cluster_id, exact key, token
  count, keep-rule fields, LSH band keys (uint32) and the name of its text part. The
  LSH parameters are stored in the file's metadata and checked on load.
- `texts/<part>.parquet`: the bodies, immutable, one file per saved night. They are read
  only for the few history stories that are candidates of tonight's batch.

Memory held per accepted story: the band keys (4 bytes x bands x 2 views) plus ~100
bytes of ids and fields; texts stay on disk.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow.parquet as pq
import xxhash

from cleaner.dedup.keys import U64
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
_PARAMS_KEY = b"cleaner.dedup.params"
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
        """Read the index under `state_dir/dedup/`, or an empty one if there is none."""
        path = Path(state_dir) / "dedup" / "index.parquet"
        if not path.exists():
            return DedupIndex.empty()
        table = pq.read_table(path)
        raw = (table.schema.metadata or {}).get(_PARAMS_KEY)
        params = IndexParams(**json.loads(raw)) if raw else None
        df = pl.from_arrow(table)
        assert isinstance(df, pl.DataFrame)
        width = 0 if params is None else 2 * params.bands
        keys = (
            df["bands"].to_numpy().reshape(-1, width).astype(np.uint32)
            if df.height
            else np.zeros((0, width), np.uint32)
        )
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
        keys: U64,
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
        new_keys = (keys[keep] & np.uint64(0xFFFFFFFF)).astype(np.uint32)
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
                raise FileNotFoundError(f"dedup text part {part} has no state folder")
            found = (
                pl.scan_parquet(self.state_dir / "dedup" / "texts" / part)
                .filter(pl.col("doc_id").is_in(list(wanted)))
                .collect()
            )
            for doc_id, body in found.iter_rows():
                out[wanted[doc_id]] = body
        return out

    def save(self, state_dir: Path) -> DedupIndex:
        """Write the index atomically (temp file, then rename); returns the saved index."""
        root = Path(state_dir) / "dedup"
        (root / "texts").mkdir(parents=True, exist_ok=True)
        meta = self.meta
        if self.state_dir is not None and Path(self.state_dir) != Path(state_dir):
            for part in sorted(set(meta["part"].drop_nulls().to_list())):
                dst = root / "texts" / part
                if not dst.exists():
                    shutil.copyfile(Path(self.state_dir) / "dedup" / "texts" / part, dst)
        if self.texts.height:
            digest = xxhash.xxh64(
                "\n".join(sorted(self.texts["doc_id"].to_list())).encode()
            ).hexdigest()
            part = f"part-{digest}.parquet"
            _atomic_parquet(self.texts.sort("doc_id").to_arrow(), root / "texts" / part)
            pending = set(self.texts["doc_id"].to_list())
            meta = meta.with_columns(
                part=pl.when(pl.col("doc_id").is_in(list(pending)))
                .then(pl.lit(part))
                .otherwise(pl.col("part"))
            )
        width = self.keys.shape[1] if self.keys.ndim == 2 else 0
        table = meta.with_columns(
            bands=pl.Series(self.keys.reshape(-1, width), dtype=pl.Array(pl.UInt32, width))
            if self.size
            else pl.Series([], dtype=pl.Array(pl.UInt32, max(width, 1)))
        ).to_arrow()
        if self.params is not None:
            blob = json.dumps(self.params.__dict__, sort_keys=True).encode()
            table = table.replace_schema_metadata({_PARAMS_KEY: blob})
        _atomic_parquet(table, root / "index.parquet")
        return replace(
            self,
            meta=meta,
            texts=pl.DataFrame(schema={"doc_id": pl.Utf8, "body": pl.Utf8}),
            state_dir=Path(state_dir),
        )


def _atomic_parquet(table: object, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)
