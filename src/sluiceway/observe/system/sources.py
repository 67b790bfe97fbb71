"""Reading the metadata store for the system tables: the rows, already shaped as Arrow.

Two kinds of source, matching the two kinds of table:

- :class:`FactSource` — rows written once and never changed (events, check results, metric
  points), read by ``id``: past a given id in pages, by a list of ids, or only their ids in
  a range (what the exporter compares with the table to find rows that committed late).
- :class:`StateSource` — rows whose status changes (runs, step runs), read as "every row
  that may have changed": those not finished yet, plus those that finished since a given
  time, in pages ordered by ``(finished_at, id)``.

Values are converted the same way every time they are read (JSON as text with sorted
keys, timestamps as UTC), so an unchanged row compares equal to its exported copy. Rows are
read as Core rows, never ORM objects: building an object per row took half of a pass.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

import pyarrow as pa
from sqlalchemy import ColumnElement, and_, or_, select

from sluiceway.meta.models import (
    CheckResultRow,
    EventRow,
    MetricPointRow,
    RunRow,
    StepRunRow,
)
from sluiceway.observe.system.tables import (
    CHECK_RESULTS,
    EVENTS,
    METRICS,
    RUNS,
    STEP_RUNS,
    SystemTable,
)

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlalchemy.orm import InstrumentedAttribute

    from sluiceway.meta.store import MetaStore

IN_LIST_CHUNK = 500
"""Ids per ``IN (…)`` list: well under every driver's limit on bound parameters."""


def json_text(value: Any) -> str | None:
    """``value`` as compact JSON text with sorted keys (None stays None).

    Sorted keys make the text a function of the value, so a row read twice compares equal.
    Values JSON cannot hold (a datetime in a sample row) are written as their string.
    """
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _duration(started: datetime | None, finished: datetime | None) -> float | None:
    if started is None or finished is None:
        return None
    return round((finished - started).total_seconds(), 6)


