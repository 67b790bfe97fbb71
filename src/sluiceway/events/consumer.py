"""Consumers: handle the log in id order, remembering progress in a durable cursor.

Delivery is at-least-once. The cursor moves only after a batch has been handled (and the
optional ``before_commit`` hook has made the handler's effects durable), so a consumer
that crashes mid-batch sees that batch again when it restarts. Handlers must therefore be
idempotent: recording "I handled event 42" twice must do no harm. Order is preserved: a
consumer never handles an event before every lower id it is interested in.

One consumer name should run in one process at a time; two processes sharing a name would
both handle every event (the cursor only moves forward, so no progress is lost).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from sluiceway.events.errors import HandlerFailedError
from sluiceway.events.notify import Subscription

if TYPE_CHECKING:
    from sluiceway.events.base import Event
    from sluiceway.events.log import EventLog

Handler = Callable[["Event"], None]

IDLE_WAIT = 0.25  # seconds between checks of the stop flag while idle


class Consumer:
    """A named, durable reader of the event log.

    Args:
        log: the event log.
        name: the cursor's name; unique per purpose (``"triggers"``, ``"openlineage"``).
        handler: called once per event, in id order; must be idempotent.
        batch_size: events read (and handled between cursor moves) at a time.
        types: only these event types are delivered; ``None`` for all.
        before_commit: called after a batch is handled and before the cursor moves, to
            flush whatever the handler buffered.
    """

    def __init__(
        self,
        log: EventLog,
        name: str,
        handler: Handler,
        *,
        batch_size: int = 100,
        types: Iterable[str] | None = None,
        before_commit: Callable[[], None] | None = None,
    ) -> None:
        self.log = log
        self.name = name
        self.handler = handler
        self.batch_size = batch_size
        self.types = None if types is None else sorted(set(types))
        self.before_commit = before_commit
        self._position: int | None = None

    @property
    def position(self) -> int:
        """The id of the last event handled (from the durable cursor)."""
        if self._position is None:
            self._position = self.log.store.events.cursor(self.name)
        return self._position

    def poll(self) -> int:
        """Handle one batch of events after the cursor; returns how many were handled.

        Raises:
            HandlerFailedError: the handler raised. Events handled before the failing one
                are committed; the cursor stops just before it.
        """
        events = self.log.read(self.position, self.types, self.batch_size)
        handled = 0
        for event in events:
            try:
                self.handler(event)
            except Exception as exc:
                if handled:
                    self._commit(_id(events[handled - 1]))
                raise HandlerFailedError(self.name, _id(event), exc) from exc
            handled += 1
        if events:
            self._commit(_id(events[-1]))
        return handled

    def run_until_idle(self) -> int:
        """Handle events until none are left; returns how many were handled."""
        total = 0
        while count := self.poll():
            total += count
        return total

    def run_forever(self, stop_event: threading.Event) -> None:
        """Handle events as they arrive until ``stop_event`` is set.

        Sleeps between events on the store's wake-ups (in-process announcements, and
        LISTEN/NOTIFY or polling for other processes' appends).
        """
        with Subscription(self.log.store) as subscription:
            while not stop_event.is_set():
                latest = self.log.latest_id()
                if self.poll():
                    continue
                subscription.wait(max(latest, self.position), IDLE_WAIT)

    def _commit(self, position: int) -> None:
        if self.before_commit is not None:
            self.before_commit()
        self.log.store.events.advance_cursor(self.name, position)
        self._position = position


def _id(event: Event) -> int:
    if event.id is None:  # events read from the log always have one
        raise ValueError(f"event {event.type} has no id")
    return event.id
