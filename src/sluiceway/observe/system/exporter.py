"""The daemon's system-table exporter: one export pass every ``system_tables_interval``.

It has the shape of the trigger watchers (``name``, ``start()``, ``stop(timeout)``), so the
daemon starts and stops it with them. A failed pass — the store restarting, the object
store timing out — is logged and tried again after ``retry_delay``: the exporter never
dies, and since every pass resumes from what the tables hold, nothing is lost meanwhile.
``stop()`` interrupts a pass between commits; the next pass, in this or another process,
carries on from there.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sluiceway.meta.store import MetaStore
    from sluiceway.observe.system.report import ExportReport
    from sluiceway.spec.project import Project

log = logging.getLogger(__name__)

DEFAULT_RETRY_DELAY = 5.0


class SystemTablesExporter:
    """Exports the ``_system`` tables on its own thread, every ``interval`` seconds.

    Args:
        project: the project whose lake holds the tables.
        store: the metadata store they mirror.
        interval: seconds between passes; default the project's
            ``daemon.system_tables_interval``. 0 turns the exporter off (``start`` does
            nothing).
        retry_delay: seconds to wait after a pass that failed.
    """

    name = "system-tables"

    def __init__(
        self,
        project: Project,
        store: MetaStore,
        *,
        interval: float | None = None,
        retry_delay: float = DEFAULT_RETRY_DELAY,
    ) -> None:
        self.project = project
        self.store = store
        self.interval = (
            project.settings.daemon.system_tables_interval.total_seconds()
            if interval is None
            else interval
        )
        self.retry_delay = retry_delay
        self.last_report: ExportReport | None = None
        self.last_error: str | None = None
        self.passes = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        """True while the exporter's thread is alive."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def start(self) -> None:
        """Start exporting on a daemon thread; returns at once. A second call does nothing."""
        with self._lock:
            if self.interval <= 0 or self.running:
                return
            self._stop = threading.Event()
            self._thread = threading.Thread(
                target=self._loop, name=f"sluiceway-{self.name}", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the current commit and join the thread (up to ``timeout`` s); idempotent."""
        with self._lock:
            self._stop.set()
            thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                log.warning("%s did not stop within %.1f s", self.name, timeout)

    def run_once(self) -> ExportReport:
        """One pass now, on the caller's thread (what the loop repeats)."""
        from sluiceway.observe.system_tables import export_system_tables

        report = export_system_tables(self.project, self.store, stop=self._stop)
        self.passes += 1
        self.last_report = report
        self.last_error = "; ".join(f"{t.table}: {t.error}" for t in report.errors) or None
        return report

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                report = self.run_once()
                delay = self.interval if report.ok else min(self.interval, self.retry_delay)
                if report.ok and report.rows:
                    log.info(
                        "system tables: %d rows exported in %.2f s", report.rows, report.duration_s
                    )
                elif not report.ok:
                    log.warning("system tables: %s", self.last_error)
            except Exception as exc:  # the store or the lake is unreachable: try again
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("%s failed, retrying in %.0f s: %s", self.name, self.retry_delay, exc)
                delay = self.retry_delay
            if self._stop.wait(delay):
                break
