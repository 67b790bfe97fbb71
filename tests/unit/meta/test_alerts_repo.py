"""Alert state and the outbox: each change at most once per event, messages atomic, in order."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sluiceway.meta.alert_outbox import NewNotification, OutboxRepo
from sluiceway.meta.alerts import AlertRecord, AlertRepo

T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def new_alert(event_id: int, subject: str = "run:silver", **fields: Any) -> AlertRecord:
    return AlertRecord(
        rule="failures", subject=subject, group_key="", event_type="run.failed",
        first_event_id=event_id, last_event_id=event_id, opened_at=T0, last_seen_at=T0,
        pending="firing", pending_since=T0, context={"summary": "s"}, **fields,
    )  # fmt: skip


def note(channel: str, at: datetime, status: str = "pending", title: str = "t") -> NewNotification:
    return NewNotification(
        channel=channel, kind="alert", title=title, message={"title": title}, created_at=at,
        status=status, rule="failures", group_key="",
    )  # fmt: skip


def test_an_event_changes_a_subject_at_most_once(store: Any) -> None:
    repo = AlertRepo(store)
    calls: list[AlertRecord | None] = []

    def decide(current: AlertRecord | None) -> list[AlertRecord]:
        calls.append(current)
        return [new_alert(5)] if current is None else [replace(current, occurrences=2)]

    assert repo.apply("failures", "run:silver", 5, decide)
    assert not repo.apply("failures", "run:silver", 5, decide)
    assert not repo.apply("failures", "run:silver", 3, decide)
    assert calls == [None]
    stored = repo.latest("failures", "run:silver")
    assert stored is not None and stored.id is not None and stored.context == {"summary": "s"}
    assert repo.firing() == [stored]


def test_a_message_clears_only_what_its_alerts_still_owe(store: Any) -> None:
    repo = AlertRepo(store)
    repo.apply("failures", "run:a", 1, lambda _: [new_alert(1, "run:a")])
    repo.apply("failures", "run:b", 2, lambda _: [new_alert(2, "run:b")])
    [group] = repo.pending_groups()
    assert (group.rule, group.first_pending, group.last_message_at) == ("failures", T0, None)
    owing = repo.pending_alerts("failures", "")

    # b is resolved while the message is being written: its resolution must not be lost
    def resolved(current: AlertRecord | None) -> list[AlertRecord]:
        assert current is not None
        return [replace(current, status="resolved", pending="resolved", last_event_id=3)]

    repo.apply("failures", "run:b", 3, resolved)
    later = T0 + timedelta(minutes=1)
    [written] = repo.record_message(owing, [note("ops", later)], later)
    assert written.status == "pending" and written.attempts == 0
    a, b = repo.latest("failures", "run:a"), repo.latest("failures", "run:b")
    assert a is not None and (a.pending, a.notified_at, a.messages) == (None, later, 1)
    assert b is not None and (b.pending, b.messages) == ("resolved", 0)
    [group] = repo.pending_groups()
    assert group.last_message_at == later


def test_a_channel_delivers_in_order_and_a_retry_keeps_its_place(store: Any) -> None:
    repo = OutboxRepo(store)
    first = repo.enqueue(note("ops", T0, title="first"))
    repo.enqueue(note("ops", T0, title="second"))
    other = repo.enqueue(note("mail", T0, title="elsewhere"))
    assert repo.head("mail") == other
    repo.mark_retry(first.id, 1, T0 + timedelta(seconds=5), "connection refused")
    head = repo.head("ops")
    assert head is not None and (head.title, head.attempts, head.last_error) == (
        "first",
        1,
        "connection refused",
    )
    repo.mark_sent(first.id, 2, T0 + timedelta(seconds=6))
    head = repo.head("ops")
    assert head is not None and head.title == "second"
    repo.mark_failed(head.id, 3, "gone")
    assert repo.head("ops") is None
    assert [n.status for n in repo.notifications(channel="ops")] == ["failed", "sent"]


def test_the_rate_limit_counts_what_was_sent_or_tried_in_the_window(store: Any) -> None:
    repo = OutboxRepo(store)
    repo.enqueue(note("ops", T0 - timedelta(hours=2)))
    repo.enqueue(note("ops", T0))
    repo.enqueue(note("ops", T0, status="held", title="held 1"))
    repo.enqueue(note("ops", T0, status="held", title="held 2"))
    repo.enqueue(note("mail", T0))
    assert repo.used("ops", T0 - timedelta(hours=1)) == 1
    assert repo.oldest_counted("ops", T0 - timedelta(hours=1)) == T0
    held = repo.held()["ops"]
    assert [n.title for n in held] == ["held 1", "held 2"]
    summary = repo.summarize(held, replace(note("ops", T0), kind="summary", title="2 held"))
    assert repo.held() == {}
    statuses = {n.title: (n.status, n.summary_id) for n in repo.notifications(channel="ops")}
    assert statuses["held 1"] == statuses["held 2"] == ("summarized", summary.id)
    assert repo.used("ops", T0 - timedelta(hours=1)) == 2


def test_alerts_of_a_removed_rule_stop_owing_messages(store: Any) -> None:
    repo = AlertRepo(store)
    repo.apply("failures", "run:a", 1, lambda _: [new_alert(1, "run:a")])
    assert repo.drop_pending("failures") == 1
    assert repo.pending_groups() == []
