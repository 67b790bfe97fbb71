"""What an alert's message says besides the event: a summary, details, and what is downstream.

The lineage context answers the first question of whoever receives an alert: what does this
break? The tables the failure is about (the event's table, or the tables its pipeline or
step writes) are followed down the lineage the metadata store recorded from each SQL step's
reads, breadth first, and each downstream table is named with the pipeline that writes it
and its owner from the catalog. It is computed when the alert opens, so a message sent
later (grouped, retried, after a restart) says what was true then.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sluiceway.meta.catalog import CatalogRepo
from sluiceway.meta.lineage import LineageRepo

if TYPE_CHECKING:
    from sluiceway.events.base import Event
    from sluiceway.meta.store import MetaStore
    from sluiceway.observe.alerts.rules import ProjectTables

log = logging.getLogger(__name__)

MAX_DOWNSTREAM = 25
MAX_WALK = 500  # tables visited at most; beyond, "and N more" is a lower bound
MAX_TEXT = 300  # characters of a summary
MAX_DETAIL = 1000  # and of one detail (an error with its first lines of traceback)


@dataclass(frozen=True)
class Downstream:
    """A table downstream of the failure, ``depth`` edges away."""

    table: str
    depth: int
    pipeline: str | None = None
    owner: str | None = None


def alert_context(
    event: Event,
    store: MetaStore,
    env: str,
    tables: ProjectTables,
    *,
    limit: int = MAX_DOWNSTREAM,
) -> dict[str, Any]:
    """The JSON context stored with a new alert: summary, details, tables and downstream.

    Lineage is best effort: a store that cannot be read leaves the downstream list empty
    rather than failing the alert.
    """
    about = [event.table] if event.table else list(tables.written_by(event.pipeline, event.step))
    try:
        found, more = downstream(store, env, about, tables, limit=limit)
    except Exception as exc:  # an alert without lineage beats no alert
        log.warning("lineage of %s unavailable for an alert: %s", ", ".join(about), exc)
        found, more = [], 0
    return {
        "summary": summary(event),
        "details": details(event),
        "tables": about,
        "downstream": [
            {"table": d.table, "depth": d.depth, "pipeline": d.pipeline, "owner": d.owner}
            for d in found
        ],
        "downstream_more": more,
    }


def downstream(
    store: MetaStore,
    env: str,
    start: list[str],
    tables: ProjectTables,
    *,
    limit: int = MAX_DOWNSTREAM,
) -> tuple[list[Downstream], int]:
    """Tables downstream of ``start``, nearest first, at most ``limit`` (and how many more)."""
    lineage = LineageRepo(store)
    seen = set(start)
    queue: deque[tuple[str, int]] = deque((table, 0) for table in start)
    reached: list[tuple[str, int]] = []
    while queue and len(reached) < MAX_WALK:
        table, depth = queue.popleft()
        for target in sorted({edge.target for edge in lineage.downstream(env, table)}):
            if target not in seen:
                seen.add(target)
                reached.append((target, depth + 1))
                queue.append((target, depth + 1))
    catalog = CatalogRepo(store)
    named = [
        Downstream(table, depth, tables.writer.get(table), _owner(catalog, env, table))
        for table, depth in reached[:limit]
    ]
    return named, max(0, len(reached) - limit)


def _owner(catalog: CatalogRepo, env: str, table: str) -> str | None:
    layer, _, name = table.partition(".")
    info = catalog.get(env, layer, name) if name else None
    return None if info is None else info.owner


def summary(event: Event) -> str:
    """One sentence saying what happened."""
    data = event.payload()
    kind = event.type
    if kind == "run.failed":
        text = f"pipeline {event.pipeline} failed: {_first_line(data.get('error'))}"
    elif kind == "step.failed":
        text = f"step {event.pipeline}.{event.step} failed: {_first_line(data.get('error'))}"
    elif kind == "check.failed":
        text = f"check {data.get('check')} on {event.table} failed ({data.get('severity')})"
        if data.get("message"):
            text += f": {_first_line(data.get('message'))}"
    elif kind == "anomaly.detected":
        subject = data.get("subject") or event.table
        text = f"anomaly in {data.get('metric')} of {subject}"
        if data.get("message"):
            text += f": {_first_line(data.get('message'))}"
    elif kind == "sla.missed":
        text = f"SLA {data.get('sla')} missed by {event.table or event.pipeline}"
        if data.get("detail"):
            text += f": {_first_line(data.get('detail'))}"
    elif kind == "file.failed":
        text = f"file {data.get('uri')} failed to load: {_first_line(data.get('error'))}"
    else:
        text = kind
    return _clip(text)


_DETAIL_KEYS: Mapping[str, tuple[str, ...]] = {
    "run.failed": ("error",),
    "step.failed": ("error", "attempt"),
    "check.failed": ("check", "check_type", "severity", "observed", "failing_rows", "message"),
    "anomaly.detected": (
        "metric",
        "subject",
        "value",
        "expected",
        "expected_low",
        "expected_high",
        "detector",
    ),
    "sla.missed": ("sla", "expected_by", "detail"),
    "file.failed": ("uri", "error"),
}


def details(event: Event) -> dict[str, str]:
    """The event's fields worth showing, as text, in a stable order."""
    data = event.payload()
    shown = {k: data.get(k) for k in _DETAIL_KEYS.get(event.type, ())}
    common = {"run_id": event.run_id, "pipeline": event.pipeline, "step": event.step}
    merged = {**common, **shown}
    return {k: _clip(str(v), MAX_DETAIL) for k, v in merged.items() if v is not None}


def _first_line(value: object) -> str:
    text = "" if value is None else str(value).strip()
    return text.splitlines()[0] if text else ""


def _clip(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
