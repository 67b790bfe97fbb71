"""The per-table series of ``/metrics``: version, size, files, rows, freshness and SLA.

Version, size, files and rows are the table's latest Delta version, from
:class:`~sluiceway.observe.table_stats.TableStatsCache`. Freshness is the time since the
table's last ``table.committed`` in this environment, the clock the SLA watchdog reads;
``sluiceway_table_sla_breached`` judges the SLA at scrape time with the same rules, so a
dashboard shows a breach even where no watchdog runs (``sluiceway metrics`` from cron).
Views are left out: they store nothing and are as fresh as what they read.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sluiceway.observe.prometheus import Family
from sluiceway.observe.sla import sla_states
from sluiceway.spec.materializations import View

if TYPE_CHECKING:
    from sluiceway.lake.storage import LakeStorage
    from sluiceway.observe.log_view import LogView
    from sluiceway.observe.table_stats import TableStatsCache
    from sluiceway.spec.project import Project


def table_families(
    project: Project,
    view: LogView,
    storage: LakeStorage,
    cache: TableStatsCache,
    now: datetime,
) -> list[Family]:
    """The per-table series of the tables ``project`` writes (``view`` refreshed)."""
    info = Family(
        "sluiceway_table_info", "gauge", "A table and the pipeline and step that write it."
    )
    version = Family("sluiceway_table_version", "gauge", "The table's latest Delta version.")
    size = Family("sluiceway_table_size_bytes", "gauge", "Bytes of the table's data files.")
    files = Family("sluiceway_table_files", "gauge", "Data files in the table's latest version.")
    rows = Family("sluiceway_table_rows", "gauge", "Rows in the table's latest version.")
    committed = Family(
        "sluiceway_table_last_commit_timestamp_seconds",
        "gauge",
        "When the table was last committed (Unix time).",
    )
    freshness = Family(
        "sluiceway_table_freshness_seconds", "gauge", "Seconds since the table's last commit."
    )
    for table, (pipeline, step) in sorted(project.tables_written().items()):
        if isinstance(getattr(step, "materialization", None), View):
            continue
        layer = table.split(".", 1)[0]
        info.add(1, table=table, layer=layer, pipeline=pipeline.name, step=step.name)
        stats = cache.get(storage, project.env, table, view.last_change(table))
        if stats is not None:
            version.add(stats.version, table=table)
            size.add(stats.size_bytes, table=table)
            files.add(stats.files, table=table)
            rows.add(stats.rows, table=table)
        last = view.last_commit(table)
        if last is not None:
            committed.add(last.timestamp(), table=table)
            freshness.add(max((now - last).total_seconds(), 0.0), table=table)
    return [
        info,
        version,
        size,
        files,
        rows,
        committed,
        freshness,
        *sla_families(project, view, now),
    ]


def sla_families(project: Project, view: LogView, now: datetime) -> list[Family]:
    """Each declared SLA judged now, when it is next due, and the breaches so far."""
    breached = Family(
        "sluiceway_table_sla_breached", "gauge", "1 while the table misses its SLA, else 0."
    )
    due = Family(
        "sluiceway_table_sla_due_timestamp_seconds",
        "gauge",
        "When the data is next due (met) or was due (missed), Unix time.",
    )
    missed = Family("sluiceway_table_sla_missed", "counter", "SLA breaches (sla.missed events).")
    for state in sla_states(project, view, now):
        table = state.target.table
        breached.add(0 if state.status.met else 1, table=table, sla=state.target.description)
        moment = state.status.next_check if state.status.met else state.status.expected_by
        if moment is not None:
            due.add(moment.timestamp(), table=table)
        missed.add(view.missed_count(table), table=table)
    return [breached, due, missed]
