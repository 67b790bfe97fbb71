"""Commit staged Parquet files to the Delta log as they are: no row is read or rewritten.

This is the fast path for ``append``, ``overwrite`` and ``partition_overwrite`` results
computed by an engine. It applies only when the files already have the table's exact schema
and layout; anything else (a new column, a widened type, a changed partitioning, a keyed
merge) returns None and the caller streams the staged rows through the regular Arrow path,
which knows how to evolve a schema and how to merge.

The commit is one transaction carrying the batch's app transaction, like every write:
``create_write_transaction`` with ``add`` actions (stats read from each file's footer, so
readers can still skip files) and, for ``partition_overwrite``, explicit ``remove`` actions
for the replaced partitions' files. A conflict with a concurrent writer is retried on a
reloaded table; the published files are immutable, so a retry reuses them.
"""

from __future__ import annotations

import errno
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from sluiceway.errors import TransientError
from sluiceway.lake.commit import (
    CommitResult,
    WriteContext,
    already_committed,
    commit_properties,
    retry_on_conflict,
)
from sluiceway.lake.file_stats import stats_json
from sluiceway.lake.history import STAGED_COUNTS
from sluiceway.lake.materializations.writing import TableTarget, open_target, policy_of, result
from sluiceway.lake.schema_policy import plan_write

if TYPE_CHECKING:
    import pyarrow as pa
    from deltalake import DeltaTable
    from deltalake.transaction import AddAction, RemoveAction

    from sluiceway.lake.staged import Staged

FAST_KINDS = ("append", "overwrite", "partition_overwrite")
"""Materializations whose staged files can be committed without reading them."""


@dataclass(frozen=True)
class _Published:
    adds: list[AddAction]
    rows: int


def commit_staged(
    target: TableTarget, staged: Staged, kind: str, ctx: WriteContext
) -> CommitResult | None:
    """Commit ``staged`` to ``target`` as batch ``ctx``, or None if it needs the Arrow path.

    Raises:
        SchemaPolicyError: the staged schema breaks the table's policy (nothing committed).
        CommitConflictError: concurrent writers kept winning.
    """
    if kind not in FAST_KINDS:
        return None
    table = open_target(target)
    if already_committed(table, ctx):
        assert table is not None
        return CommitResult(str(target.name), table.version(), kind, skipped=True)
    if not _fits(target, table, staged, kind):
        return None
    published = _publish(target, staged)
    loaded = [table]  # the first attempt commits on the snapshot just checked

    def attempt() -> CommitResult:
        current = loaded.pop() if loaded else open_target(target)
        if already_committed(current, ctx):
            assert current is not None
            return CommitResult(str(target.name), current.version(), kind, skipped=True)
        if not _fits(target, current, staged, kind):
            raise TransientError(
                f"{target.name} changed its schema or layout while this step ran",
                hint="retry the step",
            )
        removed_rows = _commit(target, current, staged, kind, published, ctx)
        found = result(target, ctx, kind)
        return replace(
            found,
            rows_added=published.rows,
            rows_deleted=removed_rows,
            files_added=len(published.adds),
        )

    return retry_on_conflict(attempt, what=f"{kind} to {target.name}")


def _move(source: Path, destination: Path) -> None:
    """A rename; a copy then delete when the staging folder is on another disk (a share)."""
    import shutil

    try:
        source.replace(destination)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        shutil.move(str(source), str(destination))


def _fits(target: TableTarget, table: DeltaTable | None, staged: Staged, kind: str) -> bool:
    """True when the files can be committed as they are: same columns, types and layout."""
    import pyarrow as pa

    plan = plan_write(
        str(target.name),
        None if table is None else pa.schema(table.schema().to_arrow()),
        staged.schema,
        policy_of(target),
        replaces_table=kind == "overwrite",
    )  # raises on a refused change, before anything is published
    if table is None:
        return tuple(staged.partition_by) == tuple(target.partition_by)
    if plan.schema_mode is not None:
        return False
    existing = pa.schema(table.schema().to_arrow())
    if _types(existing) != _types(staged.schema):
        return False
    return tuple(table.metadata().partition_columns) == tuple(staged.partition_by)


def _types(schema: pa.Schema) -> dict[str, pa.DataType]:
    return {f.name: f.type for f in schema}


