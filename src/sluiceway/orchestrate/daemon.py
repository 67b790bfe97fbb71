"""``sluiceway serve``: the watchers, the dispatcher and the workers, in one process.

* The trigger watchers (schedules, landing-zone files, webhooks) append events;
* the dispatcher, a durable consumer of the event log, turns events into queued runs;
* the workers claim queued runs and execute their steps in warm worker processes.

Everything the daemon acts on is in the metadata store first: a daemon killed at any moment
and started again loses nothing and runs nothing twice. Events appended meanwhile are still
dispatched (the dispatcher's cursor is durable), queued runs are still claimed, and runs
that were executing are recovered once their lease runs out — their committed steps are not
run again. SIGTERM (or Ctrl-C) drains: watchers and the dispatcher stop at once, the
workers finish the runs in hand (up to ``drain_seconds``), then the process exits.

``until_idle`` makes a daemon that exits on its own once nothing is left to do — nothing
queued, nothing running, every event dispatched, no watcher activity for ``idle_seconds`` —
which is how the demo and the tests run the whole platform embedded.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sluiceway.orchestrate.dispatch import CONSUMER, EVENTS, Dispatcher
from sluiceway.orchestrate.worker import Worker

if TYPE_CHECKING:
    from sluiceway.meta.store import MetaStore
    from sluiceway.orchestrate.triggers.clock import Clock
    from sluiceway.spec.project import Project

log = logging.getLogger(__name__)


@dataclass
class DaemonSettings:
    """How a daemon runs."""

    workers: int = 2
    """Runs executed at once."""
    step_workers: int = 2
    """Worker processes the runs' steps execute in (0: in each run's worker thread)."""
    webhook_port: int | None = None
    """Port of the webhook listener (None: the default; only when a pipeline uses one)."""
    until_idle: bool = False
    idle_seconds: float = 3.0
    drain_seconds: float = 300.0
    engine: str | None = None
    log_format: str | None = None
    """How worker processes log to stderr (``json``/``text``; None: not at all)."""
    monitoring: bool = False
    """Run the monitoring services (lineage, alerts, SLAs, system tables); ``serve`` does."""
    metrics_port: int | None = None
    """Port of ``/metrics`` (0: a free one; None: no endpoint)."""


@dataclass
class DaemonStats:
    """What a daemon did, for its summary."""

    runs: int = 0
    started_at: float = field(default_factory=time.monotonic)


class Daemon:
    """The long-running process: watch, dispatch, execute."""

    def __init__(
        self,
        project: Project,
        store: MetaStore,
        settings: DaemonSettings | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        """Args:
        clock: the watchers' time (tests move a manual clock; default: the system's).
        """
        self.project = project
        self.store = store
        self.settings = settings or DaemonSettings()
        self.clock = clock
        self.stop_event = threading.Event()
        self._draining = threading.Event()
        self._threads: list[threading.Thread] = []
        self._workers: list[Worker] = []
        self._watchers: list[Any] = []
        self._services: list[Any] = []
        self._runner: Any = None
        self._wake = threading.Event()
        self._project_mtime = _spec_mtime(project.root)
        self._lock = threading.Lock()
        self._quiet_since = time.monotonic()
        self._latest_seen: int | None = None

    # ---------------------------------------------------------------- lifecycle

    def run(self, *, install_signals: bool = True) -> DaemonStats:
        """Start everything, serve until stopped (or idle), drain, and return the stats."""
        stats = DaemonStats()
        if install_signals:
            self._install_signals()
        self.start()
        try:
            while not self.stop_event.wait(0.25):
                if self.settings.until_idle and self._idle_for(self.settings.idle_seconds):
                    break
        finally:
            self.shutdown()
        stats.runs = sum(w.runs_done for w in self._workers)
        return stats

    @property
    def services(self) -> list[Any]:
        """The monitoring services, once started (a metrics server knows its port then)."""
        return list(self._services)

    @property
    def watchers(self) -> list[Any]:
        """The trigger watchers, once started (a webhook server knows its port then)."""
        return list(self._watchers)

    def start(self) -> None:
        """Start the watchers, the dispatcher and the workers (returns at once)."""
        from sluiceway.orchestrate.runner import owner_id
        from sluiceway.orchestrate.triggers.base import watchers_for
        from sluiceway.orchestrate.workers import ProcessSteps

        if self.settings.step_workers > 0:
            pool = ProcessSteps(self.settings.step_workers, log_format=self.settings.log_format)
            pool.warm()
            self._runner = pool
        self._watchers = watchers_for(
            self.project, self.store, clock=self.clock, webhook_port=self.settings.webhook_port
        )
        for watcher in self._watchers:
            _start(watcher, "daemon.webhook_port (or --port)")
        self._spawn("sw-dispatcher", self._dispatch)
        for index in range(max(1, self.settings.workers)):
            worker = Worker(
                self.current_project,
                self.store,
                owner_id(f"worker{index}"),
                runner=self._runner,
                engine=self.settings.engine,
                wake=self._wake,
            )
            self._workers.append(worker)
            self._spawn(f"sw-worker-{index}", lambda w=worker: w.run_forever(self._draining))
        if self.settings.monitoring or self.settings.metrics_port is not None:
            self._start_services()
        log.info(
            "serving %s: %d watcher(s), %d worker(s), %d monitoring service(s)",
            self.project.settings.name,
            len(self._watchers),
            len(self._workers),
            len(self._services),
        )

    def shutdown(self) -> None:
        """Stop watchers and the dispatcher, let workers finish their runs, stop the pool."""
        self.stop_event.set()
        for watcher in self._watchers:
            try:
                watcher.stop()
            except Exception as exc:  # stopping must go on for the others
                log.warning("stopping %s failed: %s", getattr(watcher, "name", watcher), exc)
        self._draining.set()
        self._wake.set()
        deadline = time.monotonic() + self.settings.drain_seconds
        for thread in self._threads:
            thread.join(timeout=max(0.1, deadline - time.monotonic()))
        if self._runner is not None:
            self._runner.close()
        for service in reversed(self._services):  # after the workers: their last events count
            try:
                service.stop(timeout=5.0)
            except Exception as exc:
                log.warning("stopping %s failed: %s", service.name, exc)

    def current_project(self) -> Project:
        """The project, loaded again when its definition files changed."""
        from sluiceway.spec.project import load_project

        latest = _spec_mtime(self.project.root)
        with self._lock:
            if latest > self._project_mtime:
                try:
                    self.project = load_project(self.project.root, env=self.project.env)
                    self._project_mtime = latest
                except Exception as exc:  # keep serving the last good definition
                    log.warning("the project does not load any more, keeping the last: %s", exc)
                    self._project_mtime = latest
            return self.project

    # ---------------------------------------------------------------- parts

    def _start_services(self) -> None:
        """Start the monitoring services; one that cannot start stops the daemon's start
        (a channel's secret unset, the metrics port taken): serving without them would
        hide failures the operator asked to hear about."""
        from sluiceway.observe.services import monitoring_services

        services = monitoring_services(
            self.current_project,
            self.store,
            clock=self.clock,
            monitoring=self.settings.monitoring,
            metrics_port=self.settings.metrics_port,
        )
        for service in services:
            try:
                _start(service, "daemon.metrics_port (or --metrics-port, --no-metrics)")
            except Exception:
                self.shutdown()
                raise
            self._services.append(service)

    def _dispatch(self) -> None:
        from sluiceway.events.consumer import Consumer
        from sluiceway.events.log import EventLog

        def handle(event: Any) -> None:
            Dispatcher(self.current_project(), self.store).handle(event)
            self._wake.set()

        consumer = Consumer(EventLog(self.store), CONSUMER, handle, types=EVENTS)
        while not self.stop_event.is_set():
            try:
                consumer.run_forever(self.stop_event)
            except Exception as exc:  # an event that failed is seen again: wait, retry
                log.warning("dispatching failed, retrying: %s", exc)
                self.stop_event.wait(1.0)

    def _spawn(self, name: str, target: Any) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _idle_for(self, seconds: float) -> bool:
        """Nothing queued, running or undispatched, and nothing new for ``seconds``."""
        from sluiceway.events.log import EventLog
        from sluiceway.meta.runs import RunRepo

        runs = RunRepo(self.store)
        if runs.recent(status=["queued", "running"], limit=1):
            self._quiet_since = time.monotonic()
            return False
        if any(w.busy.is_set() for w in self._workers):
            self._quiet_since = time.monotonic()
            return False
        log_ = EventLog(self.store)
        latest = log_.latest_id() or 0
        if latest != getattr(self, "_latest_seen", None):
            self._latest_seen = latest
            self._quiet_since = time.monotonic()
            return False
        return time.monotonic() - self._quiet_since >= seconds

    def _install_signals(self) -> None:
        def stop(signum: int, frame: Any) -> None:
            log.info("signal %d: draining", signum)
            self.stop_event.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)


def _start(component: Any, port_setting: str) -> None:
    """Start a watcher or a service; a port it cannot bind is a usage error saying which."""
    from sluiceway.errors import UsageError

    try:
        component.start()
    except OSError as exc:
        raise UsageError(
            f"{component.name} cannot listen: {exc.strerror or exc}",
            hint=f"another process holds the port; choose another with {port_setting}",
        ) from exc


def _spec_mtime(root: Path) -> float:
    """The newest modification time among the project's definition files."""
    files = [root / "sluiceway.yaml"]
    for folder in ("pipelines", "sql", "python", "params", "contracts"):
        base = root / folder
        if base.is_dir():
            files += [p for p in base.rglob("*") if p.is_file()]
    return max((p.stat().st_mtime for p in files if p.exists()), default=0.0)
