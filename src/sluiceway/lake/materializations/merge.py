"""``merge``: upsert a batch on its keys, in one exactly-once commit.

* New keys are inserted with ``_sw_created_at`` = ``_sw_updated_at`` = the batch's
  ``loaded_at``.
* A matched row is updated only when the hash of its tracked columns changed
  (``_sw_row_hash``); it keeps ``_sw_created_at`` and gets a new ``_sw_updated_at``. An
  unchanged row is not touched at all: its run id and timestamps still name the load that
  last changed it, and its file is not rewritten.
* The batch is applied by copy-on-write (:mod:`sluiceway.lake.merge_copy_on_write`) or by
  a delta-rs MERGE whose predicate carries the batch's partition values and key ranges (see
  :mod:`sluiceway.lake.merge_narrowing`), as :mod:`sluiceway.lake.merge_policy` decides;
  either way only the files the batch can touch are read, and only those with a changed
  row are rewritten.
* New nullable columns in the batch are added to the table (the schema policy was checked
  by the caller; such a batch goes to MERGE). Target columns missing from the batch keep
  their values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from sluiceway.lake import lineage
from sluiceway.lake import merge_copy_on_write as copy_on_write
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
    from sluiceway.lake.materializations.writing import Rows

OPERATION = "merge"
SOURCE, TARGET = "s", "t"


class MergeMaterializer:
    """Upsert on ``spec.keys``; only changes in ``spec.track`` (default: all) update a row."""

    kind: ClassVar[str] = "merge"
    maintained: ClassVar[tuple[str, ...]] = ()

    def write(self, target: Target, data: Rows, ctx: WriteContext, spec: Any) -> CommitResult:
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
    """Apply the prepared ``source`` to ``table``: copy-on-write or MERGE, as the policy says."""
    from sluiceway.lake.merge_files import KeyIndex, candidates, data_files
    from sluiceway.lake.merge_policy import Decision, Strategy, choose, refusal
    from sluiceway.lake.merge_probe import sorted_keys

    refused = refusal(table, source.schema, keys)
    if refused is not None:
        return _noted(
            delta_merge(table, target, source, keys, ctx), Decision(Strategy.MERGE, refused)
        )
    actions = data_files(table)
    index = KeyIndex(sorted_keys(source, keys), keys[0])
    found = candidates(actions, index)
    decision = choose(None, source.num_rows, sum(c.file.rows for c in found))
    if decision.strategy is Strategy.MERGE:
        return _noted(delta_merge(table, target, source, keys, ctx), decision)
    result = copy_on_write.apply(
        table,
        target,
        source,
        keys,
        ctx,
        found=found,
        index=index,
        actions=actions,
        operation=OPERATION,
    )
    return _noted(result, decision)


def delta_merge(
    table: DeltaTable, target: Target, source: pa.Table, keys: list[str], ctx: WriteContext
) -> CommitResult:
    """One delta-rs MERGE of the prepared ``source`` into ``table``, narrowed by its keys.

    On an unpartitioned table, where copy-on-write may run concurrently, the commit carries
    :data:`~sluiceway.lake.merge_copy_on_write.INSERT_GUARD`: its inserts must conflict
    with a copy-on-write's.
    """
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
    properties = commit_properties(ctx) if partitions else copy_on_write.guarded(ctx)
    before = table.version()
    metrics = (
        table.merge(
            source,
            predicate,
            source_alias=SOURCE,
            target_alias=TARGET,
            merge_schema=True,
            writer_properties=target.writer_properties(),
            commit_properties=properties,
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


def _noted(result: CommitResult, decision: Any) -> CommitResult:
    """``result`` with the strategy and its reason in its metrics."""
    from dataclasses import replace

    metrics = {
        **result.metrics,
        "strategy": str(decision.strategy),
        "strategy_reason": decision.reason,
    }
    return replace(result, metrics=metrics)
