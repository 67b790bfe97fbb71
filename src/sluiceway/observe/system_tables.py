"""System tables: the metadata store, exported to Delta tables ``_system.*`` for SQL.

``_system.events``, ``runs``, ``step_runs``, ``check_results``, ``metrics`` and
``sla_states`` mirror the metadata store, so ``sluiceway query`` (and pipelines) can join
runs with events, chart check failures or compute SLA reports in SQL. They live in the
lake like any table (``{lake}/{env}/_system/<name>``) and are registered in the catalog;
no pipeline may declare one (``_system`` is a reserved layer).

How each is kept current — exactly once, resumable after a crash at any point — is in
:mod:`sluiceway.observe.system.facts` (append by id), :mod:`~sluiceway.observe.system.states`
(upsert rows that changed) and :mod:`~sluiceway.observe.system.sla`. Who runs a pass:

- the daemon, every ``daemon.system_tables_interval`` (:class:`SystemTablesExporter`);
- ``sluiceway query``, before reading a ``_system`` table (:func:`refresh_for_query`), so a
  query sees what has happened up to the moment it runs;
- ``sluiceway system-tables --export``.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sluiceway.errors import UsageError
from sluiceway.observe.system.exporter import SystemTablesExporter
from sluiceway.observe.system.report import ExportReport, TableExport
from sluiceway.observe.system.tables import (
    SYSTEM_LAYER,
    SYSTEM_TABLES,
    SystemTable,
    is_system_table,
)

if TYPE_CHECKING:
    from sluiceway.lake.service import Lake
    from sluiceway.meta.store import MetaStore
    from sluiceway.observe.system.target import Target
    from sluiceway.spec.project import Project

__all__ = [
    "SYSTEM_LAYER",
    "SYSTEM_TABLES",
    "ExportReport",
    "SystemTable",
    "SystemTablesExporter",
    "TableExport",
    "TableStatus",
    "export_system_tables",
    "is_system_table",
    "refresh_for_query",
    "system_table_status",
]

log = logging.getLogger(__name__)

_PASSES = threading.Lock()
"""Passes in one process run one at a time: the daemon's thread and a query's refresh
would otherwise both compute the same batches, and one would only find it committed."""


def export_system_tables(
    project: Project,
    store: MetaStore,
    *,
    tables: Iterable[str] | None = None,
    stop: threading.Event | None = None,
) -> ExportReport:
    """One export pass: bring every system table (or only ``tables``) up to date.

    Idempotent: a pass right after another finds nothing to do and commits nothing. A
    table that fails is reported (``report.errors``) and the others are still exported.

    Args:
        tables: ``_system.<name>`` names to export; default every system table.
        stop: set to end the pass early (after the current commit); the next pass resumes.

    Raises:
        UsageError: ``tables`` names a table that is not a system table.
    """
    selected = _selected(tables)
    report = ExportReport(export_id=_export_id(), started_at=datetime.now(UTC))
    clock = time.perf_counter()
    lake = _system_lake(project)
    with _PASSES:
        for table in selected:
            if stop is not None and stop.is_set():
                break
            report.tables.append(_export_one(lake, store, table, report.export_id, stop))
    report.duration_s = time.perf_counter() - clock
    return report


def refresh_for_query(project: Project, store: MetaStore, tables: Iterable[str]) -> ExportReport:
    """Bring the system tables a query reads up to date before it runs.

    Only the ``_system`` tables among ``tables`` are exported, so a query pays for the
    tables it reads; when nothing changed that costs a few reads of the store and of the
    tables' logs, and no commit.
    """
    return export_system_tables(project, store, tables=[t for t in tables if t in SYSTEM_TABLES])


@dataclass(frozen=True)
class TableStatus:
    """A system table as ``sluiceway system-tables`` lists it.

    Attributes:
        rows: rows in the table (from the Parquet footers); None before the first export.
        version: its Delta version.
        last_export: when the exporter last committed to it (UTC).
        pending: rows of the store not exported yet, for ``append`` tables; None otherwise.
    """

    table: SystemTable
    rows: int | None
    version: int | None
    last_export: datetime | None
    pending: int | None


def system_table_status(project: Project, store: MetaStore) -> list[TableStatus]:
    """Every system table's size, version, last export and backlog."""
    from sluiceway.observe.system.target import Target

    lake = _system_lake(project)
    found = []
    for table in SYSTEM_TABLES.values():
        target = Target(lake, store, table, export_id="status")
        snapshot = target.snapshot()
        if snapshot.delta is None:
            found.append(TableStatus(table, None, None, None, _pending(table, store, 0)))
            continue
        high = snapshot.column_max("id") if table.kind == "append" else None
        found.append(
            TableStatus(
                table,
                rows=int(snapshot.dataset().count_rows()),
                version=snapshot.delta.version(),
                last_export=_last_export(snapshot.delta),
                pending=_pending(table, store, int(high or 0)),
            )
        )
    return found


