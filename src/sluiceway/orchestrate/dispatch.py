"""The dispatcher: trigger events in, queued runs out — each event starting a run at most once.

It is a durable consumer of the event log (its cursor survives restarts), so an event
appended while the daemon was down is still acted on, and one handled twice after a crash
finds its run already queued under the same dedup key:

* ``file.arrived`` queues the pipelines whose ``files`` trigger glob matches the file —
  unless one is already queued and not started: it will load this file too;
* ``schedule.tick`` queues its pipeline, once per tick;
* ``webhook.received`` queues the pipelines whose ``webhook`` trigger has that name, with
  the body's ``params`` as run parameters;
* ``table.committed`` queues the pipelines whose ``tables`` trigger lists the table (not
  the pipeline that committed it), to start after the trigger's ``debounce``: a commit
  arriving while that run still waits pushes its start back, so a burst of commits makes
  one run.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sluiceway.ingest.files.landing import matches

if TYPE_CHECKING:
    from sluiceway.events.base import Event
    from sluiceway.meta.runs import Run
    from sluiceway.meta.store import MetaStore
    from sluiceway.spec.project import Project

log = logging.getLogger(__name__)

CONSUMER = "dispatcher"
EVENTS = ("file.arrived", "schedule.tick", "webhook.received", "table.committed")
MAX_DEBOUNCE_FACTOR = 10
"""A burst can push a debounced run back up to this many debounce windows, no further."""


class Dispatcher:
    """Turns trigger events into queued runs of the project's pipelines."""

    def __init__(self, project: Project, store: MetaStore) -> None:
        self.project = project
        self.store = store
        self._landing_root: str | None = None

    def handle(self, event: Event) -> None:
        """Queue what ``event`` triggers (idempotent: dedup keys per event)."""
        handler = {
            "file.arrived": self._file,
            "schedule.tick": self._tick,
            "webhook.received": self._webhook,
            "table.committed": self._commit,
        }.get(event.type)
        if handler is not None:
            handler(event)

    def _file(self, event: Any) -> None:
        path = self._relative(event.uri)
        if path is None:
            return
        for pipeline in self.project.pipelines.values():
            if not any(t.type == "files" and matches(path, t.glob) for t in pipeline.on):
                continue
            if self._waiting(pipeline.name, "files"):
                continue  # a queued run will list the landing zone and load this file too
            self._queue(
                pipeline.name,
                {"kind": "files", "event_id": event.id, "uri": event.uri},
                dedup=f"files:{pipeline.name}:{event.id}",
            )

    def _tick(self, event: Any) -> None:
        pipeline = event.pipeline
        if pipeline not in self.project.pipelines:
            return
        when = event.scheduled_for.isoformat()
        self._queue(
            pipeline,
            {"kind": "schedule", "event_id": event.id, "cron": event.schedule, "tick": when},
            dedup=f"schedule:{pipeline}:{event.schedule}:{when}",
        )

    def _webhook(self, event: Any) -> None:
        params = event.body.get("params") if isinstance(event.body, dict) else None
        for pipeline in self.project.pipelines.values():
            if not any(t.type == "webhook" and t.name == event.source for t in pipeline.on):
                continue
            self._queue(
                pipeline.name,
                {"kind": "webhook", "event_id": event.id, "hook": event.source},
                dedup=f"webhook:{pipeline.name}:{event.id}",
                params=params if isinstance(params, dict) else None,
            )

    def _commit(self, event: Any) -> None:
        from sluiceway.meta.models import utcnow
        from sluiceway.meta.runs import RunRepo

        table = event.table
        for pipeline in self.project.pipelines.values():
            if pipeline.name == event.pipeline:
                continue  # its own commit never triggers it again
            windows = [t.debounce for t in pipeline.on if t.type == "tables" and table in t.tables]
            if not windows:
                continue
            debounce = max(windows)
            start = utcnow() + debounce
            waiting = self._waiting(pipeline.name, "tables")
            if waiting is not None:
                first = waiting.queued_at + debounce * MAX_DEBOUNCE_FACTOR
                if debounce > timedelta(0):
                    RunRepo(self.store).postpone(waiting.id, min(start, first))
                continue
            self._queue(
                pipeline.name,
                {"kind": "tables", "event_id": event.id, "table": table},
                dedup=f"tables:{pipeline.name}:{event.id}",
                not_before=start if debounce > timedelta(0) else None,
            )

    def _waiting(self, pipeline: str, kind: str) -> Run | None:
        """A run of ``pipeline`` queued by a ``kind`` trigger that has not started yet."""
        from sluiceway.meta.runs import RunRepo

        queued = RunRepo(self.store).recent(pipeline=pipeline, status=["queued"], limit=20)
        return next((r for r in queued if r.trigger.get("kind") == kind), None)

    def _queue(
        self,
        pipeline: str,
        trigger: dict[str, Any],
        *,
        dedup: str,
        params: dict[str, Any] | None = None,
        not_before: Any = None,
    ) -> None:
        from sluiceway.events import emit
        from sluiceway.events.types import RunQueued
        from sluiceway.meta.runs import RunRepo
        from sluiceway.orchestrate.runner import writes_of

        runs = RunRepo(self.store)
        if runs.by_dedup_key(dedup) is not None:
            return  # this event was handled before a crash
        run = runs.create(
            pipeline,
            self.project.env,
            trigger=trigger,
            params=params,
            not_before=not_before,
            dedup_key=dedup,
            writes=writes_of(self.project.pipelines[pipeline]),
        )
        emit(
            self.store,
            RunQueued(run_id=run.id, pipeline=pipeline, trigger=trigger, params=params or {}),
        )
        log.info("queued run %s of %s (%s)", run.id, pipeline, trigger["kind"])

    def _relative(self, uri: str) -> str | None:
        """``uri`` relative to the landing root, or None when it lies outside it."""
        if self._landing_root is None:
            from sluiceway.ingest.files.landing import Landing

            self._landing_root = Landing.for_project(self.project).root
        root = self._landing_root.removeprefix("file://").rstrip("/")
        path = uri.removeprefix("file://")
        if not path.startswith(root + "/"):
            return None
        return path[len(root) + 1 :]
