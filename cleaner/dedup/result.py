"""The typed result of the dedup stage, shared by the stage and the index."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from cleaner.dedup.keys import I64, U32


@dataclass(frozen=True)
class DedupParams:
    """What band keys depend on; an index is only usable with the same values.

    `key_version` is the layout of the keys themselves (`keys.KEY_VERSION`): the
    default 1 is what an index saved before versioning holds, so loading one made with
    the old token hash compares unequal and raises IndexMismatchError.

    >>> DedupParams(3, 128, 80, 42, 3, key_version=2).bands
    42
    """

    shingle_size: int
    num_perm: int
    lead_tokens: int
    bands: int
    rows: int
    key_version: int = 1


@dataclass(frozen=True)
class DedupResult:
    """Mapping of a batch (one row per doc, sorted by doc_id) and what the index needs.

    `signatures` has doc_id, exact_key, n_tokens for the same rows as `mapping`;
    `band_keys[i]` holds the low 32 bits of the LSH band keys of row i (whole-body
    view, then lead view), as the index stores them. They are put in mapping order
    only when asked for: `cleaner dedup` never needs them, and at a million stories
    the copy would be a third of a gigabyte.
    """

    mapping: pl.DataFrame
    signatures: pl.DataFrame
    batch_bands: U32 = field(repr=False)  # band keys in the batch's row order
    by_id: I64 = field(repr=False)  # batch row of each mapping row
    params: DedupParams

    @property
    def band_keys(self) -> U32:
        """Band keys of the mapping's rows, in its order."""
        out: U32 = self.batch_bands[self.by_id]
        return out
