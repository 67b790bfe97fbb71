"""How a ``merge`` batch is applied: copy-on-write in Arrow, or a delta-rs MERGE.

Both produce the same rows (the merge tests run on both). Copy-on-write
(:mod:`sluiceway.lake.merge_copy_on_write`) reads only the keys of the files the batch can
touch, then rewrites just the files with a changed row, in place, and commits the result as
one transaction; a delta-rs MERGE joins the batch against every candidate file in
DataFusion, carrying the batch's lineage columns through the join.

Measured on 2 shared cores, merging into the 10M-row table of ``benchmarks/lake.py`` (rows
spread over every file, medians of 3 rounds), copy-on-write against the same table merged
by MERGE: 1% of the rows changed, 18.0 vs 26.2 CPU seconds; 10%, 18.7 vs 28.3; 50%, 40.2 vs
45.4, but wall times then within the noise of each other (24-45 s vs 23-29 s). Copy-on-write
always took less memory (1.9 vs 3.5 GB at 50%). So it applies up to :data:`MAX_SOURCE_SHARE`.

Copy-on-write is only used where it is known to be exactly equivalent; everything else
goes to MERGE, which is the general path:

* the table is not partitioned (a rewritten row could have to move between partitions);
* the table uses no Delta feature a plain Parquet rewrite would break or bypass (column
  mapping, deletion vectors, constraints, invariants, append-only) — reader version 1,
  writer version 2 or less;
* every column of the batch is in the table with the same type (a new column or a cast is
  schema evolution, which MERGE does);
* the keys have types the log's statistics and Arrow's hash join both handle.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa
    from deltalake import DeltaTable

MAX_SOURCE_SHARE = 0.5
"""Copy-on-write while the batch has at most this many rows per row of the candidate files:
where the two strategies were measured even (see the module's docstring)."""


class Strategy(StrEnum):
    """How the batch is applied."""

    COPY_ON_WRITE = "copy_on_write"
    MERGE = "merge"


@dataclass(frozen=True)
class Decision:
    """The strategy, and why (shown in the commit result's metrics)."""

    strategy: Strategy
    reason: str


def choose(
    refusal: str | None, source_rows: int, candidate_rows: int, *, share: float | None = None
) -> Decision:
    """Pick the strategy from what :func:`refusal` found and the sizes involved.

    Args:
        refusal: why copy-on-write cannot apply to this table and batch (None: it can).
        source_rows: rows in the batch.
        candidate_rows: rows in the files whose key range can contain a batch key.
        share: the largest batch, per candidate row, still applied by copy-on-write
            (default :data:`MAX_SOURCE_SHARE`).
    """
    if refusal is not None:
        return Decision(Strategy.MERGE, refusal)
    share = MAX_SOURCE_SHARE if share is None else share
    if source_rows > share * candidate_rows and candidate_rows > 0:
        return Decision(Strategy.MERGE, "the batch is large compared with the files it touches")
    return Decision(Strategy.COPY_ON_WRITE, "the batch can be applied file by file")


def refusal(table: DeltaTable, source: pa.Schema, keys: Sequence[str]) -> str | None:
    """Why copy-on-write cannot apply ``source`` to ``table`` exactly; None when it can."""
    import pyarrow as pa

    if table.metadata().partition_columns:
        return "the table is partitioned"
    protocol = table.protocol()
    if protocol.min_reader_version > 1 or protocol.min_writer_version > 2:
        return "the table uses Delta features a file rewrite must not bypass"
    configuration = table.metadata().configuration
    if configuration.get("delta.appendOnly", "false").lower() == "true" or any(
        name.startswith("delta.constraints.") for name in configuration
    ):
        return "the table has constraints or is append-only"
    schema = pa.schema(table.schema().to_arrow())
    if any(_has_invariants(field) for field in schema):
        return "the table has column invariants"
    for field in source:
        if field.name not in schema.names:
            return f"the batch adds column {field.name!r}"
        if schema.field(field.name).type != field.type:
            return f"column {field.name!r} needs a cast"
    for key in keys:
        if not joinable(source.field(key).type):
            return f"key {key!r} has type {source.field(key).type}"
    return None


def joinable(kind: pa.DataType) -> bool:
    """True for key types Arrow's hash join matches exactly as SQL equality does."""
    import pyarrow as pa

    return bool(
        pa.types.is_integer(kind)
        or pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_date(kind)
        or pa.types.is_timestamp(kind)
        or pa.types.is_decimal(kind)
        or pa.types.is_binary(kind)
        or pa.types.is_boolean(kind)
    )


def _has_invariants(field: pa.Field) -> bool:
    metadata = field.metadata or {}
    text = metadata.get(b"delta.invariants")
    return bool(text and json.loads(text))
