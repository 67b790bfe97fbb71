"""Cron ticks in a time zone: DST changes follow cron's rules, catchup picks what is due."""

from __future__ import annotations

from datetime import UTC, datetime

from sluiceway.orchestrate.triggers.schedule import (
    Schedule,
    due_ticks,
    latest_tick,
    next_tick,
    ticks_between,
)

PARIS = "Europe/Paris"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def hours(ticks: list[datetime]) -> list[str]:
    return [t.strftime("%m-%d %H:%M") for t in ticks]


def test_a_daily_tick_keeps_its_local_hour_across_spring_forward() -> None:
    ticks = list(ticks_between("0 6 * * *", PARIS, utc(2026, 3, 27), utc(2026, 3, 31)))
    # 06:00 Paris is 05:00 UTC in winter and 04:00 UTC from 29 March.
    assert hours(ticks) == ["03-27 05:00", "03-28 05:00", "03-29 04:00", "03-30 04:00"]
    assert all(t.tzinfo is UTC for t in ticks)


def test_a_skipped_wall_clock_time_fires_when_the_clocks_jump() -> None:
    ticks = list(ticks_between("30 2 * * *", PARIS, utc(2026, 3, 28), utc(2026, 3, 30)))
    # 02:30 does not exist on 29 March in Paris: it fires at 03:00 CEST (01:00 UTC), once.
    assert hours(ticks) == ["03-28 01:30", "03-29 01:00"]


def test_a_fixed_hour_fires_once_when_autumn_repeats_it() -> None:
    ticks = list(ticks_between("30 2 * * *", PARIS, utc(2026, 10, 24), utc(2026, 10, 27)))
    # 02:30 happens twice on 25 October; a daily job runs at the first one only.
    assert hours(ticks) == ["10-24 00:30", "10-25 00:30", "10-26 01:30"]


def test_an_hourly_tick_fires_every_real_hour_across_autumn() -> None:
    ticks = list(ticks_between("0 * * * *", PARIS, utc(2026, 10, 24, 23, 30), utc(2026, 10, 25, 3)))
    assert hours(ticks) == ["10-25 00:00", "10-25 01:00", "10-25 02:00", "10-25 03:00"]


def test_bounds_exclude_the_start_and_include_the_end() -> None:
    ticks = list(ticks_between("0 6 * * *", "UTC", utc(2026, 1, 1, 6), utc(2026, 1, 2, 6)))
    assert ticks == [utc(2026, 1, 2, 6)]
    assert latest_tick("0 6 * * *", "UTC", utc(2026, 1, 2, 6)) == utc(2026, 1, 2, 6)
    assert latest_tick("0 6 * * *", "UTC", utc(2026, 1, 2, 5, 59)) == utc(2026, 1, 1, 6)
    assert next_tick("0 6 * * *", "UTC", utc(2026, 1, 2, 6)) == utc(2026, 1, 3, 6)


def test_latest_tick_skips_the_repeated_hour_too() -> None:
    after_both = utc(2026, 10, 25, 1, 45)  # after the second 02:30 in Paris
    assert latest_tick("30 2 * * *", PARIS, after_both) == utc(2026, 10, 25, 0, 30)


def test_catchup_returns_every_missed_tick_otherwise_only_the_latest() -> None:
    last, now = utc(2026, 1, 1, 6), utc(2026, 1, 4, 7)
    catchup = Schedule("p", "0 6 * * *", "UTC", catchup=True)
    assert due_ticks(catchup, last, now) == [utc(2026, 1, d, 6) for d in (2, 3, 4)]
    latest = Schedule("p", "0 6 * * *", "UTC", catchup=False)
    assert due_ticks(latest, last, now) == [utc(2026, 1, 4, 6)]
    assert due_ticks(latest, utc(2026, 1, 4, 6), now) == []


def test_a_year_of_downtime_without_catchup_is_cheap() -> None:
    every_minute = Schedule("p", "* * * * *", "UTC", catchup=False)
    assert due_ticks(every_minute, utc(2025, 1, 1), utc(2026, 1, 1, 0, 0, 30)) == [utc(2026, 1, 1)]


def test_macros_are_read_like_their_cron_expressions() -> None:
    assert next_tick("@daily", PARIS, utc(2026, 7, 1, 12)) == utc(2026, 7, 1, 22)
