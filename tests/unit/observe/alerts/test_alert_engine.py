"""The engine end to end on a real store and a real HTTP receiver, with a clock moved by hand.

Each round is driven on the test's thread (``run_once`` then ``deliver_now``), so what was
sent after each step is exact; the threaded engine is covered in
``tests/integration/observe/test_alert_delivery.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sluiceway.events.base import Event
from sluiceway.events.types import (
    CheckFailed,
    RunFailed,
    RunSucceeded,
    SlaMissed,
    SlaRecovered,
)
from sluiceway.meta.alerts import AlertRepo
from sluiceway.meta.catalog import CatalogRepo, TableDefinition
from sluiceway.observe.alerts import AlertEngine, alert_engine
from sluiceway.observe.alerts.delivery import DeliveryPolicy
from sluiceway.orchestrate.triggers.clock import ManualClock
from support.alerts import alert_project, append, at, record_lineage
from support.receivers import HttpReceiver

T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    server = HttpReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


Make = Callable[..., AlertEngine]


@pytest.fixture
def make(tmp_path: Path, store: Any, clock: ManualClock, receiver: HttpReceiver) -> Make:
    """An engine for ``rules`` (YAML) sending to channel ``hook`` (the receiver)."""

    def build(rules: str, *, extra: str = "", root: Path | None = None) -> AlertEngine:
        alerts = f'channels:\n  hook: {{type: webhook, url: "{receiver.url}"}}\n{extra}'
        alerts += "rules:\n" + rules
        project = alert_project(root or tmp_path / "project", alerts)
        return AlertEngine(project, store, clock=clock, policy=DeliveryPolicy(first_backoff=0.01))

    return build


def emit(store: Any, clock: ManualClock, *events: Event) -> None:
    append(store, *(at(clock, e) for e in events))


def round_trip(engine: AlertEngine) -> None:
    engine.run_once()
    engine.deliver_now()


def bodies(receiver: HttpReceiver) -> list[dict[str, Any]]:
    return [r.json() for r in receiver.delivered()]


def states(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(a["state"], a["subject"]) for a in body["alerts"]]


def failed(pipeline: str) -> RunFailed:
    return RunFailed(pipeline=pipeline, run_id=f"run-{pipeline}", error=f"{pipeline} broke")


FAILURES = "  - {name: failures, on: [run.failed], channels: [hook]}\n"


def test_no_rules_no_engine(tmp_path: Path, store: Any) -> None:
    project = alert_project(tmp_path, "channels: {}\n")
    assert alert_engine(project, store) is None


def test_repeats_within_the_window_make_one_message_and_one_resolution(
    make: Make, store: Any, clock: ManualClock, receiver: HttpReceiver
) -> None:
    engine = make(FAILURES)
    emit(store, clock, failed("silver"))
    round_trip(engine)
    for _ in range(3):
        clock.advance(60)
        emit(store, clock, failed("silver"))
        round_trip(engine)
    assert [states(b) for b in bodies(receiver)] == [[("firing", "run:silver")]]

    emit(store, clock, RunSucceeded(pipeline="silver"))
    round_trip(engine)
    assert len(bodies(receiver)) == 1  # within the window of the first message
    clock.advance(timedelta(minutes=2))
    round_trip(engine)
    resolved = bodies(receiver)[1]
    assert states(resolved) == [("resolved", "run:silver")]
    assert resolved["alerts"][0]["occurrences"] == 4
    assert resolved["title"].startswith("[shop/prod] RESOLVED run.failed")


def test_new_alerts_within_a_window_are_grouped_into_the_next_message(
    make: Make, store: Any, clock: ManualClock, receiver: HttpReceiver
) -> None:
    engine = make(FAILURES)
    emit(store, clock, failed("silver"))
    round_trip(engine)
    clock.advance(60)
    emit(store, clock, failed("gold"))
    round_trip(engine)
    clock.advance(60)
    emit(store, clock, failed("report"))
    round_trip(engine)
    assert len(bodies(receiver)) == 1
    clock.advance(timedelta(minutes=3))
    round_trip(engine)
    grouped = bodies(receiver)[1]
    assert states(grouped) == [("firing", "run:gold"), ("firing", "run:report")]
    assert grouped["title"] == "[shop/prod] failures: 2 firing"


def test_events_handled_together_share_one_message(
    make: Make, store: Any, clock: ManualClock, receiver: HttpReceiver
) -> None:
    engine = make(FAILURES)
    emit(store, clock, failed("silver"), failed("gold"), failed("report"))
    round_trip(engine)
    assert [len(b["alerts"]) for b in bodies(receiver)] == [3]


def test_group_wait_holds_a_first_alert_for_company(
    make: Make, store: Any, clock: ManualClock, receiver: HttpReceiver
) -> None:
    engine = make("  - {name: failures, on: [run.failed], channels: [hook], group_wait: 30s}\n")
    emit(store, clock, failed("silver"))
    round_trip(engine)
    clock.advance(10)
    emit(store, clock, failed("gold"))
    round_trip(engine)
    assert bodies(receiver) == []
    clock.advance(20)
    round_trip(engine)
    assert [len(b["alerts"]) for b in bodies(receiver)] == [2]


def test_group_by_sends_each_pipeline_its_own_messages(
    make: Make, store: Any, clock: ManualClock, receiver: HttpReceiver
) -> None:
    engine = make(
        "  - {name: failures, on: [run.failed], channels: [hook], group_by: [pipeline]}\n"
    )
    emit(store, clock, failed("silver"))
    round_trip(engine)
    clock.advance(60)
    emit(store, clock, failed("gold"))
    round_trip(engine)
    assert [states(b) for b in bodies(receiver)] == [
        [("firing", "run:silver")],
        [("firing", "run:gold")],
    ]


def test_a_failure_that_clears_before_it_was_sent_is_not_sent(
    make: Make, store: Any, clock: ManualClock, receiver: HttpReceiver
) -> None:
    engine = make(FAILURES)
    emit(store, clock, failed("silver"))
    round_trip(engine)
    clock.advance(60)
    emit(store, clock, failed("gold"))  # held: the group's window is still open
    round_trip(engine)
    emit(store, clock, RunSucceeded(pipeline="gold"))
    round_trip(engine)
    clock.advance(timedelta(minutes=10))
    round_trip(engine)
    assert [states(b) for b in bodies(receiver)] == [[("firing", "run:silver")]]
    gold = AlertRepo(store).latest("failures", "run:gold")
    assert gold is not None and (gold.status, gold.messages) == ("resolved", 0)


def test_a_missed_sla_alerts_once_and_recovers_once(
    make: Make, store: Any, clock: ManualClock, receiver: HttpReceiver
) -> None:
    engine = make("  - {name: freshness, on: [sla.missed], channels: [hook]}\n")
    expected_by = T0 - timedelta(minutes=5)
    for _ in range(3):  # a watchdog may say it again at each look
        missed = SlaMissed(
            table="silver.orders",
            sla="fresh_2h",
            expected_by=expected_by,
            detail="last commit 3h ago",
        )
        emit(store, clock, missed)
        round_trip(engine)
        clock.advance(timedelta(minutes=10))
    emit(store, clock, SlaRecovered(table="silver.orders", sla="fresh_2h"))
    round_trip(engine)
    emit(store, clock, SlaRecovered(table="silver.orders", sla="fresh_2h"))
    clock.advance(timedelta(minutes=10))
    round_trip(engine)
    sent = bodies(receiver)
    assert [states(b) for b in sent] == [
        [("firing", "sla:fresh_2h:silver.orders")],
        [("resolved", "sla:fresh_2h:silver.orders")],
    ]
    assert "SLA fresh_2h missed by silver.orders: last commit 3h ago" in sent[0]["title"]


def test_check_failures_route_by_severity(
    make: Make, store: Any, clock: ManualClock, receiver: HttpReceiver
) -> None:
    other = HttpReceiver().start()
    try:
        engine = make(
            "  - {name: blocking, on: [check.failed], severity: block, channels: [hook]}\n"
            "  - {name: all_checks, on: [check.failed], channels: [quiet]}\n",
            extra=f'  quiet: {{type: webhook, url: "{other.url}"}}\n',
        )
        common = {"pipeline": "silver", "table": "silver.orders", "check_type": "not_null"}
        emit(store, clock, CheckFailed(**common, check="warned", severity="warn"),
             CheckFailed(**common, check="blocked", severity="block"))  # fmt: skip
        round_trip(engine)
        assert [states(b) for b in bodies(receiver)] == [
            [("firing", "check:silver.orders:blocked")]
        ]
        assert [len(r.json()["alerts"]) for r in other.delivered()] == [2]
    finally:
        other.stop()


def test_the_message_names_what_is_downstream_of_the_failure(
    make: Make, store: Any, clock: ManualClock, receiver: HttpReceiver
) -> None:
    record_lineage(store)
    CatalogRepo(store).register(
        TableDefinition("prod", "gold", "daily_revenue", "lake/gold/daily_revenue", owner="finance")
    )
    engine = make("  - {name: checks, on: [check.failed], channels: [hook]}\n")
    emit(store, clock, CheckFailed(pipeline="silver", table="silver.orders", check="nn",
                                   check_type="not_null", severity="error"))  # fmt: skip
    round_trip(engine)
    [body] = bodies(receiver)
    [item] = body["alerts"]
    assert item["tables"] == ["silver.orders"]
    assert item["downstream"] == [
        {"table": "gold.daily_revenue", "depth": 1, "pipeline": "gold", "owner": "finance"},
        {"table": "gold.weekly_report", "depth": 2, "pipeline": "report", "owner": None},
    ]
    assert (
        "downstream: gold.daily_revenue (pipeline gold, owner finance), "
        "gold.weekly_report (pipeline report)"
    ) in body["text"]


def test_a_run_failure_is_traced_from_the_tables_its_pipeline_writes(
    make: Make, store: Any, clock: ManualClock, receiver: HttpReceiver
) -> None:
    record_lineage(store)
    engine = make(FAILURES)
    emit(store, clock, failed("ingest_orders"))
    round_trip(engine)
    [item] = bodies(receiver)[0]["alerts"]
    assert item["tables"] == ["raw.orders"]
    assert [d["table"] for d in item["downstream"]] == [
        "silver.orders",
        "gold.daily_revenue",
        "gold.weekly_report",
    ]


def test_the_rate_limit_holds_messages_then_sends_one_summary(
    make: Make, store: Any, clock: ManualClock, receiver: HttpReceiver
) -> None:
    engine = make(
        "  - {name: failures, on: [run.failed], channels: [hook], group_window: 0s}\n",
        extra="rate_limit: 2\n",
    )
    for pipeline in ("ingest_orders", "silver", "gold", "report"):
        emit(store, clock, failed(pipeline))
        round_trip(engine)
        clock.advance(60)
    assert [states(b) for b in bodies(receiver)] == [
        [("firing", "run:ingest_orders")],
        [("firing", "run:silver")],
    ]
    clock.advance(timedelta(minutes=57))
    round_trip(engine)
    summary = bodies(receiver)[2]
    assert summary["kind"] == "summary"
    assert summary["held"] == [
        "[shop/prod] FIRING run.failed — pipeline gold failed: gold broke",
        "[shop/prod] FIRING run.failed — pipeline report failed: report broke",
    ]
    round_trip(engine)
    assert len(bodies(receiver)) == 3


def test_an_event_handled_again_changes_nothing(
    make: Make, store: Any, clock: ManualClock, receiver: HttpReceiver
) -> None:
    engine = make(FAILURES)
    emit(store, clock, failed("silver"), failed("silver"))
    round_trip(engine)
    store.events.reset_cursor("alerts", 0)  # as after a crash before the cursor moved
    clock.advance(timedelta(hours=1))
    round_trip(engine)
    assert len(bodies(receiver)) == 1
    alert = AlertRepo(store).latest("failures", "run:silver")
    assert alert is not None and alert.occurrences == 2


def test_history_before_alerts_were_turned_on_is_not_alerted_but_downtime_is(
    make: Make, store: Any, clock: ManualClock, receiver: HttpReceiver, tmp_path: Path
) -> None:
    emit(store, clock, failed("silver"))  # months of history, before any alert rule
    first = make(FAILURES)
    round_trip(first)
    assert bodies(receiver) == []
    emit(store, clock, failed("gold"))  # while the engine is down
    second = make(FAILURES, root=tmp_path / "again")
    round_trip(second)
    assert [states(b) for b in bodies(receiver)] == [[("firing", "run:gold")]]


def test_a_new_engine_on_the_same_store_resumes_without_resending(
    make: Make, store: Any, clock: ManualClock, receiver: HttpReceiver, tmp_path: Path
) -> None:
    first = make(FAILURES)
    emit(store, clock, failed("silver"))
    round_trip(first)
    second = make(FAILURES, root=tmp_path / "again")
    clock.advance(timedelta(minutes=10))
    round_trip(second)
    emit(store, clock, failed("silver"))  # still firing: a repeat, not a new alert
    round_trip(second)
    assert len(bodies(receiver)) == 1
    emit(store, clock, RunSucceeded(pipeline="silver"))
    round_trip(second)
    assert [states(b) for b in bodies(receiver)][1] == [("resolved", "run:silver")]
