"""``merge``: upsert a batch on its keys, in one narrowed, exactly-once MERGE.

* New keys are inserted with ``_sw_created_at`` = ``_sw_updated_at`` = the batch's
  ``loaded_at``.
* A matched row is updated only when the hash of its tracked columns changed
  (``_sw_row_hash``); it keeps ``_sw_created_at`` and gets a new ``_sw_updated_at``. An
  unchanged row is not touched at all: its run id and timestamps still name the load that
  last changed it, and its file is not rewritten.
* The merge predicate carries the batch's partition values and key ranges (see
  :mod:`sluiceway.lake.merge_narrowing`), so delta-rs reads and rewrites only the files the
  batch can touch.
* New nullable columns in the batch are added to the table (the schema policy was checked
  by the caller). Target columns missing from the batch keep their values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from sluiceway.lake import lineage
from sluiceway.lake import predicates as p
from sluiceway.lake.commit import CommitResult, commit_properties
from sluiceway.lake.merge_commit import merged, table_schema, write_keyed
from sluiceway.lake.merge_narrowing import distinct_from, merge_predicate, narrowing
from sluiceway.lake.merge_source import constant, keyed_and_hashed, replace_column

if TYPE_CHECKING:
    import pyarrow as pa
    from deltalake import DeltaTable

    from sluiceway.lake.commit import WriteContext
    from sluiceway.lake.materializations.base import Target

OPERATION = "merge"
SOURCE, TARGET = "s", "t"


class MergeMaterializer:
    """Upsert on ``spec.keys``; only changes in ``spec.track`` (default: all) update a row."""

    kind: ClassVar[str] = "merge"

    def write(
        self, target: Target, data: pa.RecordBatchReader, ctx: WriteContext, spec: Any
    ) -> CommitResult:
        """Merge ``data`` into ``target`` as batch ``ctx`` (skipped if already committed)."""
        return write_keyed(target, data, ctx, spec, OPERATION, prepare=prepare, apply=merge_into)


def prepare(
    source: pa.Table, keys: list[str], track: list[str] | None, ctx: WriteContext, name: str
) -> pa.Table:
    """The batch with its keys checked and ``_sw_row_hash``/created/updated stamped."""
    import pyarrow as pa

    source = keyed_and_hashed(source, keys, track, name)
    stamp = pa.timestamp("us", tz="UTC")
    n = source.num_rows
    source = replace_column(source, lineage.CREATED_AT, constant(ctx.loaded_at, stamp, n))
    return replace_column(source, lineage.UPDATED_AT, constant(ctx.loaded_at, stamp, n))


def merge_into(
    table: DeltaTable, target: Target, source: pa.Table, keys: list[str], ctx: WriteContext
) -> CommitResult:
    """One MERGE of the prepared ``source`` into ``table``, narrowed by the source's keys."""
    existing = {field.name for field in table_schema(table)}
    partitions = list(table.metadata().partition_columns)
    predicate = merge_predicate(keys, narrowing(source, keys, partitions))
    updates = {
        p.column(name): p.column(name, SOURCE) for name in source.column_names if name not in keys
    }
    changed = None  # a table appended to before it was merged into: no hash, no created-at
    if lineage.ROW_HASH in existing:
        changed = distinct_from(lineage.ROW_HASH, TARGET, SOURCE)
    if lineage.CREATED_AT in existing:
        updates[p.column(lineage.CREATED_AT)] = (
            f"coalesce({p.column(lineage.CREATED_AT, TARGET)}, "
            f"{p.column(lineage.CREATED_AT, SOURCE)})"
        )
    inserts = {p.column(name): p.column(name, SOURCE) for name in source.column_names}
    before = table.version()
    metrics = (
        table.merge(
            source,
            predicate,
            source_alias=SOURCE,
            target_alias=TARGET,
            merge_schema=True,
            writer_properties=target.writer_properties(),
            commit_properties=commit_properties(ctx),
        )
        .when_matched_update(updates, predicate=changed)
        .when_not_matched_insert(inserts)
        .execute()
    )
    inserted = int(metrics.get("num_target_rows_inserted", 0))
    updated = int(metrics.get("num_target_rows_updated", 0))
    return merged(
        table,
        target,
        ctx,
        OPERATION,
        metrics,
        version_before=before,
        unchanged=source.num_rows - inserted - updated,
        extra={"predicate": predicate},
    )
