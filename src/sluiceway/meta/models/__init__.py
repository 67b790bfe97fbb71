"""The metadata store's tables as SQLAlchemy 2 typed ORM models.

The schema is owned by the Alembic migrations in ``meta/migrations/versions``; these models
must describe exactly the same tables (a test compares them with Alembic's autogenerate).
All timestamps are timezone-aware UTC; JSON columns use the portable ``sqlalchemy.JSON``.
"""

from __future__ import annotations

from sluiceway.meta.models.alerts import AlertNotificationRow, AlertRow
from sluiceway.meta.models.base import Base, UtcDateTime, utcnow
from sluiceway.meta.models.catalog import SchemaVersionRow, TableColumnRow, TableRow
from sluiceway.meta.models.events import EventCursorRow, EventRow
from sluiceway.meta.models.lineage import LineageEdgeRow
from sluiceway.meta.models.profiles import ProfileRow
from sluiceway.meta.models.records import CheckResultRow, FileLedgerRow, MetricPointRow
from sluiceway.meta.models.runs import RunRow, StepRunRow

__all__ = [
    "AlertNotificationRow",
    "AlertRow",
    "Base",
    "CheckResultRow",
    "EventCursorRow",
    "EventRow",
    "FileLedgerRow",
    "LineageEdgeRow",
    "MetricPointRow",
    "ProfileRow",
    "RunRow",
    "SchemaVersionRow",
    "StepRunRow",
    "TableColumnRow",
    "TableRow",
    "UtcDateTime",
    "utcnow",
]
