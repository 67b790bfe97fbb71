"""The event log: typed events, durable appends, consumers with cursors, wake-ups.

Every state change in Sluiceway is an event (``table.committed``, ``run.failed``…) and
every subsystem that reacts to one is a consumer of this log. ``emit(store, event)`` is how
any command records a state change.
"""

from __future__ import annotations

from sluiceway.events import types  # registers the built-in event types
from sluiceway.events.base import Event, GenericEvent, event_class, registered_types
from sluiceway.events.consumer import Consumer
from sluiceway.events.log import EventLog, emit

__all__ = [
    "Consumer",
    "Event",
    "EventLog",
    "GenericEvent",
    "emit",
    "event_class",
    "registered_types",
    "types",
]
