"""``_system.sla_states``: the state of each SLA, from its last ``sla.missed``/``sla.recovered``.

The SLA watchdog appends ``sla.missed`` when a table or pipeline misses an SLA and
``sla.recovered`` when it is met again; the state of an SLA is whatever its last such event
says. A pass reads the SLA events above the highest event id in the table (the event log's
ids commit in order, so none can appear below it later), keeps the last one per
environment, subject and SLA, and merges those rows on ``(env, subject, sla)``. An event
that does not name its environment belongs to the one being exported.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from sqlalchemy import select

from sluiceway.meta.models import EventRow
from sluiceway.observe.system.report import TableExport
from sluiceway.observe.system.tables import SLA_STATES

if TYPE_CHECKING:
    from sluiceway.meta.store import MetaStore
    from sluiceway.observe.system.target import Target

PAGE = 50_000
"""SLA events read per commit."""
SLA_EVENTS = ("sla.missed", "sla.recovered")
STATES = {"sla.missed": "missed", "sla.recovered": "met"}


def export_sla_states(
    target: Target,
    store: MetaStore,
    *,
    page: int | None = None,
    stop: threading.Event | None = None,
) -> TableExport:
    """Merge the state set by every SLA event the table has not seen yet.

    Args:
        page: SLA events read per commit (default :data:`PAGE`).
        stop: set to end the pass after the current commit.
    """
    page = page or PAGE
    env = target.lake.env
    report = TableExport(target.table.qualified_name)
    snapshot = target.snapshot(create=True)
    batch = snapshot.batch
    high = int(snapshot.column_max("event_id") or 0)
    while True:
        events = _events(store, high, page)
        data = states(events, env)
        if data.num_rows:
            batch += 1
            result = target.commit(data, batch)
            if result.skipped:
                report.raced = True
                break
            report.rows += data.num_rows
            report.commits += 1
            report.version = result.version
        if len(events) < page or (stop is not None and stop.is_set()):
            break
        high = events[-1].id
    return report


def _events(store: MetaStore, after_id: int, limit: int) -> list[Any]:
    query = (
        select(
            EventRow.id,
            EventRow.type,
            EventRow.time,
            EventRow.pipeline,
            EventRow.table_name,
            EventRow.payload,
        )
        .where(EventRow.type.in_(SLA_EVENTS), EventRow.id > after_id)
        .order_by(EventRow.id)
        .limit(limit)
    )
    with store.reader() as connection:
        return list(connection.execute(query))


def states(events: list[Any], env: str) -> pa.Table:
    """One row per environment, subject and SLA: the state its last event in ``events`` sets.

    Events naming neither a table nor a pipeline, or no SLA, describe nothing to keep;
    events naming no environment are taken to be of ``env``.
    """
    latest: dict[tuple[str, str, str], dict[str, Any]] = {}
    for event in events:  # in id order: a later event replaces an earlier one
        payload = event.payload or {}
        sla = payload.get("sla")
        subject = event.table_name or event.pipeline
        if not sla or not subject:
            continue
        event_env = str(payload.get("env") or env)
        latest[(event_env, subject, str(sla))] = {
            "env": event_env,
            "subject": subject,
            "subject_kind": "table" if event.table_name else "pipeline",
            "sla": str(sla),
            "state": STATES[event.type],
            "since": event.time,
            "expected_by": _instant(payload.get("expected_by")),
            "detail": payload.get("detail"),
            "event_id": event.id,
        }
    return pa.Table.from_pylist(list(latest.values()), schema=SLA_STATES.schema)


def _instant(value: Any) -> datetime | None:
    """An ISO 8601 payload value as a UTC instant (naive values are UTC)."""
    if not value:
        return None
    try:
        instant = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)