def _publish(target: TableTarget, staged: Staged) -> _Published:
    """Move (or upload) the staged files into the table's folder; describe each one."""
    import pyarrow.parquet as pq
    from deltalake.transaction import AddAction

    local = target.storage.is_local
    root = Path(target.uri.removeprefix("file://"))
    filesystem = None if local else target.storage.filesystem(target.uri)
    adds: list[AddAction] = []
    rows = 0
    now = int(time.time() * 1000)
    for item in staged.files:
        source = Path(staged.directory) / item.path
        metadata = pq.read_metadata(source)
        rows += metadata.num_rows
        stats = stats_json(metadata, staged.schema)
        if filesystem is None:
            destination = root / item.path
            destination.parent.mkdir(parents=True, exist_ok=True)
            _move(source, destination)
        else:
            import pyarrow.fs as pafs

            pafs.copy_files(
                str(source),
                item.path,
                source_filesystem=pafs.LocalFileSystem(),
                destination_filesystem=filesystem,
            )
        adds.append(
            AddAction(
                path=item.path,
                size=item.size,
                partition_values=dict(item.partition_values),
                modification_time=now,
                data_change=True,
                stats=stats,
            )
        )
    return _Published(adds, rows)


def _commit(
    target: TableTarget,
    table: DeltaTable | None,
    staged: Staged,
    kind: str,
    published: _Published,
    ctx: WriteContext,
) -> int:
    """One transaction: create the table, append, overwrite or replace partitions.

    Returns:
        The number of rows the commit removed.
    """
    from deltalake import Schema
    from deltalake.transaction import create_table_with_add_actions

    partition_by = list(staged.partition_by) or None
    if table is None:
        create_table_with_add_actions(
            target.uri,
            Schema.from_arrow(staged.schema),
            published.adds,
            mode="error",
            partition_by=partition_by,
            configuration=dict(target.configuration) or None,
            storage_options=target.storage_options(),
            commit_properties=commit_properties(_counted(ctx, published, 0, 0), creates=True),
        )
        return 0
    actions: list[Any] = list(published.adds)
    mode = "append"
    removed_rows = removed_files = 0
    if kind == "overwrite":
        mode = "overwrite"
        removed_rows = _rows(table, None)
        removed_files = len(_actions(table))
    elif kind == "partition_overwrite":
        removes, removed_rows = _removes(table, staged)
        actions = removes + actions
        removed_files = len(removes)
    table.create_write_transaction(
        actions,
        mode,
        schema=table.schema(),
        partition_by=partition_by,
        commit_properties=commit_properties(_counted(ctx, published, removed_rows, removed_files)),
    )
    return removed_rows


def _counted(
    ctx: WriteContext, published: _Published, removed_rows: int, removed_files: int
) -> WriteContext:
    counts = {
        STAGED_COUNTS["rows_added"]: published.rows,
        STAGED_COUNTS["rows_removed"]: removed_rows,
        STAGED_COUNTS["files_added"]: len(published.adds),
        STAGED_COUNTS["files_removed"]: removed_files,
    }
    return replace(ctx, metadata={**ctx.metadata, **{k: str(v) for k, v in counts.items()}})


def _removes(table: DeltaTable, staged: Staged) -> tuple[list[RemoveAction], int]:
    """``remove`` actions for every current file in a partition the staged files replace."""
    from deltalake.transaction import RemoveAction

    replaced = {_key(f.partition_values, staged.partition_by) for f in staged.files}
    removes: list[RemoveAction] = []
    rows = 0
    now = int(time.time() * 1000)
    for action in _actions(table):
        values = action["partition"] or {}
        if _key(values, staged.partition_by) not in replaced:
            continue
        removes.append(
            RemoveAction(
                path=unquote(action["path"]),
                data_change=True,
                deletion_timestamp=now,
                size=action["size_bytes"],
                partition_values=values,
            )
        )
        rows += int(action["num_records"] or 0)
    return removes, rows


def _key(values: Any, columns: tuple[str, ...]) -> tuple[str | None, ...]:
    return tuple(None if values.get(c) is None else str(values.get(c)) for c in columns)


def _actions(table: DeltaTable) -> list[dict[str, Any]]:
    import pyarrow as pa

    return pa.table(table.get_add_actions(flatten=False)).to_pylist()


def _rows(table: DeltaTable, _: None) -> int:
    return sum(int(a["num_records"] or 0) for a in _actions(table))
