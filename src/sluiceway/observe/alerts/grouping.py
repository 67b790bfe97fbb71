"""How alerts change: de-duplication, resolution, expiry, reminders, and when a group sends.

These are pure functions from an alert's stored state and an event to its new state, so
every rule below is tested without a store or a clock:

- **De-duplication.** While an alert is firing, another event about its subject only
  counts (``occurrences``); no new message is owed.
- **Resolution.** The clearing event (``run.succeeded`` after ``run.failed``…) resolves
  the alert; a notice is owed only if the alert was ever sent — a failure that cleared
  before anyone was told is not worth two messages.
- **Expiry.** Failures nothing clears (``anomaly.detected``, ``file.failed``) expire
  when they do not recur for a group window; the next one is a new alert.
- **Reminders.** An alert still recurring ``repeat_after`` its last message is owed
  again as a reminder, so a pipeline failing all week is not silent after Monday.
- **Grouping.** Alerts owing a message wait ``group_wait`` for company; after a
  message, the group's next one waits until its ``group_window`` has passed.

Event times date what happened (opened, last seen, resolved); the engine's clock dates what
the engine did (owing a message since), so a backlog handled after a restart is judged by
when its events happened.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sluiceway.meta.alerts import AlertRecord, PendingGroup
from sluiceway.observe.alerts.rules import RESOLVABLE

if TYPE_CHECKING:
    from sluiceway.events.base import Event
    from sluiceway.observe.alerts.rules import Signal
    from sluiceway.spec.alerts import AlertRule


@dataclass(frozen=True)
class Timing:
    """A rule's timing settings."""

    group_wait: timedelta = timedelta(0)
    group_window: timedelta = timedelta(minutes=5)
    repeat_after: timedelta | None = timedelta(hours=4)
    resolve: bool = True

    @classmethod
    def of(cls, rule: AlertRule) -> Timing:
        """The timing ``rule`` declares."""
        return cls(rule.group_wait, rule.group_window, rule.repeat_after, rule.resolve)


def fire(
    current: AlertRecord | None,
    event: Event,
    signal: Signal,
    timing: Timing,
    now: datetime,
    context: Callable[[], Mapping[str, Any]],
    latest: str,
) -> list[AlertRecord]:
    """The alerts to write when ``event`` fires ``signal``.

    Args:
        current: the subject's latest alert under the rule, if any.
        now: the engine's time (when a new message becomes owed).
        context: builds a new alert's context (lineage is only looked up for new alerts).
        latest: the event's one-line summary, kept as the alert's latest news.
    """
    if event.id is None:
        raise ValueError("only events read from the log can fire alerts")
    written: list[AlertRecord] = []
    if current is not None and current.status == "firing":
        if not _expired(current, event.time, timing):
            return [_repeat(current, event, timing, now, latest)]
        written.append(replace(current, status="expired"))
    written.append(
        AlertRecord(
            rule=signal.rule.name,
            subject=signal.subject,
            group_key=signal.group_key,
            event_type=event.type,
            pipeline=event.pipeline,
            step=event.step,
            table=event.table,
            run_id=event.run_id,
            first_event_id=event.id,
            last_event_id=event.id,
            opened_at=event.time,
            last_seen_at=event.time,
            pending="firing",
            pending_since=now,
            context=dict(context()),
        )
    )
    return written


def resolve(
    current: AlertRecord | None, event: Event, timing: Timing, now: datetime
) -> list[AlertRecord]:
    """The alerts to write when ``event`` clears the subject: none if nothing is firing."""
    if current is None or current.status != "firing" or event.id is None:
        return []
    owed = "resolved" if timing.resolve and current.messages > 0 else None
    return [
        replace(
            current,
            status="resolved",
            resolved_at=event.time,
            last_event_id=event.id,
            pending=owed,
            pending_since=now if owed else None,
        )
    ]


def due_at(group: PendingGroup, timing: Timing) -> datetime:
    """When a group's owed message goes out: after ``group_wait``, and not within
    ``group_window`` of the group's previous message."""
    due = group.first_pending + timing.group_wait
    if group.last_message_at is not None:
        due = max(due, group.last_message_at + timing.group_window)
    return due


def _expired(alert: AlertRecord, at: datetime, timing: Timing) -> bool:
    """A firing alert nothing can clear has expired once quiet for a group window."""
    return alert.event_type not in RESOLVABLE and at - alert.last_seen_at > timing.group_window


def _repeat(
    current: AlertRecord, event: Event, timing: Timing, now: datetime, latest: str
) -> AlertRecord:
    assert event.id is not None
    updated = replace(
        current,
        occurrences=current.occurrences + 1,
        last_event_id=event.id,
        last_seen_at=max(current.last_seen_at, event.time),
        run_id=event.run_id or current.run_id,
        context={**current.context, "latest": latest},
    )
    remind = (
        timing.repeat_after is not None
        and current.pending is None
        and current.notified_at is not None
        and event.time - current.notified_at >= timing.repeat_after
    )
    if remind:
        updated = replace(updated, pending="reminder", pending_since=now)
    return updated
