"""Table maintenance: compaction and z-order, vacuum, retention with archival, auto-compaction.

Each operation works on one table, can show what it would do (``dry_run``), and reports
what it did as an event (``table.optimized``, ``table.vacuumed``,
``table.retention_applied``) through an optional sink, so it runs with or without a
metadata store.
"""

from __future__ import annotations

from sluiceway.lake.maintenance.autocompact import maybe_compact, small_files
from sluiceway.lake.maintenance.common import (
    EventSink,
    TableRef,
    discover_tables,
    store_sink,
)
from sluiceway.lake.maintenance.optimize import OptimizeResult, optimize
from sluiceway.lake.maintenance.retention import (
    RetentionPolicy,
    RetentionResult,
    apply_retention,
    archive_rows,
)
from sluiceway.lake.maintenance.vacuum import VacuumResult, vacuum

__all__ = [
    "EventSink",
    "OptimizeResult",
    "RetentionPolicy",
    "RetentionResult",
    "TableRef",
    "VacuumResult",
    "apply_retention",
    "archive_rows",
    "discover_tables",
    "maybe_compact",
    "optimize",
    "small_files",
    "store_sink",
    "vacuum",
]
