"""Lineage columns on every row: which run wrote it, when, and from what.

``_sw_run_id``, ``_sw_loaded_at`` (UTC) and ``_sw_source`` are added to every batch as it
streams by, so no table is ever materialized in memory to stamp it. ``merge`` and ``scd2``
also keep ``_sw_created_at`` (first time the key was seen) and set ``_sw_updated_at``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

    from sluiceway.lake.commit import WriteContext

RUN_ID = "_sw_run_id"
LOADED_AT = "_sw_loaded_at"
SOURCE = "_sw_source"
CREATED_AT = "_sw_created_at"
UPDATED_AT = "_sw_updated_at"
ROW_HASH = "_sw_row_hash"
PREFIX = "_sw_"

BASE_COLUMNS = (RUN_ID, LOADED_AT, SOURCE)


def is_lineage(column: str) -> bool:
    """True for a column Sluiceway maintains (readers may hide these)."""
    return column.startswith(PREFIX)


def lineage_fields() -> list[pa.Field]:
    """The Arrow fields of the base lineage columns, in order."""
    import pyarrow as pa

    return [
        pa.field(RUN_ID, pa.string(), nullable=False),
        pa.field(LOADED_AT, pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field(SOURCE, pa.string(), nullable=True),
    ]


def lineage_constants(ctx: WriteContext) -> tuple[tuple[str, pa.Scalar], ...]:
    """The base lineage columns of batch ``ctx`` as typed constants, for engines to project."""
    import pyarrow as pa

    return tuple(
        (f.name, pa.scalar(value, f.type))
        for f, value in zip(lineage_fields(), (ctx.run_id, ctx.loaded_at, ctx.source), strict=True)
    )


def with_lineage(data: pa.RecordBatchReader, ctx: WriteContext) -> pa.RecordBatchReader:
    """``data`` with the base lineage columns appended to every batch, streamed.

    Columns of the same names in ``data`` are replaced: lineage is the platform's, never the
    source's, so a table copied from another keeps a true record of this load. One
    exception: a batch with no source of its own (``ctx.source`` None) keeps the per-row
    ``_sw_source`` the platform already staged (file ingestion names each row's file).
    """
    import pyarrow as pa

    keep = [f for f in data.schema if f.name not in BASE_COLUMNS]
    schema = pa.schema([*keep, *lineage_fields()], metadata=data.schema.metadata)
    names = [f.name for f in keep]
    staged_source = ctx.source is None and SOURCE in data.schema.names
    # Constant columns: built once per batch in C, not from a Python list per row.
    run_id = pa.scalar(ctx.run_id, pa.string())
    loaded_at = pa.scalar(ctx.loaded_at, pa.timestamp("us", tz="UTC"))
    source = pa.scalar(ctx.source, pa.string())

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in data:
            n = batch.num_rows
            columns = [batch.column(name) for name in names]
            columns += [
                pa.repeat(run_id, n),
                pa.repeat(loaded_at, n),
                batch.column(SOURCE) if staged_source else pa.repeat(source, n),
            ]
            yield pa.RecordBatch.from_arrays(columns, schema=schema)

    return pa.RecordBatchReader.from_batches(schema, batches())
