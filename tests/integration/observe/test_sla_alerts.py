"""A table not committed in time, end to end on a hand-moved clock: the SLA watchdog sees
the breach, the alert engine sends one alert however long the breach lasts, and one
resolution once a commit arrives — to a real HTTP receiver."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sluiceway.events import emit
from sluiceway.events.types import TableCommitted
from sluiceway.meta.store import MetaStore
from sluiceway.observe.alerts import AlertEngine
from sluiceway.observe.alerts.delivery import DeliveryPolicy
from sluiceway.observe.sla import SlaWatchdog
from sluiceway.orchestrate.triggers.clock import ManualClock
from sluiceway.spec.project import load_project
from support.receivers import HttpReceiver
from support.triggers import events_of

PIPELINE = """
name: silver
tables:
  silver.orders:
    sla: {fresh_within: 2h}
steps:
  - {name: orders, type: sql, query: "SELECT 1 AS x", table: silver.orders}
"""


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    server = HttpReceiver().start()
    yield server
    server.stop()


def test_a_late_table_raises_one_sla_alert_and_one_resolution(
    store: MetaStore, tmp_path: Path, receiver: HttpReceiver
) -> None:
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "sluiceway.yaml").write_text(
        "name: shop\nalerts:\n"
        f'  channels: {{hook: {{type: webhook, url: "{receiver.url}"}}}}\n'
        "  rules: [{name: freshness, on: [sla.missed], channels: [hook]}]\n",
        encoding="utf-8",
    )
    (tmp_path / "pipelines" / "silver.yaml").write_text(PIPELINE, encoding="utf-8")
    project = load_project(tmp_path, environ={})
    clock = ManualClock(datetime(2026, 1, 5, 12, tzinfo=UTC))
    emit(store, TableCommitted(table="silver.orders", version=1, operation="append",
                               time=datetime(2026, 1, 5, 11, tzinfo=UTC)))  # fmt: skip
    engine = AlertEngine(project, store, clock=clock, policy=DeliveryPolicy(first_backoff=0.01))
    watchdog = SlaWatchdog(project, store, clock=clock, interval=30)

    def later(delta: timedelta) -> None:
        """Move the clock, let the watchdog look, then alert and deliver what is due."""
        clock.advance(delta)
        clock.wait_for_sleepers(1)
        engine.run_once()
        engine.deliver_now()

    watchdog.start()
    try:
        clock.wait_for_sleepers(1)
        later(timedelta(minutes=59))
        assert receiver.delivered() == []  # 12:59: still fresh
        later(timedelta(minutes=1))  # 13:00: the commit is two hours old
        for _ in range(8):  # four more hours late: still one alert
            later(timedelta(minutes=30))
        emit(store, TableCommitted(table="silver.orders", version=2, operation="append",
                                   time=clock.now()))  # fmt: skip
        later(timedelta(seconds=30))
        for _ in range(3):  # fresh again, until two hours after this commit
            later(timedelta(minutes=30))
    finally:
        watchdog.stop()
    assert watchdog.last_error is None

    assert len(events_of(store, "sla.missed")) == 1
    assert len(events_of(store, "sla.recovered")) == 1
    sent: list[dict[str, Any]] = [r.json() for r in receiver.delivered()]
    assert [[(a["state"], a["subject"]) for a in body["alerts"]] for body in sent] == [
        [("firing", "sla:fresh_within 2h:silver.orders")],
        [("resolved", "sla:fresh_within 2h:silver.orders")],
    ]
    assert "silver.orders was last committed 2h 0m ago" in sent[0]["title"]
