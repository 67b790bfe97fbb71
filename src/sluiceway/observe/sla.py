"""The SLA watchdog: judges every table's SLA on a clock, whether or not anything runs.

A table nobody updates is exactly the one whose SLA matters, so the watchdog does not wait
for runs or commits: every ``sla_interval`` (30 s), and at the instant the next SLA falls
due, it reads each table's last commit from the event log, judges its SLA
(:func:`~sluiceway.observe.sla_eval.evaluate`) and appends what changed:

- ``sla.missed`` when a table's SLA is missed and no breach of it is open;
- ``sla.recovered`` when the SLA is met again (or no longer declared) while one is open.

The state lives in the event log, nowhere else: a table's latest ``sla.missed`` /
``sla.recovered`` says whether a breach is open. Each transition is appended under the
deduplication key ``sla:<env>:<table>:after:<id of the previous SLA event>``, so every SLA
event has at most one successor. A restarted watchdog, or two daemons racing on one
metadata store, therefore append one ``sla.missed`` per breach and one ``sla.recovered``
per recovery: the loser of a race finds its key taken and appends nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sluiceway.events import emit
from sluiceway.events.types import SlaMissed, SlaRecovered
from sluiceway.observe.log_view import LogView, SlaMark
from sluiceway.observe.sla_eval import SlaStatus, describe, evaluate
from sluiceway.orchestrate.triggers.clock import Clock, SystemClock
from sluiceway.orchestrate.triggers.thread import LoopWatcher

if TYPE_CHECKING:
    from sluiceway.events.base import Event
    from sluiceway.meta.store import MetaStore
    from sluiceway.spec.project import Project
    from sluiceway.spec.tables import Sla

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 30.0
"""Seconds between rounds when no SLA falls due sooner."""

ProjectSource = Callable[[], "Project"]
"""Where the current project comes from: the daemon reloads it when its files change."""


@dataclass(frozen=True, slots=True)
class SlaTarget:
    """A table with an SLA, and the pipeline that declares (and writes) it."""

    table: str
    pipeline: str
    sla: Sla

    @property
    def description(self) -> str:
        """The SLA as people write it (``fresh_within 2h``)."""
        return describe(self.sla)


@dataclass(frozen=True, slots=True)
class SlaState:
    """One table's SLA at one instant, with what the log says about it."""

    target: SlaTarget
    status: SlaStatus
    last_commit: datetime | None
    mark: SlaMark | None
    """The table's latest ``sla.missed`` / ``sla.recovered`` (None: never breached)."""

    @property
    def breach_open(self) -> bool:
        """Whether the log records a breach that has not recovered yet."""
        return self.mark is not None and self.mark.open


def sla_targets(project: Project) -> list[SlaTarget]:
    """Every table of ``project`` that declares an SLA, by name.

    A view is left out: it stores nothing, so it is exactly as fresh as the tables it
    reads, and those are where an SLA belongs.
    """
    from sluiceway.spec.materializations import View

    views = {
        table
        for table, (_, step) in project.tables_written().items()
        if isinstance(getattr(step, "materialization", None), View)
    }
    found: dict[str, SlaTarget] = {}
    for pipeline in project.pipelines.values():
        for table, meta in pipeline.tables.items():
            if meta.sla is not None and table not in found and table not in views:
                found[table] = SlaTarget(table, pipeline.name, meta.sla)
    return [found[name] for name in sorted(found)]


def sla_states(project: Project, view: LogView, now: datetime) -> list[SlaState]:
    """Each SLA of ``project`` judged at ``now`` from ``view`` (refreshed by the caller)."""
    return [
        SlaState(
            target,
            evaluate(target.sla, view.last_commit(target.table), now, target.table),
            view.last_commit(target.table),
            view.sla_mark(target.table),
        )
        for target in sla_targets(project)
    ]


def sla_report(project: Project, store: MetaStore, now: datetime) -> list[SlaState]:
    """Each SLA of ``project`` judged at ``now``, read fresh from the log (for commands)."""
    view = LogView(store, project.env)
    view.refresh()
    return sla_states(project, view, now)


def dedup_key(env: str, table: str, previous: SlaMark | None) -> str:
    """The key of the SLA event that follows ``previous`` (None: the table's first)."""
    return f"sla:{env}:{table}:after:{previous.id if previous else 0}"


