"""Time as a dependency: the wall clock in production, a hand-driven one in tests.

Watchers never call ``datetime.now`` or ``time.sleep`` themselves, so a test can walk a
schedule across a DST change or a week of downtime in milliseconds. Waiting goes through
:meth:`Clock.wait`, which also returns as soon as the watcher is asked to stop: a plain
``sleep`` could not be interrupted, and ``stop()`` must return promptly.
"""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

_WAKE_POLL = 0.01  # seconds between looks at a stop event while a manual clock waits


class Clock(Protocol):
    """Where watchers get the time and wait for it to pass."""

    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block until ``seconds`` have passed on this clock."""
        ...

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """Block until ``seconds`` have passed or ``stop`` is set; True if it was set."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        """The current time in UTC."""
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        """``time.sleep`` (negative durations return at once)."""
        time.sleep(max(seconds, 0.0))

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """Wait on ``stop`` for up to ``seconds``."""
        return stop.wait(max(seconds, 0.0))


class ManualClock:
    """A clock that moves only when a test moves it.

    Threads that sleep or wait on it block until :meth:`advance` (or :meth:`set`) carries
    the time past their deadline. :meth:`wait_for_sleepers` lets a test wait until the
    watcher under test has finished reacting and is waiting again, so tests synchronise
    on the watcher's state rather than on real sleeps.
    """

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start time")
        self._now = start.astimezone(UTC)
        self._condition = threading.Condition()
        self._sleeping: dict[int, datetime] = {}  # token → deadline, until advanced past
        self._tokens = itertools.count()

    def now(self) -> datetime:
        """The clock's current time."""
        with self._condition:
            return self._now

    def sleep(self, seconds: float) -> None:
        """Block until the clock is advanced by at least ``seconds``."""
        self.wait(threading.Event(), seconds)

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """Block until the clock passes ``now + seconds`` or ``stop`` is set."""
        with self._condition:
            deadline = self._now + timedelta(seconds=max(seconds, 0.0))
            if deadline <= self._now:
                return stop.is_set()
            token = next(self._tokens)
            self._sleeping[token] = deadline
            self._condition.notify_all()
            try:
                while token in self._sleeping:
                    if stop.is_set():
                        return True
                    self._condition.wait(_WAKE_POLL)
            finally:
                self._sleeping.pop(token, None)
                self._condition.notify_all()
            return stop.is_set()

    def advance(self, delta: timedelta | float) -> datetime:
        """Move the clock forward by ``delta`` (seconds or a timedelta); returns the new time."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        with self._condition:
            return self._move(self._now + step)

    def set(self, moment: datetime) -> datetime:
        """Move the clock to ``moment`` (forward only)."""
        if moment.tzinfo is None:
            raise ValueError("ManualClock.set needs a timezone-aware time")
        with self._condition:
            return self._move(moment.astimezone(UTC))

    def wait_for_sleepers(self, count: int = 1, timeout: float = 10.0) -> None:
        """Block (in real time) until ``count`` threads are waiting on this clock.

        Raises:
            TimeoutError: fewer were waiting after ``timeout`` real seconds.
        """
        with self._condition:
            if not self._condition.wait_for(lambda: len(self._sleeping) >= count, timeout):
                raise TimeoutError(
                    f"{len(self._sleeping)} of {count} threads waiting on the clock "
                    f"after {timeout} s"
                )

    def _move(self, moment: datetime) -> datetime:
        if moment < self._now:
            raise ValueError("a ManualClock only moves forward")
        self._now = moment
        # Released sleepers leave the set now, not when their thread runs: a test that
        # then calls wait_for_sleepers() waits for them to come back, not for the past.
        for token, deadline in list(self._sleeping.items()):
            if deadline <= moment:
                del self._sleeping[token]
        self._condition.notify_all()
        return moment
