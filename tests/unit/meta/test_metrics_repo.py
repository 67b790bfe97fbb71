"""Metric points: recorded and queried by name, subject, time and labels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sluiceway.meta.metrics import MetricPoint

T0 = datetime(2024, 5, 1, tzinfo=UTC)


def _points() -> list[MetricPoint]:
    return [
        MetricPoint("rows", "silver.orders", float(v), {"env": env}, "r1", T0 + timedelta(hours=h))
        for h, (v, env) in enumerate([(10, "prod"), (12, "prod"), (11, "dev"), (40, "prod")])
    ]


def test_record_returns_ids_and_query_orders_by_time(store) -> None:
    recorded = store.metrics.record(list(reversed(_points())))
    assert all(p.id is not None for p in recorded)
    values = [p.value for p in store.metrics.query("rows", "silver.orders")]
    assert values == [10.0, 12.0, 11.0, 40.0]


def test_query_by_time_range_and_labels(store) -> None:
    store.metrics.record(_points())
    window = store.metrics.query(
        "rows", since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=3)
    )
    assert [p.value for p in window] == [12.0, 11.0]
    prod = store.metrics.query("rows", "silver.orders", labels={"env": "prod"})
    assert [p.value for p in prod] == [10.0, 12.0, 40.0]
    assert store.metrics.query("rows", "gold.other") == []


def test_recent_and_latest(store) -> None:
    store.metrics.record(_points())
    store.metrics.record([MetricPoint("seconds", "orders.load", 1.5, time=T0)])
    assert [p.value for p in store.metrics.recent("rows", "silver.orders", 2)] == [11.0, 40.0]
    latest = store.metrics.latest("rows", "silver.orders")
    assert latest is not None and latest.time == T0 + timedelta(hours=3)
    assert latest.labels == {"env": "prod"} and latest.run_id == "r1"
    assert store.metrics.latest("rows", "nothing") is None
