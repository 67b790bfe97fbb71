"""Trigger watchers: the clock, the landing zone and webhooks, turned into events.

Each watcher appends events (``schedule.tick``, ``file.arrived``, ``webhook.received``) to
the event log and nothing else; the dispatcher turns events into runs. The daemon uses
:func:`watchers_for` and the :class:`Watcher` protocol only. Watcher modules are imported
when :func:`watchers_for` runs, so importing this package stays cheap.
"""

from __future__ import annotations

from sluiceway.orchestrate.triggers.base import TriggerSettings, Watcher, watchers_for
from sluiceway.orchestrate.triggers.clock import Clock, ManualClock, SystemClock

__all__ = [
    "Clock",
    "ManualClock",
    "SystemClock",
    "TriggerSettings",
    "Watcher",
    "watchers_for",
]
