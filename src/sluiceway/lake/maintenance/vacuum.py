"""Vacuum: delete data files that no version within the retention period needs.

Files removed from a table (by overwrites, merges, deletes, optimize) stay in storage so
that readers of older versions and time travel keep working. Vacuum deletes those older
than the retention (7 days by default, as Delta's own safety check). A shorter retention
can break readers that are still on an old version and makes those versions impossible to
time travel to or restore, so it needs ``force=True``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sluiceway.errors import UsageError
from sluiceway.lake.errors import LakeError, clean_message
from sluiceway.lake.maintenance.common import EventSink, send

if TYPE_CHECKING:
    from deltalake import DeltaTable

DEFAULT_RETENTION = timedelta(days=7)


@dataclass(frozen=True)
class VacuumResult:
    """The files vacuum deleted, or would delete with ``dry_run``."""

    table: str
    files: list[str]
    retention: timedelta
    dry_run: bool = False

    @property
    def count(self) -> int:
        """How many files were (or would be) deleted."""
        return len(self.files)


def vacuum(
    table: DeltaTable,
    *,
    name: str,
    retention: timedelta = DEFAULT_RETENTION,
    force: bool = False,
    dry_run: bool = False,
    emit: EventSink | None = None,
) -> VacuumResult:
    """Delete files unreferenced for longer than ``retention``; emits ``table.vacuumed``.

    Raises:
        UsageError: ``retention`` is below 7 days and ``force`` was not given.
    """
    from sluiceway.events.types import TableVacuumed

    if retention < timedelta(0):
        raise UsageError("the retention of vacuum cannot be negative")
    if retention < DEFAULT_RETENTION and not force:
        raise UsageError(
            f"a retention of {_hours(retention)} h is below the 168 h safety limit",
            hint="versions older than it can no longer be read or restored; add --force "
            "if that is what you want",
        )
    try:
        files = table.vacuum(
            retention_hours=_hours(retention),
            dry_run=dry_run,
            enforce_retention_duration=not force,
        )
    except Exception as exc:
        raise LakeError(f"vacuum of {name} failed: {clean_message(exc)}") from exc
    result = VacuumResult(name, sorted(files), retention, dry_run=dry_run)
    if not dry_run:
        send(emit, TableVacuumed(table=name, files_deleted=result.count))
    return result


def _hours(retention: timedelta) -> int:
    # delta-rs takes whole hours; round up so a retention is never shortened by rounding.
    return -(-int(retention.total_seconds()) // 3600)
