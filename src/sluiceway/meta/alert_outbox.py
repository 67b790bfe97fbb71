"""The outbox: messages written for channels, and how their delivery went.

The alert engine writes a message here for each channel it goes to; each channel's worker
delivers its own rows in id order and moves each to ``sent`` or ``failed``. Messages the
channel's hourly rate limit held back are ``held`` until one summary stands for them
(``summarized``). Because the outbox is in the metadata store, a message written before a
restart is still delivered after it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update

from sluiceway.meta.models import AlertNotificationRow

if TYPE_CHECKING:
    from sluiceway.meta.store import MetaStore

COUNTED = ("pending", "sent", "failed")
"""Outbox states that used a slot of their channel's hourly rate limit."""


@dataclass(frozen=True, slots=True)
class NewNotification:
    """A message to one channel, about to be written to the outbox."""

    channel: str
    kind: str
    title: str
    message: Mapping[str, Any]
    created_at: datetime
    status: str = "pending"
    rule: str | None = None
    group_key: str | None = None


@dataclass(frozen=True, slots=True)
class Notification:
    """A message in the outbox and how its delivery went."""

    id: int
    channel: str
    kind: str
    status: str
    title: str
    message: Mapping[str, Any]
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    rule: str | None = None
    group_key: str | None = None
    last_error: str | None = None
    sent_at: datetime | None = None
    summary_id: int | None = None


class OutboxRepo:
    """Reads and writes the messages of every channel."""

    def __init__(self, store: MetaStore) -> None:
        self._store = store

    def enqueue(self, notification: NewNotification) -> Notification:
        """Write one message to the outbox (a test message, a rate-limit summary)."""
        with self._store.session(write=True) as session:
            row = notification_row(notification)
            session.add(row)
            session.flush()
            return read_notification(row)

    def used(self, channel: str, since: datetime) -> int:
        """Messages to ``channel`` written since ``since`` that count against its limit."""
        with self._store.session() as session:
            return int(
                session.scalar(
                    select(func.count()).where(
                        AlertNotificationRow.channel == channel,
                        AlertNotificationRow.created_at >= since,
                        AlertNotificationRow.status.in_(COUNTED),
                    )
                )
                or 0
            )

    def oldest_counted(self, channel: str, since: datetime) -> datetime | None:
        """When the oldest message still counting against ``channel``'s limit was written."""
        with self._store.session() as session:
            return session.scalar(
                select(func.min(AlertNotificationRow.created_at)).where(
                    AlertNotificationRow.channel == channel,
                    AlertNotificationRow.created_at >= since,
                    AlertNotificationRow.status.in_(COUNTED),
                )
            )

    def held(self) -> dict[str, list[Notification]]:
        """Messages held back by their channel's rate limit, by channel, oldest first."""
        statement = (
            select(AlertNotificationRow)
            .where(AlertNotificationRow.status == "held")
            .order_by(AlertNotificationRow.id)
        )
        found: dict[str, list[Notification]] = {}
        with self._store.session() as session:
            for row in session.scalars(statement):
                found.setdefault(row.channel, []).append(read_notification(row))
        return found

    def summarize(self, held: Iterable[Notification], summary: NewNotification) -> Notification:
        """Write ``summary`` and mark the ``held`` messages it stands for as summarized."""
        ids = [n.id for n in held]
        with self._store.session(write=True) as session:
            row = notification_row(summary)
            session.add(row)
            session.flush()
            session.execute(
                update(AlertNotificationRow)
                .where(AlertNotificationRow.id.in_(ids), AlertNotificationRow.status == "held")
                .values(status="summarized", summary_id=row.id)
            )
            return read_notification(row)

    def head(self, channel: str) -> Notification | None:
        """The oldest message of ``channel`` still to deliver: channels deliver in order."""
        statement = (
            select(AlertNotificationRow)
            .where(
                AlertNotificationRow.channel == channel,
                AlertNotificationRow.status == "pending",
            )
            .order_by(AlertNotificationRow.id)
            .limit(1)
        )
        with self._store.session() as session:
            row = session.scalars(statement).first()
            return None if row is None else read_notification(row)

    def mark_sent(self, notification_id: int, attempts: int, now: datetime) -> None:
        """Record a delivery."""
        self._set(notification_id, status="sent", attempts=attempts, sent_at=now)

    def mark_retry(
        self, notification_id: int, attempts: int, next_attempt_at: datetime, error: str
    ) -> None:
        """Record a failed attempt to be tried again at ``next_attempt_at``."""
        self._set(
            notification_id,
            attempts=attempts,
            next_attempt_at=next_attempt_at,
            last_error=error,
        )

    def mark_failed(self, notification_id: int, attempts: int, error: str) -> None:
        """Record that a message was given up."""
        self._set(notification_id, status="failed", attempts=attempts, last_error=error)

    def notifications(
        self,
        *,
        channel: str | None = None,
        statuses: Sequence[str] | None = None,
        limit: int = 50,
    ) -> list[Notification]:
        """Messages in the outbox, newest first."""
        statement = select(AlertNotificationRow).order_by(AlertNotificationRow.id.desc())
        if channel is not None:
            statement = statement.where(AlertNotificationRow.channel == channel)
        if statuses:
            statement = statement.where(AlertNotificationRow.status.in_(list(statuses)))
        with self._store.session() as session:
            return [read_notification(row) for row in session.scalars(statement.limit(limit))]

    def _set(self, notification_id: int, **values: Any) -> None:
        with self._store.session(write=True) as session:
            session.execute(
                update(AlertNotificationRow)
                .where(AlertNotificationRow.id == notification_id)
                .values(**values)
            )


def notification_row(n: NewNotification) -> AlertNotificationRow:
    """The row that stores ``n``."""
    return AlertNotificationRow(
        channel=n.channel,
        rule=n.rule,
        group_key=n.group_key,
        kind=n.kind,
        status=n.status,
        title=n.title[:500],
        message=dict(n.message),
        attempts=0,
        next_attempt_at=n.created_at,
        created_at=n.created_at,
    )


def read_notification(row: AlertNotificationRow) -> Notification:
    """The message a row stores."""
    return Notification(
        id=row.id,
        channel=row.channel,
        rule=row.rule,
        group_key=row.group_key,
        kind=row.kind,
        status=row.status,
        title=row.title,
        message=dict(row.message or {}),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        created_at=row.created_at,
        sent_at=row.sent_at,
        summary_id=row.summary_id,
    )
