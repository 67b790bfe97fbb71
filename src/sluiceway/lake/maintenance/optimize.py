"""Compaction and z-ordering: many small files become few files of the target size.

Small files are what frequent appends and merges leave behind, and every one of them costs
a request on object storage. Compaction rewrites them into files of about
``target_size`` bytes; z-ordering (by the table's ``zorder_by`` columns) also sorts the
rows so that files hold narrow ranges of those columns and readers can skip most files.
Both are one Delta commit with ``dataChange=false``: readers see the same rows.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sluiceway.lake.errors import LakeError, clean_message
from sluiceway.lake.maintenance.common import EventSink, file_sizes, send

if TYPE_CHECKING:
    from deltalake import DeltaTable

DEFAULT_TARGET_SIZE = 128 * 1024 * 1024


@dataclass(frozen=True)
class OptimizeResult:
    """What an optimize did, or would do with ``dry_run``.

    In a dry run, ``files_removed`` counts the files that would be rewritten and
    ``files_added`` estimates the files written in their place.
    """

    table: str
    version: int
    files_added: int
    files_removed: int
    zorder_by: tuple[str, ...] = ()
    dry_run: bool = False
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        """True when files were (or would be) rewritten."""
        return self.files_removed > 0


def optimize(
    table: DeltaTable,
    *,
    name: str,
    zorder_by: Sequence[str] = (),
    target_size: int = DEFAULT_TARGET_SIZE,
    dry_run: bool = False,
    emit: EventSink | None = None,
    writer_properties: Any = None,
) -> OptimizeResult:
    """Compact ``table`` (and z-order it by ``zorder_by`` when given).

    ``writer_properties`` (the lake's codec) shape the rewritten files; without them
    delta-rs would write its own default, snappy, whatever the table was written with.

    Emits ``table.optimized`` when a commit was made; a table that is already compact
    gets no commit and no event.
    """
    from sluiceway.events.types import TableOptimized

    columns = tuple(zorder_by)
    _check_columns(table, columns, name)
    if dry_run:
        removed, added = plan(table, target_size, rewrite_all=bool(columns))
        return OptimizeResult(name, table.version(), added, removed, columns, dry_run=True)
    before = table.version()
    try:
        if columns:
            metrics = table.optimize.z_order(
                columns, target_size=target_size, writer_properties=writer_properties
            )
        else:
            metrics = table.optimize.compact(
                target_size=target_size, writer_properties=writer_properties
            )
    except Exception as exc:
        raise LakeError(f"optimize of {name} failed: {clean_message(exc)}") from exc
    table.update_incremental()
    result = OptimizeResult(
        table=name,
        version=table.version(),
        files_added=int(metrics.get("numFilesAdded", 0)),
        files_removed=int(metrics.get("numFilesRemoved", 0)),
        zorder_by=columns,
        metrics=dict(metrics),
    )
    if table.version() != before:
        send(
            emit,
            TableOptimized(
                table=name,
                version=result.version,
                files_added=result.files_added,
                files_removed=result.files_removed,
            ),
        )
    return result


def plan(table: DeltaTable, target_size: int, *, rewrite_all: bool = False) -> tuple[int, int]:
    """(files rewritten, files written) by a compaction, from the log alone.

    Mirrors delta-rs: per partition, files below the target size are binned together, and
    a partition with a single small file is left alone. Z-ordering (``rewrite_all``)
    rewrites every file of every partition, a partition holding one file included.
    """
    groups: dict[str, list[int]] = defaultdict(list)
    for path, size in file_sizes(table).items():
        partition = path.rsplit("/", 1)[0] if "/" in path else ""
        if rewrite_all or size < target_size:
            groups[partition].append(size)
    removed = added = 0
    for sizes in groups.values():
        if len(sizes) < 2 and not rewrite_all:
            continue
        removed += len(sizes)
        added += max(1, math.ceil(sum(sizes) / target_size))
    return removed, added


def _check_columns(table: DeltaTable, columns: tuple[str, ...], name: str) -> None:
    import pyarrow as pa

    names = pa.schema(table.schema().to_arrow()).names
    unknown = [c for c in columns if c not in names]
    if unknown:
        raise LakeError(
            f"{name}: cannot z-order by {unknown[0]!r}, the table has no such column",
            hint="fix zorder_by in the table's metadata; columns: " + ", ".join(names),
        )
