"""Observation tables: the file ledger, check results and metric points.

These are written once per observation and read by time or by subject; none of them is
joined by foreign key to ``runs`` because a standalone audit or a file seen before any run
exists still has to be recorded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Float,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from sluiceway.meta.models.base import CHECK_STATUSES, FILE_STATUSES, Base, BigId, in_list


class FileLedgerRow(Base):
    """One delivery of one file to one ingest step.

    A delivery is identified by (pipeline, step, uri, fingerprint): the fingerprint is the
    object store's ETag when there is one (it changes exactly when the bytes do), otherwise
    mtime and size. The same bytes under another name are caught by ``content_hash``.
    """

    __tablename__ = "file_ledger"
    __table_args__ = (
        UniqueConstraint("pipeline", "step", "uri", "fingerprint"),
        CheckConstraint(f"status IN ({in_list(FILE_STATUSES)})", name="status"),
        Index(None, "pipeline", "step", "content_hash"),
        Index(None, "pipeline", "step", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    pipeline: Mapped[str] = mapped_column(String(255))
    step: Mapped[str] = mapped_column(String(255))
    uri: Mapped[str] = mapped_column(String(2048))
    fingerprint: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    mtime: Mapped[datetime | None]
    etag: Mapped[str | None] = mapped_column(String(255))
    content_hash: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    batch: Mapped[int | None] = mapped_column(BigInteger)
    table_version: Mapped[int | None] = mapped_column(BigInteger)
    rows_read: Mapped[int | None] = mapped_column(BigInteger)
    rows_loaded: Mapped[int | None] = mapped_column(BigInteger)
    rows_quarantined: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    first_seen_at: Mapped[datetime]
    loaded_at: Mapped[datetime | None]


class CheckResultRow(Base):
    """The outcome of one check on one table, in a run or a standalone audit."""

    __tablename__ = "check_results"
    __table_args__ = (
        CheckConstraint(f"status IN ({in_list(CHECK_STATUSES)})", name="status"),
        Index(None, "table_name", "checked_at"),
        Index(None, "run_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[str | None] = mapped_column(String(36))
    step: Mapped[str | None] = mapped_column(String(255))
    table_name: Mapped[str] = mapped_column(String(255))
    check_name: Mapped[str] = mapped_column(String(255))
    check_type: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    observed: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True)
    failing_rows: Mapped[int | None] = mapped_column(BigInteger)
    sample: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON(none_as_null=True))
    message: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[datetime]


class MetricPointRow(Base):
    """One measured value of a named metric for a subject (a table or pipeline.step)."""

    __tablename__ = "metric_points"
    __table_args__ = (Index(None, "name", "subject", "time"), Index(None, "run_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    labels: Mapped[dict[str, Any]] = mapped_column(JSON)
    value: Mapped[float] = mapped_column(Float)
    run_id: Mapped[str | None] = mapped_column(String(36))
    time: Mapped[datetime]
