"""The hand-driven clock tests use to walk schedules through time without sleeping."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from sluiceway.orchestrate.triggers.clock import ManualClock, SystemClock

START = datetime(2026, 3, 1, tzinfo=UTC)


def test_a_waiter_wakes_only_when_the_clock_passes_its_deadline() -> None:
    clock = ManualClock(START)
    woke = threading.Event()
    thread = threading.Thread(target=lambda: (clock.sleep(60), woke.set()))
    thread.start()
    clock.wait_for_sleepers(1)
    clock.advance(59)
    assert not woke.wait(0.05)
    clock.advance(timedelta(seconds=1))
    assert woke.wait(2)
    thread.join(2)
    assert clock.now() == START + timedelta(minutes=1)


def test_a_stop_event_interrupts_a_wait() -> None:
    clock = ManualClock(START)
    stop = threading.Event()
    result: list[bool] = []
    thread = threading.Thread(target=lambda: result.append(clock.wait(stop, 3600)))
    thread.start()
    clock.wait_for_sleepers(1)
    stop.set()
    thread.join(2)
    assert result == [True]


def test_wait_for_sleepers_waits_for_the_waiter_to_come_back() -> None:
    """After an advance, a released waiter no longer counts until it waits again."""
    clock = ManualClock(START)
    stop = threading.Event()
    rounds: list[datetime] = []

    def loop() -> None:
        while not clock.wait(stop, 10):
            rounds.append(clock.now())

    thread = threading.Thread(target=loop)
    thread.start()
    clock.wait_for_sleepers(1)
    clock.advance(10)
    clock.wait_for_sleepers(1)
    assert rounds == [START + timedelta(seconds=10)]
    stop.set()
    thread.join(2)


def test_the_clock_refuses_naive_times_and_going_back() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(datetime(2026, 1, 1))
    clock = ManualClock(START)
    with pytest.raises(ValueError, match="forward"):
        clock.set(START - timedelta(seconds=1))
    with pytest.raises(TimeoutError):
        clock.wait_for_sleepers(1, timeout=0.01)


def test_the_system_clock_is_aware_utc_and_its_wait_is_interruptible() -> None:
    clock = SystemClock()
    assert clock.now().tzinfo is UTC
    stop = threading.Event()
    stop.set()
    assert clock.wait(stop, 60) is True
