"""Sinks: consumers of the event log that send what happens to other systems.

A sink reads the log with its own durable cursor on its own thread, so a slow or absent
receiver never holds up a run, and a restarted sink resumes where it stopped. The daemon
starts the sinks a project configures the way it starts trigger watchers::

    sink = openlineage_sink(project, store)   # None when `openlineage:` is not set
    if sink is not None:
        sink.start()
    ...
    sink.stop()

``sluiceway run`` has no daemon; it sends what its run produced before it exits with
:func:`drain_openlineage`, bounded in time.
"""

from __future__ import annotations

from typing import Protocol

from sluiceway.events.sinks.openlineage import (
    DrainReport,
    OpenLineageSink,
    drain_openlineage,
    openlineage_sink,
)
from sluiceway.events.sinks.openlineage_delivery import RetryPolicy

__all__ = [
    "DrainReport",
    "OpenLineageSink",
    "RetryPolicy",
    "Sink",
    "drain_openlineage",
    "openlineage_sink",
]


class Sink(Protocol):
    """Something that consumes the event log on its own thread (the daemon's view)."""

    name: str

    def start(self) -> None:
        """Start consuming; returns at once."""
        ...

    def stop(self, timeout: float = 5.0) -> None:
        """Stop and join the thread (up to ``timeout`` s); idempotent."""
        ...
