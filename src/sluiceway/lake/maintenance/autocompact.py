"""Automatic compaction: compact a table after a commit once small files pile up.

Frequent small batches (a stream, a file trigger every minute) leave one small file per
commit. Rather than waiting for a scheduled ``optimize``, the writer calls
:func:`maybe_compact` after committing; it only counts files in the log (no data is read)
and compacts when too many are small. The count threshold is a parameter so the caller can
take it from the project settings (``table_defaults.autocompact_files``).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from sluiceway.lake.maintenance.common import EventSink, file_sizes
from sluiceway.lake.maintenance.optimize import DEFAULT_TARGET_SIZE, OptimizeResult, optimize

if TYPE_CHECKING:
    from deltalake import DeltaTable

DEFAULT_FILE_THRESHOLD = 64
DEFAULT_SMALL_FILE_SIZE = 16 * 1024 * 1024


def small_files(table: DeltaTable, small_file_size: int = DEFAULT_SMALL_FILE_SIZE) -> int:
    """How many data files below ``small_file_size`` bytes compaction could merge.

    Compaction works within a partition, so a partition's lone small file does not count:
    a table with one small file in each of 100 partitions has nothing to compact.
    """
    per_partition: Counter[str] = Counter(
        path.rsplit("/", 1)[0] if "/" in path else ""
        for path, size in file_sizes(table).items()
        if size < small_file_size
    )
    return sum(n for n in per_partition.values() if n > 1)


def maybe_compact(
    table: DeltaTable,
    threshold: int = DEFAULT_FILE_THRESHOLD,
    *,
    name: str | None = None,
    small_file_size: int = DEFAULT_SMALL_FILE_SIZE,
    target_size: int = DEFAULT_TARGET_SIZE,
    emit: EventSink | None = None,
    writer_properties: Any = None,
) -> OptimizeResult | None:
    """Compact ``table`` when at least ``threshold`` of its files are small; else None.

    ``threshold`` of 0 or less disables automatic compaction. Emits ``table.optimized``
    when it compacts.
    """
    if threshold <= 0 or small_files(table, small_file_size) < threshold:
        return None
    label = name or table.table_uri
    return optimize(
        table, name=label, target_size=target_size, emit=emit, writer_properties=writer_properties
    )