def _arrow(table: SystemTable, rows: Iterable[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(list(rows), schema=table.schema)


# ------------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class FactSource:
    """Rows of one append-only metadata table, exported once each by ``id``."""

    table: SystemTable
    id_column: InstrumentedAttribute[int]
    columns: tuple[InstrumentedAttribute[Any], ...]
    convert: Callable[[Any], dict[str, Any]]

    def after(self, store: MetaStore, after_id: int, limit: int) -> pa.Table:
        """Up to ``limit`` rows with an id above ``after_id``, in id order."""
        query = self._select().where(self.id_column > after_id)
        return self._rows(store, query.order_by(self.id_column).limit(limit))

    def by_ids(self, store: MetaStore, ids: Sequence[int]) -> pa.Table:
        """The rows with these ids (those that exist), in id order."""
        tables = [
            self._rows(
                store,
                self._select()
                .where(self.id_column.in_(ids[i : i + IN_LIST_CHUNK]))
                .order_by(self.id_column),
            )
            for i in range(0, len(ids), IN_LIST_CHUNK)
        ]
        return pa.concat_tables(tables) if tables else self.table.empty()

    def ids_between(self, store: MetaStore, low: int, high: int) -> list[int]:
        """Ids in ``(low, high]`` that the store holds (an index range scan: cheap)."""
        query = select(self.id_column).where(self.id_column > low, self.id_column <= high)
        with store.reader() as connection:
            return [int(i) for i in connection.execute(query).scalars()]

    def count_after(self, store: MetaStore, after_id: int) -> int:
        """How many rows have an id above ``after_id`` (not exported yet)."""
        from sqlalchemy import func

        query = select(func.count()).where(self.id_column > after_id)
        with store.reader() as connection:
            return int(connection.execute(query).scalar() or 0)

    def _select(self) -> Select[Any]:
        return select(*self.columns)

    def _rows(self, store: MetaStore, query: Select[Any]) -> pa.Table:
        with store.reader() as connection:
            return _arrow(self.table, (self.convert(row) for row in connection.execute(query)))


def _event(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "type": row.type,
        "time": row.time,
        "run_id": row.run_id,
        "pipeline": row.pipeline,
        "step": row.step,
        "table_name": row.table_name,
        "payload": json_text(row.payload or {}),
    }


def _check_result(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "run_id": row.run_id,
        "step": row.step,
        "table_name": row.table_name,
        "check_name": row.check_name,
        "check_type": row.check_type,
        "severity": row.severity,
        "status": row.status,
        "observed": json_text(row.observed),
        "failing_rows": row.failing_rows,
        "sample": json_text(row.sample),
        "message": row.message,
        "checked_at": row.checked_at,
    }


def _metric(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "subject": row.subject,
        "labels": json_text(row.labels or {}),
        "value": row.value,
        "run_id": row.run_id,
        "time": row.time,
    }


EVENT_SOURCE = FactSource(
    EVENTS,
    EventRow.id,
    (
        EventRow.id,
        EventRow.type,
        EventRow.time,
        EventRow.run_id,
        EventRow.pipeline,
        EventRow.step,
        EventRow.table_name,
        EventRow.payload,
    ),
    _event,
)
CHECK_SOURCE = FactSource(
    CHECK_RESULTS,
    CheckResultRow.id,
    (
        CheckResultRow.id,
        CheckResultRow.run_id,
        CheckResultRow.step,
        CheckResultRow.table_name,
        CheckResultRow.check_name,
        CheckResultRow.check_type,
        CheckResultRow.severity,
        CheckResultRow.status,
        CheckResultRow.observed,
        CheckResultRow.failing_rows,
        CheckResultRow.sample,
        CheckResultRow.message,
        CheckResultRow.checked_at,
    ),
    _check_result,
)
METRIC_SOURCE = FactSource(
    METRICS,
    MetricPointRow.id,
    (
        MetricPointRow.id,
        MetricPointRow.name,
        MetricPointRow.subject,
        MetricPointRow.labels,
        MetricPointRow.value,
        MetricPointRow.run_id,
        MetricPointRow.time,
    ),
    _metric,
)


# ------------------------------------------------------------------------------- states


@dataclass(frozen=True)
class Page:
    """Where the previous page of finished rows ended: ``(finished_at, id)``."""

    finished_at: datetime
    id: Any


@dataclass(frozen=True)
class StateSource:
    """Rows whose status changes until they finish (runs, step runs), upserted by ``id``.

    A row changes only while it is not finished, and finishing stamps ``finished_at`` with
    the time of that last change; so "every row that may have changed since the table was
    last brought up to date" is the open rows plus those finished since then.
    """

    table: SystemTable
    stable_column: str
    """An exported column a row never changes (its id, or when it was queued): a lower
    bound on it lets a read of the table skip older files by their statistics."""
    open_statuses: tuple[str, ...]
    query: Callable[[], Select[Any]]
    status_column: InstrumentedAttribute[str]
    finished_column: InstrumentedAttribute[datetime | None]
    id_column: InstrumentedAttribute[Any]
    convert: Callable[[Any], dict[str, Any]]

    def open_rows(self, store: MetaStore) -> pa.Table:
        """Every row that has not finished: it may change at any moment."""
        query = self.query().where(self.status_column.in_(self.open_statuses))
        return self._rows(store, query.order_by(self.id_column))

    def finished(
        self, store: MetaStore, since: datetime | None, after: Page | None, limit: int
    ) -> pa.Table:
        """Up to ``limit`` finished rows, by ``(finished_at, id)``, finished at or after
        ``since`` (every one when None) and past ``after``."""
        conditions: list[ColumnElement[bool]] = [self.finished_column.is_not(None)]
        if since is not None:
            conditions.append(self.finished_column >= since)
        if after is not None:
            conditions.append(
                or_(
                    self.finished_column > after.finished_at,
                    and_(self.finished_column == after.finished_at, self.id_column > after.id),
                )
            )
        query = self.query().where(and_(*conditions))
        return self._rows(store, query.order_by(self.finished_column, self.id_column).limit(limit))

    def _rows(self, store: MetaStore, query: Select[Any]) -> pa.Table:
        with store.reader() as connection:
            return _arrow(self.table, (self.convert(row) for row in connection.execute(query)))


def _run_query() -> Select[Any]:
    return select(RunRow.__table__)


def _run(run: Any) -> dict[str, Any]:
    trigger = run.trigger or {}
    return {
        "id": run.id,
        "pipeline": run.pipeline,
        "env": run.env,
        "status": run.status,
        "attempt": run.attempt,
        "partition": run.partition,
        "trigger_kind": trigger.get("kind") if isinstance(trigger, dict) else None,
        "trigger": json_text(trigger),
        "params": json_text(run.params or {}),
        "steps": json_text(run.steps),
        "queued_at": run.queued_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "duration_s": _duration(run.started_at, run.finished_at),
        "error": run.error,
    }


def _step_query() -> Select[Any]:
    query = select(StepRunRow.__table__, RunRow.pipeline).join(
        RunRow, RunRow.id == StepRunRow.run_id
    )
    return cast("Select[Any]", query)


def _step_run(step: Any) -> dict[str, Any]:
    return {
        "id": step.id,
        "run_id": step.run_id,
        "pipeline": step.pipeline,
        "step": step.step,
        "status": step.status,
        "attempt": step.attempt,
        "batch": step.batch,
        "table_name": step.table_name,
        "table_version": step.table_version,
        "rows_in": step.rows_in,
        "rows_out": step.rows_out,
        "rows_quarantined": step.rows_quarantined,
        "started_at": step.started_at,
        "finished_at": step.finished_at,
        "duration_s": _duration(step.started_at, step.finished_at),
        "error": step.error,
        "metrics": json_text(step.metrics or {}),
    }


RUN_SOURCE = StateSource(
    RUNS,
    "queued_at",
    ("queued", "running"),
    _run_query,
    RunRow.status,
    RunRow.finished_at,
    RunRow.id,
    _run,
)
STEP_RUN_SOURCE = StateSource(
    STEP_RUNS,
    "id",
    ("pending", "running"),
    _step_query,
    StepRunRow.status,
    StepRunRow.finished_at,
    StepRunRow.id,
    _step_run,
)

FACT_SOURCES: dict[str, FactSource] = {
    s.table.name: s for s in (EVENT_SOURCE, CHECK_SOURCE, METRIC_SOURCE)
}
"""The append-only sources, by system table name."""
STATE_SOURCES: dict[str, StateSource] = {s.table.name: s for s in (RUN_SOURCE, STEP_RUN_SOURCE)}
"""The sources whose rows change, by system table name."""
