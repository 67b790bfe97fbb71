"""De-duplication, resolution, expiry, reminders and group timing, as pure state changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sluiceway.events.base import Event
from sluiceway.events.types import AnomalyDetected, RunFailed, RunSucceeded
from sluiceway.meta.alerts import AlertRecord, PendingGroup
from sluiceway.observe.alerts.grouping import Timing, due_at, fire, resolve
from sluiceway.observe.alerts.rules import Signal
from sluiceway.spec.alerts import AlertRule

T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
RULE = AlertRule.model_validate({"name": "failures", "on": ["run.failed"], "channels": ["c"]})
TIMING = Timing(group_window=timedelta(minutes=5), repeat_after=timedelta(hours=4))


def failed(event_id: int, at: datetime) -> Event:
    return RunFailed(id=event_id, time=at, pipeline="silver", run_id=f"r{event_id}", error="x")


def fire_at(current: AlertRecord | None, event: Event, now: datetime) -> list[AlertRecord]:
    signal = Signal(RULE, "fire", "run:silver", "")
    return fire(current, event, signal, TIMING, now, lambda: {"summary": "s"}, "latest")


def sent(alert: AlertRecord, at: datetime) -> AlertRecord:
    """``alert`` as it is after a message carried it."""
    return replace(
        alert,
        id=alert.id or 1,
        pending=None,
        pending_since=None,
        notified_at=at,
        messages=alert.messages + 1,
    )


def test_a_first_failure_opens_an_alert_that_owes_a_message() -> None:
    [alert] = fire_at(None, failed(1, T0), T0)
    assert (alert.status, alert.pending, alert.occurrences) == ("firing", "firing", 1)
    assert alert.first_event_id == alert.last_event_id == 1
    assert alert.context == {"summary": "s"}


def test_repeats_while_firing_are_counted_not_sent_again() -> None:
    [alert] = fire_at(None, failed(1, T0), T0)
    alert = sent(alert, T0)
    [repeat] = fire_at(alert, failed(2, T0 + timedelta(minutes=1)), T0 + timedelta(minutes=1))
    assert repeat.id == alert.id
    assert (repeat.occurrences, repeat.pending, repeat.last_event_id) == (2, None, 2)
    assert repeat.run_id == "r2"
    assert repeat.context["latest"] == "latest"


def test_a_failure_still_recurring_after_repeat_after_is_sent_again_as_a_reminder() -> None:
    [alert] = fire_at(None, failed(1, T0), T0)
    alert = sent(alert, T0)
    later = T0 + timedelta(hours=4, minutes=1)
    [reminder] = fire_at(alert, failed(2, later), later)
    assert (reminder.pending, reminder.pending_since) == ("reminder", later)


def test_a_resolution_owes_a_notice_only_for_an_alert_that_was_sent() -> None:
    [alert] = fire_at(None, failed(1, T0), T0)
    cleared = RunSucceeded(id=2, time=T0 + timedelta(minutes=1), pipeline="silver")
    [never_sent] = resolve(alert, cleared, TIMING, T0)
    assert (never_sent.status, never_sent.pending) == ("resolved", None)
    [notice] = resolve(sent(alert, T0), cleared, TIMING, T0)
    assert (notice.status, notice.pending) == ("resolved", "resolved")
    assert notice.resolved_at == cleared.time
    quiet = Timing(resolve=False)
    assert resolve(sent(alert, T0), cleared, quiet, T0)[0].pending is None


def test_resolving_what_is_not_firing_changes_nothing() -> None:
    cleared = RunSucceeded(id=2, time=T0, pipeline="silver")
    assert resolve(None, cleared, TIMING, T0) == []
    [alert] = resolve(sent(fire_at(None, failed(1, T0), T0)[0], T0), cleared, TIMING, T0)
    assert resolve(alert, RunSucceeded(id=3, time=T0, pipeline="silver"), TIMING, T0) == []


def test_a_failure_after_resolution_opens_a_new_alert() -> None:
    [alert] = fire_at(None, failed(1, T0), T0)
    [resolved] = resolve(sent(alert, T0), RunSucceeded(id=2, time=T0, pipeline="silver"),
                         TIMING, T0)  # fmt: skip
    [again] = fire_at(resolved, failed(3, T0 + timedelta(minutes=1)), T0)
    assert again.id is None and again.first_event_id == 3 and again.pending == "firing"


def test_an_anomaly_expires_after_a_quiet_window_and_the_next_is_a_new_alert() -> None:
    def anomaly(event_id: int, at: datetime) -> Event:
        return AnomalyDetected(id=event_id, time=at, table="raw.t", metric="m", value=1.0)

    signal = Signal(RULE, "fire", "anomaly:m:raw.t", "")
    [first] = fire(None, anomaly(1, T0), signal, TIMING, T0, dict, "")
    first = sent(first, T0)
    soon = T0 + timedelta(minutes=4)
    [counted] = fire(first, anomaly(2, soon), signal, TIMING, soon, dict, "")
    assert counted.occurrences == 2
    quiet = soon + timedelta(minutes=6)
    expired, fresh = fire(counted, anomaly(3, quiet), signal, TIMING, quiet, dict, "")
    assert (expired.id, expired.status) == (1, "expired")
    assert (fresh.id, fresh.status, fresh.pending) == (None, "firing", "firing")


def test_a_group_waits_for_company_then_for_its_window() -> None:
    timing = Timing(group_wait=timedelta(seconds=30), group_window=timedelta(minutes=5))
    fresh = PendingGroup("r", "", first_pending=T0, last_message_at=None)
    assert due_at(fresh, timing) == T0 + timedelta(seconds=30)
    recent = PendingGroup("r", "", first_pending=T0, last_message_at=T0 - timedelta(minutes=1))
    assert due_at(recent, timing) == T0 + timedelta(minutes=4)
    old = PendingGroup("r", "", first_pending=T0, last_message_at=T0 - timedelta(hours=1))
    assert due_at(old, timing) == T0 + timedelta(seconds=30)