def _selected(tables: Iterable[str] | None) -> list[SystemTable]:
    if tables is None:
        return list(SYSTEM_TABLES.values())
    wanted = set(tables)
    unknown = sorted(wanted - set(SYSTEM_TABLES))
    if unknown:
        raise UsageError(
            f"{unknown[0]} is not a system table",
            hint="system tables: " + ", ".join(SYSTEM_TABLES),
        )
    return [t for name, t in SYSTEM_TABLES.items() if name in wanted]


def _export_one(
    lake: Lake, store: MetaStore, table: SystemTable, export_id: str, stop: threading.Event | None
) -> TableExport:
    """Export one table; a failure is reported, not raised, so the others still export."""
    from sluiceway.observe.system.target import Target

    target = Target(lake, store, table, export_id)
    try:
        export = _export(target, store, stop)
        _ensure_registered(target)
    except Exception as exc:
        log.warning("exporting %s failed: %s", table.qualified_name, exc)
        return TableExport(table.qualified_name, error=str(exc), exception=exc)
    return export


def _export(target: Target, store: MetaStore, stop: threading.Event | None) -> TableExport:
    """The export that suits the table: facts appended, states merged, SLA states derived."""
    from sluiceway.observe.system.facts import export_facts
    from sluiceway.observe.system.sla import export_sla_states
    from sluiceway.observe.system.sources import FACT_SOURCES, STATE_SOURCES
    from sluiceway.observe.system.states import export_states

    name = target.table.name
    if name in FACT_SOURCES:
        return export_facts(target, FACT_SOURCES[name], store, stop=stop)
    if name in STATE_SOURCES:
        return export_states(target, STATE_SOURCES[name], store, stop=stop)
    return export_sla_states(target, store, stop=stop)


def _ensure_registered(target: Target) -> None:
    """Register a table whose commit landed but whose registration did not (a crash)."""
    from sluiceway.meta.catalog import CatalogRepo

    name = target.name
    if CatalogRepo(target.store).get(target.lake.env, name.layer, name.name) is None:
        target.register_current()


def _system_lake(project: Project) -> Lake:
    """The project's lake, opened without the store (see :mod:`~.system.target`)."""
    from sluiceway.lake.service import Lake
    from sluiceway.lake.storage import lake_storage

    return Lake(
        lake_storage(project.settings, project.root),
        project.env,
        None,
        project.settings.table_defaults,
    )


def _export_id() -> str:
    """An id for one pass, stored as the rows' ``_sw_run_id`` (fits a run id's 36 chars)."""
    return f"export-{uuid.uuid4().hex[:16]}"


def _pending(table: SystemTable, store: MetaStore, high: int) -> int | None:
    from sluiceway.observe.system.sources import FACT_SOURCES

    source = FACT_SOURCES.get(table.name)
    return None if source is None else source.count_after(store, high)


def _last_export(delta: object) -> datetime | None:
    """When the exporter last committed to the table (its creation included)."""
    from sluiceway.observe.system.target import APP_ID, CREATE_APP_ID

    for commit in delta.history(20):  # type: ignore[attr-defined]
        if commit.get("sluiceway.app_id") in (APP_ID, CREATE_APP_ID) and "timestamp" in commit:
            return datetime.fromtimestamp(int(commit["timestamp"]) / 1000, UTC)
    return None
