"""After a commit: the profile of its new rows is stored, metrics recorded, anomalies raised."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sluiceway.events import EventLog
from sluiceway.meta.metrics import MetricPoint, MetricRepo
from sluiceway.meta.models import utcnow
from sluiceway.meta.profiles import ProfileRepo
from sluiceway.quality import metrics
from sluiceway.quality.watch import judge_points

STEP = """
name: silver
steps:
  - name: orders
    type: sql
    query: SELECT order_id, amount, country, NULL::VARCHAR AS note FROM raw.orders
    table: silver.orders
    materialization: append
"""


def test_each_commit_stores_a_profile_and_its_metrics(seeded: Any) -> None:
    seeded.write("pipelines/silver.yaml", STEP)
    report = seeded.run("silver")
    assert report.status == "succeeded", report.steps
    [stored] = ProfileRepo(seeded.store).history("prod", "silver.orders")
    assert (stored.rows, stored.sampled_rows, stored.delta_version) == (4, 4, 0)
    columns = {c["name"]: c for c in stored.columns}
    assert set(columns) == {"order_id", "amount", "country", "note"}  # no lineage columns
    assert (columns["amount"]["min"], columns["amount"]["max"]) == (1.25, 20.0)
    assert columns["amount"]["mean"] == 33.75 / 4
    assert columns["country"]["top"] == [["fr", 3], ["de", 1]]
    assert (columns["note"]["nulls"], columns["note"]["null_fraction"]) == (4, 1.0)
    assert (columns["country"]["min_length"], columns["country"]["max_length"]) == (2, 2)
    distinct = {name: column["distinct"] for name, column in columns.items()}
    assert distinct == {"order_id": 4, "amount": 4, "country": 2, "note": 0}  # NULL no value

    repo = MetricRepo(seeded.store)
    assert [p.value for p in repo.query(metrics.ROWS_ADDED, "silver.orders")] == [4]
    assert [p.value for p in repo.query(metrics.NULL_FRACTION, "silver.orders.note")] == [1.0]
    assert len(repo.query(metrics.STEP_DURATION, "silver.orders")) == 1

    seeded.run("silver")  # a second commit: now the lag since the first is known
    assert len(repo.query(metrics.COMMIT_LAG, "silver.orders")) == 1
    assert len(ProfileRepo(seeded.store).history("prod", "silver.orders")) == 2


def test_a_point_out_of_its_series_raises_one_anomaly(seeded: Any) -> None:
    repo = MetricRepo(seeded.store)
    start = utcnow() - timedelta(days=30)
    repo.record(
        [
            MetricPoint(
                metrics.ROWS_ADDED,
                "raw.orders",
                1000 + (i % 3) * 10,
                time=start + timedelta(days=i),
            )
            for i in range(28)
        ]
    )
    normal = MetricPoint(metrics.ROWS_ADDED, "raw.orders", 1010, run_id="r1")
    assert judge_points(seeded.store, [normal], table="raw.orders") == []
    spike = MetricPoint(
        metrics.ROWS_ADDED, "raw.orders", 50_000, run_id="r2", time=utcnow() + timedelta(hours=1)
    )
    [event] = judge_points(seeded.store, [spike], table="raw.orders", pipeline="ingest_orders")
    assert (event.metric, event.subject, event.value) == ("table.rows_added", "raw.orders", 50_000)
    assert event.expected is not None and 1000 <= event.expected <= 1020
    assert event.message is not None and "above the expected" in event.message
    [logged] = EventLog(seeded.store).read(types=["anomaly.detected"], limit=10)
    assert (logged.table, logged.run_id) == ("raw.orders", "r2")
    assert len(repo.query(metrics.ROWS_ADDED, "raw.orders")) == 30  # both points kept
