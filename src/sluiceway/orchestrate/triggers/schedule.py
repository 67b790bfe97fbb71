"""Cron schedules: append a ``schedule.tick`` for every tick, exactly once, across restarts.

Ticks are computed with croniter in the trigger's IANA time zone, so ``0 6 * * *`` in
``Europe/Paris`` fires at 06:00 Paris time in winter and in summer. Around DST changes the
watcher follows cron's long-standing rule: a wall-clock time skipped in spring fires when the
clocks jump (02:30 → 03:00), and in autumn a job with a fixed hour fires once, while a job
whose hour is ``*`` fires in both repeated hours (it is about elapsed time, not the clock).

The watcher keeps no state of its own: the last ``schedule.tick`` in the event log for a
pipeline and cron expression is where it resumes. After downtime it appends every missed
tick in order (``catchup: true``) or only the latest one (``catchup: false``). Each tick is
appended with a deduplication key (pipeline, cron, instant), so a restart, or two watchers
racing on the same store, can never append the same tick twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from croniter import croniter

from sluiceway.events import EventLog, emit
from sluiceway.events.types import ScheduleTick
from sluiceway.orchestrate.triggers.thread import DEFAULT_RETRY_DELAY, LoopWatcher
from sluiceway.spec.triggers import ScheduleTrigger

if TYPE_CHECKING:
    from sluiceway.meta.store import MetaStore
    from sluiceway.orchestrate.triggers.clock import Clock
    from sluiceway.spec.project import Project

log = logging.getLogger(__name__)

MAX_WAIT = 60.0
"""Longest wait between looks at the clock: a wall clock stepped by NTP or a suspended
laptop is noticed within a minute, not at a deadline computed before the jump."""

_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_PAGE = 100


@dataclass(frozen=True)
class Schedule:
    """One ``schedule`` trigger of one pipeline."""

    pipeline: str
    cron: str
    timezone: str = "UTC"
    catchup: bool = False


def schedules_of(project: Project) -> list[Schedule]:
    """Every schedule trigger in ``project``, in pipeline order, without duplicates."""
    found: dict[tuple[str, str], Schedule] = {}
    for pipeline in project.pipelines.values():
        for trigger in pipeline.on:
            if isinstance(trigger, ScheduleTrigger):
                schedule = Schedule(pipeline.name, trigger.cron, trigger.timezone, trigger.catchup)
                found.setdefault((schedule.pipeline, schedule.cron), schedule)
    return list(found.values())


def tick_key(pipeline: str, cron: str, scheduled_for: datetime) -> str:
    """The deduplication key of one tick: the same in every process and after restarts."""
    return f"schedule.tick:{pipeline}:{cron}:{scheduled_for.astimezone(UTC).isoformat()}"


def ticks_between(cron: str, timezone: str, after: datetime, until: datetime) -> Iterator[datetime]:
    """Ticks ``t`` with ``after < t <= until``, in order, as aware UTC datetimes."""
    tz = ZoneInfo(timezone)
    fixed_hour = _fixed_hour(cron)
    ticks = croniter(_expand(cron), after.astimezone(tz))
    while True:
        tick = ticks.get_next(datetime)
        if tick > until:
            return
        if tick > after and not (fixed_hour and _repeated_hour(tick, tz)):
            yield tick.astimezone(UTC)


def latest_tick(cron: str, timezone: str, until: datetime) -> datetime:
    """The last tick at or before ``until``, as an aware UTC datetime."""
    tz = ZoneInfo(timezone)
    fixed_hour = _fixed_hour(cron)
    # croniter's get_prev is strictly before its start: start one second late so a tick
    # falling exactly on ``until`` counts.
    start = until.astimezone(tz).timestamp() + 1
    ticks = croniter(_expand(cron), datetime.fromtimestamp(start, tz))
    while True:
        tick = ticks.get_prev(datetime)
        if tick <= until and not (fixed_hour and _repeated_hour(tick, tz)):
            return tick.astimezone(UTC)


def next_tick(cron: str, timezone: str, after: datetime) -> datetime:
    """The first tick strictly after ``after``, as an aware UTC datetime."""
    tz = ZoneInfo(timezone)
    fixed_hour = _fixed_hour(cron)
    ticks = croniter(_expand(cron), after.astimezone(tz))
    while True:
        tick = ticks.get_next(datetime)
        if tick > after and not (fixed_hour and _repeated_hour(tick, tz)):
            return tick.astimezone(UTC)


def due_ticks(schedule: Schedule, last: datetime, now: datetime) -> list[datetime]:
    """The ticks to append at ``now`` when ``last`` was the last one appended.

    Every tick since ``last`` with catchup; otherwise only the latest (computed directly,
    so a year of downtime on a per-minute schedule costs nothing).
    """
    if schedule.catchup:
        return list(ticks_between(schedule.cron, schedule.timezone, last, now))
    latest = latest_tick(schedule.cron, schedule.timezone, now)
    return [latest] if latest > last else []


def _expand(cron: str) -> str:
    return _MACROS.get(cron.strip().lower(), cron)


def _fixed_hour(cron: str) -> bool:
    """True unless the hour field starts with ``*`` (cron's own test for "wildcard")."""
    fields = _expand(cron).split()
    return len(fields) > 1 and not fields[1].startswith("*")


def _repeated_hour(tick: datetime, tz: ZoneInfo) -> bool:
    """True for the second occurrence of a wall-clock time that autumn's DST change repeats."""
    naive = tick.replace(tzinfo=None)
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return False
    exists_twice = all(
        d.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive for d in (first, second)
    )
    return exists_twice and tick.utcoffset() == second.utcoffset()


class ScheduleWatcher(LoopWatcher):
    """Appends ``schedule.tick`` events for every schedule of a project, on one thread."""

    name = "schedule"

    def __init__(
        self,
        store: MetaStore,
        schedules: Sequence[Schedule],
        *,
        clock: Clock | None = None,
        retry_delay: float = DEFAULT_RETRY_DELAY,
    ) -> None:
        super().__init__(clock=clock, retry_delay=retry_delay)
        self.store = store
        self.schedules = list(schedules)
        self._last: dict[Schedule, datetime] = {}

    def run_once(self) -> list[ScheduleTick]:
        """Append the ticks due now; returns those this call appended (not duplicates)."""
        now = self.clock.now()
        appended: list[ScheduleTick] = []
        for schedule in self.schedules:
            last = self._last.get(schedule)
            if last is None:
                # Never ticked: start from now, there is no history to catch up from.
                last = self._last[schedule] = self._last_in_log(schedule) or now
            for tick in due_ticks(schedule, last, now):
                if self.stopping:
                    return appended
                event = ScheduleTick(
                    pipeline=schedule.pipeline,
                    schedule=schedule.cron,
                    scheduled_for=tick,
                    timezone=schedule.timezone,
                    time=now,
                )
                stored = emit(
                    self.store, event, dedup_key=tick_key(schedule.pipeline, schedule.cron, tick)
                )
                if stored is not None:
                    appended.append(stored)
                    log.info("schedule tick %s %r at %s", schedule.pipeline, schedule.cron, tick)
                self._last[schedule] = tick
        return appended

    def next_due(self) -> datetime | None:
        """When the earliest schedule ticks next (None without schedules)."""
        now = self.clock.now()
        upcoming = [
            next_tick(s.cron, s.timezone, max(self._last.get(s, now), now)) for s in self.schedules
        ]
        return min(upcoming, default=None)

    def _step(self) -> float:
        self.run_once()
        due = self.next_due()
        if due is None:
            return MAX_WAIT
        return min(MAX_WAIT, max((due - self.clock.now()).total_seconds(), 0.0))

    def _last_in_log(self, schedule: Schedule) -> datetime | None:
        """The instant of the last tick appended for this pipeline and cron, if any."""
        events = EventLog(self.store)
        before: int | None = None
        while True:
            page = events.newest(
                ["schedule.tick"], pipeline=schedule.pipeline, before_id=before, limit=_PAGE
            )
            for event in page:
                if isinstance(event, ScheduleTick) and event.schedule == schedule.cron:
                    return event.scheduled_for
            if len(page) < _PAGE:
                return None
            before = min(e.id for e in page if e.id is not None)
