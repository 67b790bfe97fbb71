"""The schedule watcher on a real event log, driven by a hand-moved clock.

Each test runs the watcher on its own thread, moves the clock, and waits until the watcher
is waiting on the clock again: then everything it had to append is in the log.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sluiceway.events.types import ScheduleTick
from sluiceway.orchestrate.triggers.clock import ManualClock
from sluiceway.orchestrate.triggers.schedule import Schedule, ScheduleWatcher
from support.triggers import events_of

PARIS = "Europe/Paris"
DAILY_PARIS = Schedule("orders", "0 6 * * *", PARIS)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def ticks(store) -> list[datetime]:
    found = events_of(store, "schedule.tick")
    assert all(isinstance(e, ScheduleTick) for e in found)
    return [e.scheduled_for for e in found]  # type: ignore[attr-defined]


@contextmanager
def running(store, clock: ManualClock, *schedules: Schedule) -> Iterator[ScheduleWatcher]:
    """A started watcher that has finished its first round; stopped on exit."""
    watcher = ScheduleWatcher(store, schedules, clock=clock)
    watcher.start()
    try:
        clock.wait_for_sleepers(1)
        yield watcher
    finally:
        watcher.stop()
        watcher.stop()  # idempotent
    assert not watcher.running


def advance(clock: ManualClock, delta: timedelta) -> None:
    clock.advance(delta)
    clock.wait_for_sleepers(1)


def test_ticks_follow_the_time_zone_across_a_dst_change(store) -> None:
    clock = ManualClock(utc(2026, 3, 27, 12))
    with running(store, clock, DAILY_PARIS):
        assert ticks(store) == []  # never ticked before: nothing to catch up
        for _ in range(4):
            advance(clock, timedelta(days=1))
    # 06:00 in Paris: 05:00 UTC before the change on 29 March, 04:00 UTC after it.
    assert ticks(store) == [
        utc(2026, 3, 28, 5),
        utc(2026, 3, 29, 4),
        utc(2026, 3, 30, 4),
        utc(2026, 3, 31, 4),
    ]
    [first, *_] = events_of(store, "schedule.tick")
    assert isinstance(first, ScheduleTick)
    assert (first.pipeline, first.schedule, first.timezone) == ("orders", "0 6 * * *", PARIS)


def test_the_watcher_sleeps_until_the_next_tick_not_a_fixed_period(store) -> None:
    clock = ManualClock(utc(2026, 1, 5, 5, 59))
    with running(store, clock, Schedule("orders", "0 6 * * *")) as watcher:
        assert watcher.next_due() == utc(2026, 1, 5, 6)
        advance(clock, timedelta(seconds=59))
        assert ticks(store) == []
        advance(clock, timedelta(seconds=1))
        assert ticks(store) == [utc(2026, 1, 5, 6)]


def test_catchup_appends_every_missed_tick_in_order_after_downtime(store) -> None:
    clock = ManualClock(utc(2026, 1, 5, 5))
    schedule = Schedule("orders", "0 6 * * *", catchup=True)
    with running(store, clock, schedule):
        advance(clock, timedelta(hours=2))
    assert ticks(store) == [utc(2026, 1, 5, 6)]
    clock.advance(timedelta(days=3, hours=1))  # down for three days
    with running(store, clock, schedule):
        pass
    assert ticks(store) == [utc(2026, 1, d, 6) for d in (5, 6, 7, 8)]


def test_without_catchup_only_the_latest_missed_tick_is_appended(store) -> None:
    clock = ManualClock(utc(2026, 1, 5, 5))
    schedule = Schedule("orders", "0 6 * * *", catchup=False)
    with running(store, clock, schedule):
        advance(clock, timedelta(hours=2))
    clock.advance(timedelta(days=3, hours=1))
    with running(store, clock, schedule):
        pass
    assert ticks(store) == [utc(2026, 1, 5, 6), utc(2026, 1, 8, 6)]


def test_a_restart_never_appends_a_tick_twice(store) -> None:
    clock = ManualClock(utc(2026, 1, 5, 5))
    schedule = Schedule("orders", "0 * * * *", catchup=True)
    with running(store, clock, schedule):
        advance(clock, timedelta(hours=2))
    with running(store, clock, schedule):  # same instant: the log says both ticks are done
        pass
    with running(store, clock, schedule):
        advance(clock, timedelta(hours=1))
    assert ticks(store) == [utc(2026, 1, 5, 6), utc(2026, 1, 5, 7), utc(2026, 1, 5, 8)]


def test_two_watchers_racing_on_one_store_append_each_tick_once(store) -> None:
    clock = ManualClock(utc(2026, 1, 5, 0, 30))
    schedule = Schedule("orders", "*/5 * * * *", catchup=True)
    first = ScheduleWatcher(store, [schedule], clock=clock)
    second = ScheduleWatcher(store, [schedule], clock=clock)
    first.run_once(), second.run_once()  # both start from "now"
    clock.advance(timedelta(hours=1))
    barrier = threading.Barrier(2)
    appended: list[int] = []

    def race(watcher: ScheduleWatcher) -> None:
        barrier.wait()
        appended.append(len(watcher.run_once()))

    threads = [threading.Thread(target=race, args=(w,)) for w in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(appended) == 12
    assert ticks(store) == [utc(2026, 1, 5, 0, 30) + timedelta(minutes=5 * n) for n in range(1, 13)]


def test_schedules_of_several_pipelines_tick_independently(store) -> None:
    clock = ManualClock(utc(2026, 1, 5, 5, 30))
    hourly = Schedule("refunds", "0 * * * *")
    with running(store, clock, Schedule("orders", "0 6 * * *"), hourly):
        advance(clock, timedelta(minutes=30))
        advance(clock, timedelta(hours=1))
    found = [(e.pipeline, e.scheduled_for) for e in events_of(store, "schedule.tick")]  # type: ignore[attr-defined]
    assert sorted(found) == [
        ("orders", utc(2026, 1, 5, 6)),
        ("refunds", utc(2026, 1, 5, 6)),
        ("refunds", utc(2026, 1, 5, 7)),
    ]
