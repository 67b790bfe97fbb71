"""Errors of the lake, translated from delta-rs at the edge (ANSI colours stripped)."""

from __future__ import annotations

import re

from sluiceway.errors import TerminalError, TransientError

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class LakeError(TerminalError):
    """A table operation failed in a way retrying will not fix."""


class TableNotFoundError(LakeError):
    """The table has never been committed at this location."""


class SchemaPolicyError(LakeError):
    """The new data's schema breaks the table's schema policy; nothing was written."""


class VersionUnavailableError(LakeError):
    """A table version cannot be read or restored (never existed, or its files were vacuumed)."""


class CommitConflictError(TransientError):
    """A concurrent writer committed first and the retries ran out."""


def clean_message(exc: BaseException) -> str:
    """A delta-rs error message without its terminal colour codes."""
    return _ANSI.sub("", str(exc)).strip()
