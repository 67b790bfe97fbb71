"""Event log tables: the append-only log and the consumers' cursors.

``dedup_key`` is NULL for most events; a producer that must append a fact at most once (a
schedule tick, a file's arrival) sets it, and the unique index makes the second append of
the same key fail in the database, whichever process or thread races to it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Index,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from sluiceway.meta.models.base import Base, BigId


class EventRow(Base):
    """One entry of the append-only event log; ``id`` is the consumers' position."""

    __tablename__ = "events"
    __table_args__ = (
        Index(None, "type"),
        Index(None, "run_id"),
        Index(None, "dedup_key", unique=True),
        {"sqlite_autoincrement": True},  # never reuse an id, even the highest one
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(64))
    time: Mapped[datetime]
    run_id: Mapped[str | None] = mapped_column(String(36))
    pipeline: Mapped[str | None] = mapped_column(String(255))
    step: Mapped[str | None] = mapped_column(String(255))
    table_name: Mapped[str | None] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    dedup_key: Mapped[str | None] = mapped_column(String(255))


class EventCursorRow(Base):
    """How far one named consumer has handled the log."""

    __tablename__ = "event_cursors"

    consumer: Mapped[str] = mapped_column(String(255), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime]
