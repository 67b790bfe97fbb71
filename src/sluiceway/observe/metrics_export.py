"""Collect the platform's series from the metadata store and the lake, as Prometheus text.

``/metrics`` (served by :mod:`sluiceway.observe.metrics_server`) and ``sluiceway metrics``
print the same text, built here in three parts:

- ``steps`` — per step: the latest attempt's rows, bytes, files, duration, CPU time and
  peak memory; attempts and rows as counters; a duration histogram
  (:mod:`~sluiceway.observe.metrics_steps`);
- ``runs`` — queued and running runs per pipeline, the oldest queued run's age, finished
  runs by outcome;
- ``tables`` — per table: Delta version, size, files, rows, last commit and freshness, the
  SLA judged now and breaches so far (:mod:`~sluiceway.observe.metrics_tables`).

A part that fails (the lake unreachable, say) is logged and reported as
``sluiceway_collector_up{collector="tables"} 0``; the other parts are still served, so one
broken bucket does not blind the whole dashboard. ``sluiceway_collector_seconds`` shows
what each part costs.

A long-lived :class:`MetricsCollector` reads the event log incrementally and caches table
statistics per Delta version; scrapes are serialized, so the caches need no finer locking.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from sluiceway.observe.log_view import LogView
from sluiceway.observe.metrics_steps import run_families, step_families
from sluiceway.observe.metrics_tables import table_families
from sluiceway.observe.prometheus import Family, render
from sluiceway.observe.table_stats import DEFAULT_MAX_AGE, TableStatsCache
from sluiceway.orchestrate.triggers.clock import Clock, SystemClock

if TYPE_CHECKING:
    from sluiceway.lake.storage import LakeStorage
    from sluiceway.meta.store import MetaStore
    from sluiceway.spec.project import Project

log = logging.getLogger(__name__)

ProjectSource = Callable[[], "Project"]


class MetricsCollector:
    """Builds the exposition of one project's environment; reuse it between scrapes.

    Args:
        project: the project, or a callable returning the current one (the daemon's
            ``current_project``, so new pipelines appear without a restart).
        store: the metadata store.
        clock: "now" for ages and SLAs (tests move a manual clock).
        stats_max_age: seconds after which table statistics are read again even when the
            event log shows no change.
    """

    def __init__(
        self,
        project: Project | ProjectSource,
        store: MetaStore,
        *,
        clock: Clock | None = None,
        stats_max_age: float = DEFAULT_MAX_AGE,
    ) -> None:
        self._project: ProjectSource = project if callable(project) else (lambda: project)
        self.store = store
        self.clock: Clock = clock or SystemClock()
        self.stats = TableStatsCache(stats_max_age)
        self._view: LogView | None = None
        self._storage: tuple[Project, LakeStorage] | None = None
        self._lock = threading.Lock()

    def collect(self) -> list[Family]:
        """Every family, read now."""
        with self._lock:
            project = self._project()
            now = self.clock.now()
            up = Family(
                "sluiceway_collector_up", "gauge", "1 if the part of /metrics was collected."
            )
            took = Family("sluiceway_collector_seconds", "gauge", "Time spent collecting the part.")
            parts: list[tuple[str, Callable[[], list[Family]]]] = [
                ("steps", lambda: step_families(project, self.store)),
                ("runs", lambda: run_families(project, self.store, now)),
                ("tables", lambda: self._tables(project, now)),
            ]
            families: list[Family] = []
            for name, part in parts:
                started = time.perf_counter()
                try:
                    families += part()
                    up.add(1, collector=name)
                except Exception as exc:  # one broken source must not hide the others
                    log.warning("collecting the %s metrics failed: %s", name, exc)
                    up.add(0, collector=name)
                took.add(round(time.perf_counter() - started, 6), collector=name)
            return [*families, up, took]

    def render(self) -> str:
        """The Prometheus text of :meth:`collect`."""
        return render(self.collect())

    def _tables(self, project: Project, now: datetime) -> list[Family]:
        if self._view is None or self._view.env != project.env:
            self._view = LogView(self.store, project.env)
        self._view.refresh()
        return table_families(project, self._view, self._lake_storage(project), self.stats, now)

    def _lake_storage(self, project: Project) -> LakeStorage:
        """The lake of ``project``; built again only when the daemon reloaded the project."""
        if self._storage is None or self._storage[0] is not project:
            from sluiceway.lake.storage import lake_storage

            self._storage = (project, lake_storage(project.settings, project.root))
        return self._storage[1]


def render_metrics(project: Project, store: MetaStore, *, clock: Clock | None = None) -> str:
    """The exposition text, read once (what ``sluiceway metrics`` prints)."""
    return MetricsCollector(project, store, clock=clock).render()
