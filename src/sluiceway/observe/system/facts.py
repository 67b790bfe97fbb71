"""Exporting facts — events, check results, metric points — each exactly once, by id.

A pass appends the rows whose id is above the highest id in the table, in pages of
:data:`PAGE` rows, one Delta commit each. The highest id is read from the table (its
files' statistics), so it is committed atomically with the rows it describes: a pass
killed after any commit resumes after it, and one killed before leaves nothing behind.

Ids are not always committed in order. The event log's are (appends take a lock), but
check results and metric points are inserted by many workers at once, and on PostgreSQL
an id is assigned at INSERT and becomes visible at COMMIT: id 41 may appear after 42 was
exported. So each pass also compares the ids of the last :data:`LATE_WINDOW` ids below the
table's highest with the store's, and appends the ones that committed late. A row that
takes longer to commit than :data:`LATE_WINDOW` later inserts would be missed; inserts of
these rows are single short transactions, so that many cannot happen meanwhile.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from sluiceway.observe.system.report import TableExport

if TYPE_CHECKING:
    from sluiceway.meta.store import MetaStore
    from sluiceway.observe.system.sources import FactSource
    from sluiceway.observe.system.target import Snapshot, Target

PAGE = 50_000
"""Rows per commit when catching up with a backlog."""
LATE_WINDOW = 10_000
"""How many ids below the table's highest are checked for rows that committed late."""


def export_facts(
    target: Target,
    source: FactSource,
    store: MetaStore,
    *,
    page: int | None = None,
    late_window: int = LATE_WINDOW,
    stop: threading.Event | None = None,
) -> TableExport:
    """Append the rows of ``source`` the table does not hold yet, exactly once.

    Args:
        page: rows per commit (default :data:`PAGE`).
        late_window: ids below the table's highest checked for late commits.
        stop: set to end the pass after the current commit.
    """
    page = page or PAGE
    report = TableExport(target.table.qualified_name)
    snapshot = target.snapshot(create=True)
    batch = snapshot.batch
    high = int(snapshot.column_max("id") or 0)
    late = _late(snapshot, source, store, high, late_window)
    while True:
        newer = source.after(store, high, page)
        data = newer if late is None else pa.concat_tables([late, newer])
        late = None
        if data.num_rows == 0:
            break
        batch += 1
        result = target.commit(data, batch)
        if result.skipped:
            report.raced = True
            break
        report.rows += data.num_rows
        report.commits += 1
        report.version = result.version
        if newer.num_rows < page or (stop is not None and stop.is_set()):
            break
        high = max(high, int(pc.max(newer.column("id")).as_py()))
    return report


def _late(
    snapshot: Snapshot, source: FactSource, store: MetaStore, high: int, window: int
) -> pa.Table | None:
    """Rows with an id at or below ``high`` that the table lacks (committed late).

    The ids are compared with the same snapshot the pass took its batch number from: a
    batch that another exporter has meanwhile committed is then skipped as a whole.
    """
    if high <= 0 or not snapshot.exists:
        return None
    low = max(0, high - window)
    in_store = source.ids_between(store, low, high)
    if not in_store:
        return None
    missing = sorted(set(in_store) - snapshot.ids_above(low))
    return source.by_ids(store, missing) if missing else None
