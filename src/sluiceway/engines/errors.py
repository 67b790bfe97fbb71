"""Errors engines raise, in the platform's terms rather than the driver's."""

from __future__ import annotations

from sluiceway.errors import TerminalError, UsageError


class QueryError(UsageError):
    """The engine rejected the SQL (a binder or runtime error in the user's query)."""


class NotSupportedError(TerminalError):
    """The engine cannot run this faithfully (a construct it cannot translate, a table
    feature it cannot read); the message names the construct and what to do instead."""
