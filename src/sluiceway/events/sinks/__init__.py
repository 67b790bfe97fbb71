"""Sinks: consumers of the event log that send what happens to other systems.

A sink reads the log with its own durable cursor on its own thread, so a slow or absent
receiver never holds up a run, and a restarted sink resumes where it stopped. The daemon
starts the sinks a project configures with its other monitoring services
(:mod:`sluiceway.observe.services`)::

    sink = openlineage_sink(project, store)   # None when `openlineage:` is not set
    if sink is not None:
        sink.start()
    ...
    sink.stop()

``sluiceway run`` has no daemon; it sends what its run produced before it exits with
:func:`drain_openlineage`, bounded in time.
"""

from __future__ import annotations

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
    "drain_openlineage",
    "openlineage_sink",
]
