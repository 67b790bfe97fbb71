"""Errors of the event log and its consumers."""

from __future__ import annotations

from sluiceway.errors import SluicewayError


class EventsError(SluicewayError):
    """Base class of the event log's errors."""


class HandlerFailedError(EventsError):
    """A consumer's handler raised; the consumer stopped before the failing event.

    Attributes:
        consumer: the consumer's name.
        event_id: the event the handler failed on (the cursor is before it).
    """

    def __init__(self, consumer: str, event_id: int, cause: BaseException) -> None:
        super().__init__(
            f"consumer {consumer!r} failed on event {event_id}: {cause}",
            hint="fix the handler and restart the consumer: it resumes at this event",
        )
        self.consumer = consumer
        self.event_id = event_id
