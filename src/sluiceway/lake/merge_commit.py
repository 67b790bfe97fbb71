"""The exactly-once loop shared by ``merge`` and ``scd2``, and their commit results.

Each attempt reloads the table, re-checks whether this batch already committed (after a
conflict the winner may have been this very batch, retried by the executor), then either
creates the table (first batch) or runs the MERGE. A MERGE that loses the race to another
writer fails as a whole in delta-rs — nothing is half-written — so reloading and running it
again on the new version is always safe.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sluiceway.lake.commit import CommitResult, already_committed, retry_on_conflict

if TYPE_CHECKING:
    import pyarrow as pa
    from deltalake import DeltaTable

    from sluiceway.lake.commit import WriteContext
    from sluiceway.lake.materializations.base import Target
    from sluiceway.lake.materializations.writing import Rows

CONFLICT_ATTEMPTS = 25
"""Merges rewrite files other writers may also rewrite: allow more rounds than appends."""


def exactly_once(
    target: Target,
    ctx: WriteContext,
    operation: str,
    *,
    create: Callable[[], CommitResult],
    merge: Callable[[DeltaTable], CommitResult],
    attempts: int = CONFLICT_ATTEMPTS,
) -> CommitResult:
    """Commit batch ``ctx`` once: skip it if it is in the log, else create or merge."""

    def attempt() -> CommitResult:
        table = target.open()
        if already_committed(table, ctx):
            assert table is not None
            return CommitResult(
                table=str(target.name), version=table.version(), operation=operation, skipped=True
            )
        if table is None:
            return create()
        return merge(table)

    return retry_on_conflict(
        attempt, attempts=attempts, what=f"{operation} into {target.name} (batch {ctx.batch})"
    )


Prepare = Callable[["pa.Table", list[str], "list[str] | None", "WriteContext", str], "pa.Table"]
"""Checks and stamps the batch: (source, keys, tracked columns, ctx, table name)."""
Apply = Callable[["DeltaTable", "Target", "pa.Table", list[str], "WriteContext"], CommitResult]
"""Runs the MERGE of the prepared batch into an existing table."""


def write_keyed(
    target: Target,
    data: Rows,
    ctx: WriteContext,
    spec: Any,
    operation: str,
    *,
    prepare: Prepare,
    apply: Apply,
) -> CommitResult:
    """The shape every keyed materialization (merge, scd2) shares.

    Read and prepare the batch once, then commit it exactly once: create the table from
    it on the first write, or ``apply`` the MERGE to the existing table.
    """
    from sluiceway.lake.merge_source import read_source

    keys = list(spec.keys)
    from sluiceway.lake.materializations.writing import Replay

    rows = data.reader() if isinstance(data, Replay) else data
    source = prepare(read_source(rows), keys, spec.track, ctx, str(target.name))
    return exactly_once(
        target,
        ctx,
        operation,
        create=lambda: create_table(target, source, ctx, operation),
        merge=lambda table: apply(table, target, source, keys, ctx),
    )


def table_schema(table: DeltaTable) -> pa.Schema:
    """The table's current schema as a pyarrow schema (delta-rs returns arro3's)."""
    import pyarrow as pa

    return pa.schema(table.schema().to_arrow())


def create_table(
    target: Target, source: pa.Table, ctx: WriteContext, operation: str
) -> CommitResult:
    """Create the table from its first batch (same columns as a merged batch would have).

    The mode is ``append``, never ``overwrite``: a writer racing to create the same table
    must get a conflict (and then merge on retry), not replace the winner's rows.
    """
    from deltalake import write_deltalake

    from sluiceway.lake.commit import commit_properties

    write_deltalake(
        target.uri,
        source,
        mode="append",
        partition_by=list(target.partition_by) or None,
        configuration=target.configuration or None,
        target_file_size=target.target_file_size,
        storage_options=target.storage_options(),
        writer_properties=target.writer_properties(),
        commit_properties=commit_properties(ctx),
    )
    return created(target, operation, source.num_rows)


def created(target: Target, operation: str, rows: int) -> CommitResult:
    """The result of the batch that created the table: every row inserted."""
    table = target.open()
    return CommitResult(
        table=str(target.name),
        version=None if table is None else table.version(),
        operation=operation,
        rows_added=rows,
        files_added=0 if table is None else len(table.file_uris()),
        metrics={"created": True},
    )


def merged(
    table: DeltaTable,
    target: Target,
    ctx: WriteContext,
    operation: str,
    metrics: dict[str, Any],
    *,
    version_before: int,
    unchanged: int,
    extra: dict[str, Any] | None = None,
) -> CommitResult:
    """The result of a MERGE, from delta-rs's metrics (``unchanged`` is the caller's count:
    matched rows whose hash did not change are neither updated nor inserted, so the metrics
    do not see them).

    A MERGE that changes nothing makes no commit in delta-rs, so its app transaction would
    be lost and a re-run of the batch would not be skipped: the batch is then recorded by an
    empty commit of its own.
    """
    if table.version() == version_before:
        record_batch(table, ctx)
    return CommitResult(
        table=str(target.name),
        version=table.version(),
        operation=operation,
        rows_added=int(metrics.get("num_target_rows_inserted", 0)),
        rows_updated=int(metrics.get("num_target_rows_updated", 0)),
        rows_deleted=int(metrics.get("num_target_rows_deleted", 0)),
        rows_unchanged=max(0, unchanged),
        files_added=int(metrics.get("num_target_files_added", 0)),
        files_removed=int(metrics.get("num_target_files_removed", 0)),
        metrics={**metrics, **(extra or {})},
    )


def record_batch(table: DeltaTable, ctx: WriteContext) -> None:
    """Commit nothing but batch ``ctx``'s app transaction (and its run's metadata)."""
    from sluiceway.lake.commit import commit_properties

    table.create_write_transaction(
        [],
        mode="append",
        schema=table.schema(),
        partition_by=list(table.metadata().partition_columns) or None,
        commit_properties=commit_properties(ctx),
    )
    table.update_incremental()