class SlaWatchdog(LoopWatcher):
    """Appends ``sla.missed`` and ``sla.recovered`` as tables' SLAs change state.

    Args:
        project: the project, or a callable returning the current one (the daemon's
            ``current_project``, so edited SLAs apply without a restart).
        store: the metadata store whose event log is read and appended to.
        clock: where time comes from (tests move a manual clock).
        interval: seconds between rounds when no SLA falls due sooner.
        retry_delay: seconds to wait after a failed round (the store restarting).
    """

    name = "sla"

    def __init__(
        self,
        project: Project | ProjectSource,
        store: MetaStore,
        *,
        clock: Clock | None = None,
        interval: float = DEFAULT_INTERVAL,
        retry_delay: float = 5.0,
    ) -> None:
        super().__init__(clock=clock or SystemClock(), retry_delay=retry_delay)
        if interval <= 0:
            raise ValueError("the SLA interval must be positive")
        self._project: ProjectSource = project if callable(project) else (lambda: project)
        self.store = store
        self.interval = interval
        self._view: LogView | None = None
        self._next_due: datetime | None = None

    def check(self) -> list[Event]:
        """One round: judge every SLA now and append the transitions; returns them."""
        project = self._project()
        if self._view is None or self._view.env != project.env:
            self._view = LogView(self.store, project.env)
        view = self._view
        view.refresh()
        now = self.clock.now()
        states = sla_states(project, view, now)
        appended: list[Event] = []
        for state in states:
            event = self._transition(state, project.env, now)
            if event is not None:
                appended.append(event)
        declared = {s.target.table for s in states}
        for table in view.marked_tables():
            mark = view.sla_mark(table)
            if table not in declared and mark is not None and mark.open:
                event = self._append(
                    _undeclared(table, mark, project.env, view.last_commit(table), now),
                    dedup_key(project.env, table, mark),
                )
                if event is not None:
                    appended.append(event)
        self._next_due = min(
            (s.status.next_check for s in states if s.status.next_check is not None),
            default=None,
        )
        return appended

    def _step(self) -> float:
        self.check()
        wait = self.interval
        if self._next_due is not None:
            wait = min(wait, max((self._next_due - self.clock.now()).total_seconds(), 0.0))
        return wait

    def _transition(self, state: SlaState, env: str, now: datetime) -> Event | None:
        target, status, mark = state.target, state.status, state.mark
        if not status.met and not state.breach_open:
            missed = SlaMissed(
                time=now,
                table=target.table,
                pipeline=target.pipeline,
                sla=target.description,
                expected_by=status.expected_by,
                detail=status.detail,
                env=env,
                last_commit=state.last_commit,
            )
            return self._append(missed, dedup_key(env, target.table, mark))
        if status.met and state.breach_open:
            assert mark is not None
            recovered = SlaRecovered(
                time=now,
                table=target.table,
                pipeline=target.pipeline,
                sla=mark.sla or target.description,
                env=env,
                missed_id=mark.id,
                last_commit=state.last_commit,
                detail=status.detail,
            )
            return self._append(recovered, dedup_key(env, target.table, mark))
        return None

    def _append(self, event: Event, key: str) -> Event | None:
        stored = emit(self.store, event, dedup_key=key)
        if stored is not None:
            log.info("%s %s: %s", event.type, event.table, getattr(event, "detail", ""))
        return stored


def sla_watchdog(
    project: Project | ProjectSource,
    store: MetaStore,
    *,
    clock: Clock | None = None,
    interval: float | None = None,
) -> SlaWatchdog:
    """The daemon's SLA watchdog, not started; ``interval`` defaults to ``daemon.sla_interval``."""
    current = project() if callable(project) else project
    seconds = (
        interval if interval is not None else current.settings.daemon.sla_interval.total_seconds()
    )
    return SlaWatchdog(
        project,
        store,
        clock=clock,
        interval=seconds,
        retry_delay=current.settings.daemon.retry_delay.total_seconds(),
    )


def _undeclared(
    table: str, mark: SlaMark, env: str, last_commit: datetime | None, now: datetime
) -> SlaRecovered:
    """Closes a breach whose SLA the project no longer declares: nobody watches it now."""
    return SlaRecovered(
        time=now,
        table=table,
        sla=mark.sla,
        env=env,
        missed_id=mark.id,
        last_commit=last_commit,
        detail=f"{table} no longer declares an SLA: its open breach is closed",
    )
