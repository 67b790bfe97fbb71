"""Trigger watchers: what the daemon starts to turn the outside world into events.

A watcher watches one kind of outside signal (the clock, the landing zone, HTTP requests)
and appends events to the log; it never starts a run. The dispatcher reads those events
and queues runs, so every run can be traced to a durable event, and a watcher and the
dispatcher can restart independently. ``tables`` triggers need no watcher at all: the lake
appends ``table.committed`` itself, and the dispatcher consumes it.

The daemon's whole contract is :class:`Watcher` and :func:`watchers_for`::

    watchers = watchers_for(project, store)
    for watcher in watchers:
        watcher.start()
    ...
    for watcher in watchers:
        watcher.stop()
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sluiceway.orchestrate.triggers.clock import Clock, SystemClock

if TYPE_CHECKING:
    from sluiceway.meta.store import MetaStore
    from sluiceway.spec.project import Project

__all__ = ["Clock", "SystemClock", "TriggerSettings", "Watcher", "watchers_for"]


class Watcher(Protocol):
    """Something that watches the outside world on its own thread(s) and appends events."""

    name: str

    def start(self) -> None:
        """Start watching; returns at once. Configuration errors are raised here."""
        ...

    def stop(self, timeout: float = 5.0) -> None:
        """Stop watching and join the threads (up to ``timeout`` s each); idempotent."""
        ...


@dataclass(frozen=True)
class TriggerSettings:
    """How the watchers run; the defaults suit a laptop and a small cluster alike.

    Attributes:
        settle: seconds a local file's size and mtime must stay unchanged to be complete,
            where the OS does not report close-after-write (and for files found at start).
        s3_poll_interval: seconds between listings of an ``s3://`` landing zone.
        webhook_host: address the webhook server listens on.
        webhook_port: its port (0: a free one); ``watchers_for(webhook_port=…)`` overrides.
        webhook_max_body: largest webhook body accepted, in bytes.
        s3_hook_secret: a ``${env:NAME}`` reference; when set, requests to ``/hooks/s3``
            must be signed with it.
        retry_delay: seconds a watcher waits after a failed round (store or storage down).
    """

    settle: float = 0.3
    s3_poll_interval: float = 10.0
    webhook_host: str = "127.0.0.1"
    webhook_port: int = 8787
    webhook_max_body: int = 1024 * 1024
    s3_hook_secret: str | None = None
    retry_delay: float = 5.0

    @classmethod
    def of(cls, project: Project) -> TriggerSettings:
        """The settings of ``project``'s ``daemon:`` section."""
        spec = project.settings.daemon
        return cls(
            settle=spec.settle.total_seconds(),
            s3_poll_interval=spec.s3_poll_interval.total_seconds(),
            webhook_host=spec.webhook_host,
            webhook_port=spec.webhook_port,
            webhook_max_body=spec.webhook_max_body,
            s3_hook_secret=spec.s3_hook_secret,
            retry_delay=spec.retry_delay.total_seconds(),
        )


def watchers_for(
    project: Project,
    store: MetaStore,
    *,
    clock: Clock | None = None,
    webhook_port: int | None = None,
    settings: TriggerSettings | None = None,
) -> list[Watcher]:
    """The watchers ``project``'s triggers need, not started; none for unused kinds.

    - ``schedule`` triggers → one :class:`ScheduleWatcher` for all of them.
    - ``files`` triggers → a :class:`LocalFilesWatcher` (local landing folder) or an
      :class:`S3FilesWatcher` (``s3://`` landing zone).
    - ``webhook`` triggers, or ``files`` triggers on ``s3://`` (for S3 event notifications
      at ``/hooks/s3``) → one :class:`WebhookServer`.

    Raises:
        TriggerConfigError: the webhook triggers contradict each other.
    """
    from sluiceway.ingest.files.landing import Landing
    from sluiceway.orchestrate.triggers.files import FileFilter, file_globs
    from sluiceway.orchestrate.triggers.files_local import LocalFilesWatcher
    from sluiceway.orchestrate.triggers.files_s3 import S3FilesWatcher
    from sluiceway.orchestrate.triggers.schedule import ScheduleWatcher, schedules_of
    from sluiceway.orchestrate.triggers.webhook import WebhookServer
    from sluiceway.orchestrate.triggers.webhook_routes import S3Route, webhook_routes

    settings = settings or TriggerSettings.of(project)
    clock = clock or SystemClock()
    watchers: list[Watcher] = []

    schedules = schedules_of(project)
    if schedules:
        watchers.append(
            ScheduleWatcher(store, schedules, clock=clock, retry_delay=settings.retry_delay)
        )

    globs = file_globs(project)
    s3_route: S3Route | None = None
    if globs:
        landing = Landing.for_project(project)
        if landing.is_local:
            watchers.append(
                LocalFilesWatcher(
                    store,
                    landing.root,
                    globs,
                    settle=settings.settle,
                    retry_delay=settings.retry_delay,
                )
            )
        else:
            watchers.append(
                S3FilesWatcher(
                    store,
                    landing.root,
                    globs,
                    access=landing.storage.s3,
                    interval=settings.s3_poll_interval,
                    clock=clock,
                    retry_delay=settings.retry_delay,
                )
            )
            s3_route = S3Route(landing.root, FileFilter(globs), settings.s3_hook_secret)

    routes = webhook_routes(project)
    if routes or s3_route is not None:
        watchers.append(
            WebhookServer(
                store,
                routes,
                s3=s3_route,
                host=settings.webhook_host,
                port=settings.webhook_port if webhook_port is None else webhook_port,
                max_body=settings.webhook_max_body,
            )
        )
    return watchers
