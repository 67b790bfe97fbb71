"""Run tables: pipeline runs and the step attempts inside them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from sluiceway.meta.models.base import RUN_STATUSES, STEP_STATUSES, Base, in_list


class RunRow(Base):
    """One execution of a pipeline (or some of its steps, or one partition)."""

    __tablename__ = "runs"
    __table_args__ = (
        CheckConstraint(f"status IN ({in_list(RUN_STATUSES)})", name="status"),
        Index(None, "pipeline", "queued_at"),
        Index(None, "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    pipeline: Mapped[str] = mapped_column(String(255))
    env: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    trigger: Mapped[dict[str, Any]] = mapped_column(JSON)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    partition: Mapped[str | None] = mapped_column(String(255))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    queued_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    lease_owner: Mapped[str | None] = mapped_column(String(255))
    lease_expires_at: Mapped[datetime | None]
    dedup_key: Mapped[str | None] = mapped_column(String(512), unique=True)
    """What the run was queued for (a trigger event, a backfill partition): queued once."""
    not_before: Mapped[datetime | None]
    """Start no earlier (a debounced ``tables`` trigger)."""
    steps: Mapped[list[str] | None] = mapped_column(JSON)
    """The steps to run (None: every step)."""
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    writes: Mapped[list[str] | None] = mapped_column(JSON)
    """The tables the run writes: no other run writing one of them starts meanwhile."""


class StepRunRow(Base):
    """One attempt of one step inside a run, with the Delta batch it committed."""

    __tablename__ = "step_runs"
    __table_args__ = (
        UniqueConstraint("run_id", "step", "attempt"),
        CheckConstraint(f"status IN ({in_list(STEP_STATUSES)})", name="status"),
        Index(None, "step", "batch"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    batch: Mapped[int | None] = mapped_column(BigInteger)
    table_name: Mapped[str | None] = mapped_column(String(255))
    table_version: Mapped[int | None] = mapped_column(BigInteger)
    rows_in: Mapped[int | None] = mapped_column(BigInteger)
    rows_out: Mapped[int | None] = mapped_column(BigInteger)
    rows_quarantined: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
