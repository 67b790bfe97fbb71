"""Alerts in the metadata store: each alert's state, and writing their messages.

The alert engine decides *what* changes (``sluiceway.observe.alerts``); this repository
only makes each change atomic: an event's effect on an alert is written together with the
event id that caused it (so an event handled twice changes nothing the second time), and
a message is written to the outbox (:mod:`sluiceway.meta.alert_outbox`) in the same
transaction that clears what the alerts owed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update

from sluiceway.meta.alert_outbox import (
    NewNotification,
    Notification,
    notification_row,
    read_notification,
)
from sluiceway.meta.models import AlertNotificationRow, AlertRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from sluiceway.meta.store import MetaStore


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """One alert: a rule firing about one subject (``run:silver``, ``check:raw.t:nn``…).

    Attributes:
        status: ``firing`` until a resolving event (``resolved``) or, for events nothing
            resolves, until it stops recurring (``expired``).
        pending: the message this alert still owes: ``firing``, ``reminder``,
            ``resolved``, or None.
        pending_since: when it started owing it (what grouping waits from).
        notified_at: when it was last part of a message; ``messages`` counts them.
        context: what the message says about it (summary, details, downstream tables).
    """

    rule: str
    subject: str
    group_key: str
    event_type: str
    first_event_id: int
    last_event_id: int
    opened_at: datetime
    last_seen_at: datetime
    status: str = "firing"
    pipeline: str | None = None
    step: str | None = None
    table: str | None = None
    run_id: str | None = None
    occurrences: int = 1
    resolved_at: datetime | None = None
    pending: str | None = None
    pending_since: datetime | None = None
    notified_at: datetime | None = None
    messages: int = 0
    context: Mapping[str, Any] = field(default_factory=dict)
    id: int | None = None


@dataclass(frozen=True, slots=True)
class PendingGroup:
    """Alerts of one rule and group that owe a message, and when the group last had one."""

    rule: str
    group_key: str
    first_pending: datetime
    last_message_at: datetime | None


Decision = Callable[[AlertRecord | None], Sequence[AlertRecord]]
"""Given the subject's latest alert (or None), the alerts to write (updated or new)."""


