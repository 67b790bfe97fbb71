"""Alert state: one row per alert (a rule firing about one subject), and the outbox of
messages to channels.

The alerts table is what makes de-duplication survive a restart: a repeat of an event about
a subject that is still firing finds its row and only counts. ``pending`` says which
message the alert still owes (``firing``, ``reminder`` or ``resolved``); a message clears
it in the same transaction that writes the message's rows to ``alert_notifications``, so a
crash can neither lose nor double a message. The channel workers read that outbox, so a
message written before a restart is still delivered after it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sluiceway.meta.models.base import Base, BigId, in_list

ALERT_STATUSES = ("firing", "resolved", "expired")
ALERT_PENDING = ("firing", "reminder", "resolved")
NOTIFICATION_STATUSES = ("pending", "sent", "failed", "held", "summarized")
NOTIFICATION_KINDS = ("alert", "summary", "test")


class AlertRow(Base):
    """One alert: a rule firing about one subject, from its first event to its resolution."""

    __tablename__ = "alerts"
    __table_args__ = (
        CheckConstraint(f"status IN ({in_list(ALERT_STATUSES)})", name="status"),
        CheckConstraint(f"pending IN ({in_list(ALERT_PENDING)})", name="pending"),
        Index(None, "rule", "subject"),
        Index(None, "pending"),
        Index(None, "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(1024))
    group_key: Mapped[str] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(16))
    event_type: Mapped[str] = mapped_column(String(64))
    pipeline: Mapped[str | None] = mapped_column(String(255))
    step: Mapped[str | None] = mapped_column(String(255))
    table_name: Mapped[str | None] = mapped_column(String(255))
    run_id: Mapped[str | None] = mapped_column(String(36))
    first_event_id: Mapped[int] = mapped_column(BigInteger)
    last_event_id: Mapped[int] = mapped_column(BigInteger)
    occurrences: Mapped[int] = mapped_column(Integer)
    opened_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    pending: Mapped[str | None] = mapped_column(String(16))
    pending_since: Mapped[datetime | None]
    notified_at: Mapped[datetime | None]
    messages: Mapped[int] = mapped_column(Integer)
    context: Mapped[dict[str, Any]] = mapped_column(JSON)


class AlertNotificationRow(Base):
    """One message to one channel: the outbox the channel's worker delivers in id order."""

    __tablename__ = "alert_notifications"
    __table_args__ = (
        CheckConstraint(f"status IN ({in_list(NOTIFICATION_STATUSES)})", name="status"),
        CheckConstraint(f"kind IN ({in_list(NOTIFICATION_KINDS)})", name="kind"),
        Index(None, "channel", "status"),
        Index(None, "rule", "group_key"),
        Index(None, "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(255))
    rule: Mapped[str | None] = mapped_column(String(255))
    group_key: Mapped[str | None] = mapped_column(String(512))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(500))
    message: Mapped[dict[str, Any]] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    summary_id: Mapped[int | None] = mapped_column(BigInteger)
