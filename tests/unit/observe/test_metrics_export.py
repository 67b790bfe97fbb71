"""The Prometheus exposition after real runs, on SQLite and PostgreSQL, read back with the
``prometheus_client`` parser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sluiceway.meta.runs import RunRepo
from sluiceway.meta.store import MetaStore
from sluiceway.observe import table_stats
from sluiceway.observe.metrics_export import MetricsCollector, render_metrics
from sluiceway.orchestrate.triggers.clock import ManualClock
from support.metrics import make_shop, parse, record_attempt, value

S = {"pipeline": "silver", "step": "orders"}
R = {"pipeline": "raw", "step": "orders"}


def test_steps_runs_and_tables_after_two_pipelines(store: MetaStore, tmp_path: Path) -> None:
    shop = make_shop(tmp_path / "shop", store)
    assert shop.run("raw").status == "succeeded"
    assert shop.run("silver").status == "succeeded"
    clock = ManualClock(datetime.now(UTC) + timedelta(hours=1))
    types, samples = parse(render_metrics(shop.project(), store, clock=clock))

    # The latest attempt of each step, as its record says.
    [silver_run] = RunRepo(store).recent(pipeline="silver")
    [attempt] = RunRepo(store).steps(silver_run.id)
    assert value(samples, "sluiceway_step_last_rows_out", **R) == 4
    assert value(samples, "sluiceway_step_last_rows_out", **S) == 3
    assert value(samples, "sluiceway_step_last_files_written", **S) == 1
    assert value(samples, "sluiceway_step_last_bytes_written", **S) == shop.data_bytes(
        "silver.orders"
    )
    assert value(samples, "sluiceway_step_last_cpu_seconds", **S) == attempt.metrics["cpu_s"]
    assert value(samples, "sluiceway_step_last_peak_memory_bytes", **S) == pytest.approx(
        attempt.metrics["peak_rss_mb"] * 1024 * 1024
    )
    assert attempt.started_at is not None and attempt.finished_at is not None
    wall = (attempt.finished_at - attempt.started_at).total_seconds()
    assert value(samples, "sluiceway_step_last_duration_seconds", **S) == pytest.approx(wall)
    assert value(samples, "sluiceway_step_last_success", **S) == 1
    assert value(samples, "sluiceway_step_last_rows_in", **S) is None  # not recorded: absent
    assert types["sluiceway_step_last_rows_out"] == "gauge"

    # Counters and the histogram.
    assert types["sluiceway_step_runs"] == "counter"
    assert value(samples, "sluiceway_step_runs_total", **S, status="succeeded") == 1
    assert value(samples, "sluiceway_step_rows_out_total", **S) == 3
    assert types["sluiceway_step_duration_seconds"] == "histogram"
    assert value(samples, "sluiceway_step_duration_seconds_count", **S) == 1
    assert value(samples, "sluiceway_step_duration_seconds_bucket", **S, le="+Inf") == 1
    assert value(samples, "sluiceway_runs_total", pipeline="silver", status="succeeded") == 1
    assert value(samples, "sluiceway_runs_queued", pipeline="silver") == 0
    assert value(samples, "sluiceway_runs_running", pipeline="raw") == 0

    # Per table: from the Delta log and the event log.
    table = {"table": "silver.orders"}
    assert value(samples, "sluiceway_table_version", **table) == 0
    assert value(samples, "sluiceway_table_rows", **table) == 3
    assert value(samples, "sluiceway_table_files", **table) == 1
    assert value(samples, "sluiceway_table_size_bytes", **table) == shop.data_bytes("silver.orders")
    freshness = value(samples, "sluiceway_table_freshness_seconds", **table)
    assert freshness is not None and 3600 <= freshness < 3600 + 60
    assert value(samples, "sluiceway_table_sla_breached", **table, sla="fresh_within 2h") == 0
    assert value(samples, "sluiceway_table_sla_missed_total", **table) == 0
    info = {"table": "raw.orders", "layer": "raw", "pipeline": "raw", "step": "orders"}
    assert value(samples, "sluiceway_table_info", **info) == 1
    assert all(
        value(samples, "sluiceway_collector_up", collector=c) == 1
        for c in ("steps", "runs", "tables")
    )

    # Three hours on, the SLA is breached; another run moves every counter.
    clock.advance(timedelta(hours=2))
    _, later = parse(render_metrics(shop.project(), store, clock=clock))
    assert value(later, "sluiceway_table_sla_breached", **table, sla="fresh_within 2h") == 1
    assert shop.run("silver").status == "succeeded"
    _, again = parse(render_metrics(shop.project(), store))  # now: just committed
    assert value(again, "sluiceway_step_runs_total", **S, status="succeeded") == 2
    assert value(again, "sluiceway_step_rows_out_total", **S) == 6
    assert value(again, "sluiceway_step_duration_seconds_count", **S) == 2
    assert value(again, "sluiceway_table_version", **table) == 1
    assert value(again, "sluiceway_table_sla_breached", **table, sla="fresh_within 2h") == 0


def test_a_failed_step_is_counted_and_its_missing_figures_are_left_out(
    store: MetaStore, tmp_path: Path
) -> None:
    shop = make_shop(tmp_path / "shop", store)
    shop.run("raw")
    shop.add(
        "broken",
        """
        name: broken
        steps:
          - {name: boom, type: sql, query: SELECT no_such_column FROM raw.orders, table: gold.boom}
        """,
    )
    assert shop.run("broken").status == "failed"
    _, samples = parse(render_metrics(shop.project(), store))
    boom = {"pipeline": "broken", "step": "boom"}
    assert value(samples, "sluiceway_step_runs_total", **boom, status="failed") == 1
    assert value(samples, "sluiceway_step_last_success", **boom) == 0
    assert value(samples, "sluiceway_step_last_rows_out", **boom) is None
    assert value(samples, "sluiceway_step_last_success_timestamp_seconds", **boom) is None
    assert value(samples, "sluiceway_step_last_duration_seconds", **boom) is not None
    assert value(samples, "sluiceway_runs_total", pipeline="broken", status="failed") == 1
    # Never committed: described, but no version, size or freshness is made up.
    assert value(samples, "sluiceway_table_version", table="gold.boom") is None
    assert value(samples, "sluiceway_table_freshness_seconds", table="gold.boom") is None
    assert value(samples, "sluiceway_table_info", table="gold.boom", layer="gold",
                 pipeline="broken", step="boom") == 1  # fmt: skip


def test_rows_read_and_quarantined_are_exported_once_steps_record_them(
    store: MetaStore, tmp_path: Path
) -> None:
    shop = make_shop(tmp_path / "shop", store)
    record_attempt(store, "silver", "orders", rows_in=10, rows_out=8, rows_quarantined=2)
    record_attempt(store, "silver", "orders", rows_in=5, rows_out=5, rows_quarantined=0)
    _, samples = parse(render_metrics(shop.project(), store))
    assert value(samples, "sluiceway_step_last_rows_in", **S) == 5
    assert value(samples, "sluiceway_step_last_rows_quarantined", **S) == 0
    assert value(samples, "sluiceway_step_rows_in_total", **S) == 15
    assert value(samples, "sluiceway_step_rows_out_total", **S) == 13
    assert value(samples, "sluiceway_step_rows_quarantined_total", **S) == 2
    assert value(samples, "sluiceway_step_runs_total", **S, status="succeeded") == 2


def test_table_statistics_are_read_again_only_after_the_table_changed(
    store: MetaStore, tmp_path: Path
) -> None:
    shop = make_shop(tmp_path / "shop", store)
    shop.run("raw")
    shop.run("silver")
    collector = MetricsCollector(shop.project, store)
    collector.collect()
    assert collector.stats.reads == 2  # raw.orders and silver.orders
    collector.collect()
    collector.collect()
    assert collector.stats.reads == 2
    shop.run("silver")
    _, samples = parse(collector.render())
    assert collector.stats.reads == 3
    assert value(samples, "sluiceway_table_version", table="silver.orders") == 1


def test_a_part_that_fails_is_reported_and_the_others_are_still_served(
    store: MetaStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = make_shop(tmp_path / "shop", store)
    shop.run("raw")

    def unreachable(*args: object) -> None:
        raise OSError("the lake's bucket cannot be reached")

    monkeypatch.setattr(table_stats, "read_stats", unreachable)
    _, samples = parse(render_metrics(shop.project(), store))
    assert value(samples, "sluiceway_collector_up", collector="tables") == 0
    assert value(samples, "sluiceway_collector_up", collector="steps") == 1
    assert value(samples, "sluiceway_step_last_rows_out", **R) == 4


def test_the_run_queue_counts_waiting_runs_from_when_they_were_ready(
    store: MetaStore, tmp_path: Path
) -> None:
    shop = make_shop(tmp_path / "shop", store)
    runs = RunRepo(store)
    start = datetime.now(UTC)
    runs.create("silver")
    runs.create("silver")
    runs.create("raw", not_before=start + timedelta(hours=1))  # a debounce window still open
    clock = ManualClock(start + timedelta(minutes=10))
    _, samples = parse(render_metrics(shop.project(), store, clock=clock))
    assert value(samples, "sluiceway_runs_queued", pipeline="silver") == 2
    assert value(samples, "sluiceway_runs_queued", pipeline="raw") == 1
    oldest = value(samples, "sluiceway_run_queue_oldest_seconds", pipeline="silver")
    assert oldest is not None and 595 <= oldest <= 600
    assert value(samples, "sluiceway_run_queue_oldest_seconds", pipeline="raw") == 0
