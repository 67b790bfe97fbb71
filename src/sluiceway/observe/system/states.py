"""Exporting rows that change — runs and step runs — by upserting the ones that did.

A run changes while it is queued or running, and its last change (to a final status)
stamps ``finished_at``. So a pass reads, from the store, every open row and every row
finished since the newest ``finished_at`` in the table less :data:`OVERLAP`; compares them
with their copies in the table; and merges on ``id`` only those that differ (a pass that
finds nothing changed commits nothing). Finished rows are read in ``(finished_at, id)``
order, in pages of :data:`PAGE` rows, one commit each, so a first export of a long
history, killed half-way, resumes from the newest finish time it committed.

The overlap covers a change committed a little after the time it stamps (a transaction
waiting for a lock) and clocks of different hosts disagreeing: both must stay well under
ten minutes. A row merged again is harmless — the merge keys on ``id``, and the lake leaves
a row whose values did not change untouched.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from sluiceway.observe.system.report import TableExport
from sluiceway.observe.system.sources import Page

if TYPE_CHECKING:
    from sluiceway.meta.store import MetaStore
    from sluiceway.observe.system.sources import StateSource
    from sluiceway.observe.system.target import Snapshot, Target

PAGE = 50_000
"""Finished rows per commit when catching up with a backlog."""
OVERLAP = timedelta(minutes=10)
"""How far before the table's newest ``finished_at`` a pass looks for finished rows."""
_STATS_SLACK = timedelta(seconds=1)
"""Timestamp statistics in the Delta log are cut to the millisecond: bounds used to skip
files are widened by this much."""


def export_states(
    target: Target,
    source: StateSource,
    store: MetaStore,
    *,
    page: int | None = None,
    overlap: timedelta = OVERLAP,
    stop: threading.Event | None = None,
) -> TableExport:
    """Upsert the rows of ``source`` that changed since the table was last brought up to date.

    Args:
        page: finished rows per commit (default :data:`PAGE`).
        overlap: how far before the newest exported finish time to look again.
        stop: set to end the pass after the current commit.
    """
    page = page or PAGE
    report = TableExport(target.table.qualified_name)
    snapshot = target.snapshot(create=True)
    batch = snapshot.batch
    newest = snapshot.column_max("finished_at")
    since = newest - overlap if newest is not None else None
    opened = source.open_rows(store)  # first: a row that finishes meanwhile is read again
    after: Page | None = None
    while True:
        finished = source.finished(store, since, after, page)
        data = _latest_per_id(pa.concat_tables([opened, finished]) if opened else finished)
        opened = None
        changed = _changed(snapshot, data, source.stable_column)
        if changed.num_rows:
            batch += 1
            result = target.commit(changed, batch)
            if result.skipped:
                report.raced = True
                break
            report.rows += changed.num_rows
            report.commits += 1
            report.version = result.version
        if finished.num_rows < page or (stop is not None and stop.is_set()):
            break
        last = finished.slice(finished.num_rows - 1).to_pylist()[0]
        after = Page(last["finished_at"], last["id"])
    return report


def _latest_per_id(data: pa.Table) -> pa.Table:
    """``data`` with one row per id: the last one read (a row can finish between reads)."""
    ids = data.column("id").to_pylist()
    last = {key: index for index, key in enumerate(ids)}
    if len(last) == len(ids):
        return data
    return data.take(pa.array(sorted(last.values()), pa.int64()))


def _changed(snapshot: Snapshot, data: pa.Table, stable_column: str) -> pa.Table:
    """The rows of ``data`` that differ from (or are missing in) the table."""
    if data.num_rows == 0:
        return data
    exported = snapshot.rows(data.column("id").to_pylist(), _at_least(data, stable_column))
    names = data.column_names
    held = {row["id"]: tuple(row[n] for n in names) for row in exported.to_pylist()}
    keep = [
        index
        for index, row in enumerate(data.to_pylist())
        if held.get(row["id"]) != tuple(row[n] for n in names)
    ]
    return data.take(pa.array(keep, pa.int64()))


def _at_least(data: pa.Table, column: str) -> Any:
    """A filter every row of ``data`` meets on ``column`` (a value no row ever changes)."""
    lowest = pc.min(data.column(column)).as_py()
    if lowest is None:
        return None
    if pa.types.is_timestamp(data.schema.field(column).type):
        lowest = lowest - _STATS_SLACK
    return pc.field(column) >= lowest
