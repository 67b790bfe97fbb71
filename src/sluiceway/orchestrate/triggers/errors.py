"""Errors of the trigger watchers."""

from __future__ import annotations

from sluiceway.errors import TerminalError


class TriggerError(TerminalError):
    """A watcher cannot start as configured (nothing a retry would fix)."""


class TriggerConfigError(TriggerError):
    """The project's triggers contradict each other, e.g. one webhook name, two secrets."""


class NotificationError(TriggerError):
    """A request to ``/hooks/s3`` is not an S3 event notification."""
