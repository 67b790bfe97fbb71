"""The daemon's view: every watcher of a project started, fed, and stopped together."""

from __future__ import annotations

import http.client
import time
from datetime import UTC, datetime, timedelta

from sluiceway.orchestrate.triggers import ManualClock, TriggerSettings, watchers_for
from sluiceway.orchestrate.triggers.webhook import WebhookServer
from sluiceway.orchestrate.triggers.webhook_routes import sign
from support.triggers import make_project, wait_for_events

PIPELINES = {
    "orders": """
        - {type: files, glob: 'orders/*.csv'}
        - {type: schedule, cron: '0 6 * * *', timezone: Europe/Paris}
    """,
    "refunds": "- {type: webhook, name: refunds_ready, secret: '${env:REFUNDS_SECRET}'}",
    "silver": "- {type: tables, tables: [silver.x_orders]}",
}


def test_a_projects_watchers_turn_the_outside_world_into_events(
    tmp_path, store, monkeypatch
) -> None:
    monkeypatch.setenv("REFUNDS_SECRET", "hook-secret")
    project = make_project(tmp_path / "project", PIPELINES)
    clock = ManualClock(datetime(2026, 1, 5, 4, tzinfo=UTC))
    watchers = watchers_for(
        project, store, clock=clock, webhook_port=0, settings=TriggerSettings(settle=0.1)
    )
    # The tables trigger needs no watcher: the lake appends table.committed itself.
    assert [w.name for w in watchers] == ["schedule", "files", "webhook"]
    for watcher in watchers:
        watcher.start()
    try:
        landing = tmp_path / "project" / "landing" / "orders"
        landing.mkdir(parents=True, exist_ok=True)
        (landing / "day1.csv").write_text("id\n1\n")

        [webhook] = [w for w in watchers if isinstance(w, WebhookServer)]
        body = b'{"refund": 3}'
        connection = http.client.HTTPConnection("127.0.0.1", webhook.port, timeout=10)
        connection.request(
            "POST",
            "/hooks/refunds_ready",
            body,
            {"X-Sluiceway-Signature": sign("hook-secret", body)},
        )
        assert connection.getresponse().status == 202
        connection.close()

        clock.wait_for_sleepers(1)
        clock.advance(timedelta(hours=2))  # past 06:00 in Paris (05:00 UTC)
        clock.wait_for_sleepers(1)

        [arrived] = wait_for_events(store, "file.arrived", 1)
        [hook] = wait_for_events(store, "webhook.received", 1)
        [tick] = wait_for_events(store, "schedule.tick", 1)
        assert arrived.path == "orders/day1.csv"  # type: ignore[attr-defined]
        assert (hook.source, hook.body) == ("refunds_ready", {"refund": 3})  # type: ignore[attr-defined]
        assert tick.scheduled_for == datetime(2026, 1, 5, 5, tzinfo=UTC)  # type: ignore[attr-defined]
    finally:
        started = time.monotonic()
        for watcher in watchers:
            watcher.stop(timeout=5)
        stopped_in = time.monotonic() - started
    assert stopped_in < 3
