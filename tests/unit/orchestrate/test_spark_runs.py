"""The same pipeline on Spark: ``run --engine spark`` commits what DuckDB would, including
an incremental step's watermark filter."""

from __future__ import annotations

import pyarrow as pa
import pytest

from support.services import require_service
from support.spark import TEST_CONF, probe_spark
from unit.lake.lake_support import rows

pytestmark = [pytest.mark.spark, pytest.mark.slow]

PIPELINE = """
name: silver
steps:
  - name: orders
    type: sql
    sql: sql/orders.sql
    table: silver.orders
    materialization: {type: merge, keys: [order_id]}
    incremental: {by: order_id}
  - name: totals
    type: sql
    query: SELECT customer_id, sum(amount) AS total FROM silver.orders GROUP BY customer_id
    table: gold.totals
"""


def test_a_pipeline_runs_on_spark_with_the_same_results(seeded) -> None:
    require_service("Spark (pyspark and Java)", probe_spark)
    settings = "name: shop\nengines:\n  spark:\n    master: local[2]\n    conf:\n"
    settings += "".join(f"      {k}: '{v}'\n" for k, v in TEST_CONF.items())
    (seeded.root / "sluiceway.yaml").write_text(settings, encoding="utf-8")
    seeded.write("pipelines/silver.yaml", PIPELINE)
    seeded.write(
        "sql/orders.sql",
        "SELECT order_id, customer_id, amount FROM raw.orders WHERE country = 'fr'\n",
    )
    first = seeded.run("silver", engine="spark")
    assert first.status == "succeeded", [s.error for s in first.steps]
    assert {s.outcome.engine for s in first.steps if s.outcome} == {"spark"}
    lake = seeded.lake()
    assert rows(lake.table("gold.totals").read()) == [
        {"customer_id": 10, "total": 12.5},
        {"customer_id": 30, "total": 1.25},
    ]
    more = pa.table(
        {
            "order_id": pa.array([5], pa.int64()),
            "customer_id": pa.array([30], pa.int64()),
            "amount": [2.0],
            "country": ["fr"],
        }
    )
    seeded.seed("raw.orders", more, batch=2)
    second = seeded.run("silver", engine="spark")
    assert second.status == "succeeded", second.steps
    orders_step = next(s for s in second.steps if s.step == "orders")
    assert orders_step.outcome is not None and orders_step.outcome.rows_out == 1  # only order 5
    assert rows(lake.table("gold.totals").read()) == [
        {"customer_id": 10, "total": 12.5},
        {"customer_id": 30, "total": 3.25},
    ]


def test_spark_stages_in_a_shared_folder_when_one_is_set(seeded, tmp_path) -> None:
    """On a cluster, results are staged where every node sees them, then published."""
    require_service("Spark (pyspark and Java)", probe_spark)
    shared = tmp_path / "shared-staging"
    shared.mkdir()
    settings = "name: shop\nengines:\n  spark:\n    master: local[2]\n"
    settings += f"    staging_dir: {shared}\n    conf:\n"
    settings += "".join(f"      {k}: '{v}'\n" for k, v in TEST_CONF.items())
    (seeded.root / "sluiceway.yaml").write_text(settings, encoding="utf-8")
    seeded.write("pipelines/silver.yaml", PIPELINE)
    seeded.write("sql/orders.sql", "SELECT order_id, customer_id, amount FROM raw.orders\n")
    report = seeded.run("silver", engine="spark")
    assert report.status == "succeeded", [s.error for s in report.steps]
    assert seeded.lake().table("silver.orders").count() == 4
    assert list(shared.iterdir()) == []  # every staging folder published, then removed


def test_a_cluster_master_without_a_shared_folder_is_refused_before_starting() -> None:
    from sluiceway.engines.errors import NotSupportedError
    from sluiceway.engines.spark.engine import SparkEngine
    from sluiceway.lake.staged import Output
    from sluiceway.spec.settings import SparkSettings

    engine = SparkEngine(SparkSettings(master="k8s://https://cluster:6443"))
    with pytest.raises(NotSupportedError, match="staging_dir"):
        engine.stage("SELECT 1 AS x", {}, Output(directory="/tmp/nowhere"))
    assert engine._session is None  # refused without starting Spark
