"""What an export pass did, per table: for the CLI, the daemon's log and tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class TableExport:
    """One system table's part of a pass.

    Attributes:
        rows: rows appended (``append`` tables) or inserted/updated (``merge`` tables).
        commits: Delta commits made (a large backlog is committed in pages).
        version: the table's version after the pass's last commit (None: no commit).
        raced: another exporter committed the same batch first; its rows are there, and
            this pass stopped for the table (the next one carries on).
        error: why the table could not be exported (the other tables still were).
    """

    table: str
    rows: int = 0
    commits: int = 0
    version: int | None = None
    raced: bool = False
    error: str | None = None
    exception: BaseException | None = field(default=None, repr=False, compare=False)


@dataclass
class ExportReport:
    """One pass over the system tables."""

    export_id: str
    started_at: datetime
    duration_s: float = 0.0
    tables: list[TableExport] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """Rows written over every table."""
        return sum(t.rows for t in self.tables)

    @property
    def errors(self) -> list[TableExport]:
        """The tables that failed."""
        return [t for t in self.tables if t.error is not None]

    @property
    def ok(self) -> bool:
        """Whether every table was exported."""
        return not self.errors

    def table(self, name: str) -> TableExport:
        """The part of the pass for ``_system.<name>`` (or ``<name>``)."""
        qualified = name if "." in name else f"_system.{name}"
        for export in self.tables:
            if export.table == qualified:
                return export
        raise KeyError(qualified)