class AlertRepo:
    """Reads and writes alerts, and the messages they owe."""

    def __init__(self, store: MetaStore) -> None:
        self._store = store

    def apply(self, rule: str, subject: str, event_id: int, decide: Decision) -> bool:
        """Apply one event's effect on ``rule``'s alert about ``subject``, at most once.

        ``decide`` is called with the subject's latest alert inside the transaction; the
        records it returns are written (those with an id updated, the others inserted).

        Returns:
            False when an event at or after ``event_id`` already changed this subject's
            alerts (the event was handled before a restart): nothing is written.
        """
        with self._store.session(write=True) as session:
            handled = session.scalar(
                select(func.max(AlertRow.last_event_id)).where(
                    AlertRow.rule == rule, AlertRow.subject == subject
                )
            )
            if handled is not None and handled >= event_id:
                return False
            row = session.scalars(
                select(AlertRow)
                .where(AlertRow.rule == rule, AlertRow.subject == subject)
                .order_by(AlertRow.id.desc())
                .limit(1)
            ).first()
            for record in decide(None if row is None else _alert(row)):
                _write_alert(session, record)
        return True

    def latest(self, rule: str, subject: str) -> AlertRecord | None:
        """The most recent alert of ``rule`` about ``subject``."""
        with self._store.session() as session:
            row = session.scalars(
                select(AlertRow)
                .where(AlertRow.rule == rule, AlertRow.subject == subject)
                .order_by(AlertRow.id.desc())
                .limit(1)
            ).first()
            return None if row is None else _alert(row)

    def firing(self) -> list[AlertRecord]:
        """Every alert still firing, oldest first."""
        statement = select(AlertRow).where(AlertRow.status == "firing").order_by(AlertRow.id)
        with self._store.session() as session:
            return [_alert(row) for row in session.scalars(statement)]

    def alerts(self, *, status: str | None = None, limit: int = 50) -> list[AlertRecord]:
        """Recent alerts, newest first, optionally only those with ``status``."""
        statement = select(AlertRow).order_by(AlertRow.id.desc()).limit(limit)
        if status is not None:
            statement = statement.where(AlertRow.status == status)
        with self._store.session() as session:
            return [_alert(row) for row in session.scalars(statement)]

    def pending_groups(self) -> list[PendingGroup]:
        """Every (rule, group) with alerts owing a message, with its last message's time."""
        owing = (
            select(AlertRow.rule, AlertRow.group_key, func.min(AlertRow.pending_since))
            .where(AlertRow.pending.is_not(None))
            .group_by(AlertRow.rule, AlertRow.group_key)
        )
        with self._store.session() as session:
            groups = []
            for rule, group_key, first_pending in session.execute(owing):
                if first_pending is None:  # pending_since is set with pending; never here
                    continue
                last = session.scalar(
                    select(func.max(AlertNotificationRow.created_at)).where(
                        AlertNotificationRow.rule == rule,
                        AlertNotificationRow.group_key == group_key,
                        AlertNotificationRow.kind == "alert",
                    )
                )
                groups.append(PendingGroup(rule, group_key, first_pending, last))
        return sorted(groups, key=lambda g: (g.first_pending, g.rule, g.group_key))

    def pending_alerts(self, rule: str, group_key: str) -> list[AlertRecord]:
        """The alerts of one group that owe a message, oldest first."""
        statement = (
            select(AlertRow)
            .where(
                AlertRow.rule == rule,
                AlertRow.group_key == group_key,
                AlertRow.pending.is_not(None),
            )
            .order_by(AlertRow.id)
        )
        with self._store.session() as session:
            return [_alert(row) for row in session.scalars(statement)]

    def record_message(
        self,
        alerts: Iterable[AlertRecord],
        notifications: Iterable[NewNotification],
        now: datetime,
    ) -> list[Notification]:
        """Write a message to the outbox and clear what ``alerts`` owed, in one transaction.

        Alerts are cleared only while they still owe what they owed when the message was
        built, so a change in between (a resolution) is not swallowed by the message.
        """
        with self._store.session(write=True) as session:
            for alert in alerts:
                session.execute(
                    update(AlertRow)
                    .where(AlertRow.id == alert.id, AlertRow.pending == alert.pending)
                    .values(
                        pending=None,
                        pending_since=None,
                        notified_at=now,
                        messages=AlertRow.messages + 1,
                    )
                )
            rows = [notification_row(n) for n in notifications]
            session.add_all(rows)
            session.flush()
            return [read_notification(row) for row in rows]

    def drop_pending(self, rule: str) -> int:
        """Forget the messages owed by alerts of a rule that no longer exists."""
        with self._store.session(write=True) as session:
            result = session.execute(
                update(AlertRow)
                .where(AlertRow.rule == rule, AlertRow.pending.is_not(None))
                .values(pending=None, pending_since=None)
            )
            return int(getattr(result, "rowcount", 0) or 0)


def _write_alert(session: Session, record: AlertRecord) -> None:
    values = {
        "rule": record.rule,
        "subject": record.subject,
        "group_key": record.group_key,
        "status": record.status,
        "event_type": record.event_type,
        "pipeline": record.pipeline,
        "step": record.step,
        "table_name": record.table,
        "run_id": record.run_id,
        "first_event_id": record.first_event_id,
        "last_event_id": record.last_event_id,
        "occurrences": record.occurrences,
        "opened_at": record.opened_at,
        "last_seen_at": record.last_seen_at,
        "resolved_at": record.resolved_at,
        "pending": record.pending,
        "pending_since": record.pending_since,
        "notified_at": record.notified_at,
        "messages": record.messages,
        "context": dict(record.context),
    }
    if record.id is None:
        session.add(AlertRow(**values))
    else:
        session.execute(update(AlertRow).where(AlertRow.id == record.id).values(**values))


def _alert(row: AlertRow) -> AlertRecord:
    return AlertRecord(
        id=row.id,
        rule=row.rule,
        subject=row.subject,
        group_key=row.group_key,
        status=row.status,
        event_type=row.event_type,
        pipeline=row.pipeline,
        step=row.step,
        table=row.table_name,
        run_id=row.run_id,
        first_event_id=row.first_event_id,
        last_event_id=row.last_event_id,
        occurrences=row.occurrences,
        opened_at=row.opened_at,
        last_seen_at=row.last_seen_at,
        resolved_at=row.resolved_at,
        pending=row.pending,
        pending_since=row.pending_since,
        notified_at=row.notified_at,
        messages=row.messages,
        context=dict(row.context or {}),
    )
