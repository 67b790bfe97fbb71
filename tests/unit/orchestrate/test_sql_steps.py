"""``sql`` steps end to end: SQL file → DuckDB → staged Parquet → one Delta commit, with
lineage, run records and events; and the errors a data engineer meets on the way."""

from __future__ import annotations

from typing import Any

import pytest

from sluiceway.events import EventLog
from sluiceway.meta.runs import RunRepo
from sluiceway.sql.errors import SqlError
from unit.lake.lake_support import rows

SILVER = """
name: silver
params: {country: fr}
steps:
  - name: totals
    type: sql
    sql: sql/totals.sql
    table: gold.totals
    materialization: overwrite
  - name: orders
    type: sql
    sql: sql/orders.sql
    table: silver.orders
    materialization: {type: merge, keys: [order_id]}
"""


def test_steps_run_in_dependency_order_and_commit_with_lineage(seeded) -> None:
    seeded.write("pipelines/silver.yaml", SILVER)
    seeded.write(
        "sql/orders.sql",
        """
        SELECT order_id, customer_id, amount
        FROM raw.orders
        WHERE country = '{{ params.country }}'
        """,
    )
    seeded.write(
        "sql/totals.sql",
        "SELECT customer_id, sum(amount) AS total FROM silver.orders GROUP BY customer_id\n",
    )
    report = seeded.run("silver")
    assert report.status == "succeeded", report.steps
    # totals is declared first but reads silver.orders, so it runs second.
    assert [s.step for s in report.steps] == ["orders", "totals"]
    lake = seeded.lake()
    orders = lake.table("silver.orders").read()
    assert rows(orders) == [
        {"order_id": 1, "customer_id": 10, "amount": 5.0},
        {"order_id": 2, "customer_id": 10, "amount": 7.5},
        {"order_id": 4, "customer_id": 30, "amount": 1.25},
    ]
    assert set(orders.column("_sw_source").to_pylist()) == {"raw.orders@0"}
    assert set(orders.column("_sw_run_id").to_pylist()) == {report.run_id}
    totals = lake.table("gold.totals").read()
    assert rows(totals) == [{"customer_id": 10, "total": 12.5}, {"customer_id": 30, "total": 1.25}]
    assert set(totals.column("_sw_source").to_pylist()) == {"silver.orders@0"}

    steps = RunRepo(seeded.store).steps(report.run_id)
    assert [(s.step, s.status, s.batch, s.rows_out) for s in steps] == [
        ("orders", "succeeded", 1, 3),
        ("totals", "succeeded", 1, 2),
    ]
    events = EventLog(seeded.store).read(types=None, limit=100)
    assert [e.type for e in events if e.run_id == report.run_id] == [
        "run.started",
        "step.started",
        "table.committed",
        "step.succeeded",
        "step.started",
        "table.committed",
        "step.succeeded",
        "run.succeeded",
    ]


def test_a_second_run_takes_the_next_batch(seeded) -> None:
    seeded.write("pipelines/silver.yaml", SILVER)
    seeded.write("sql/orders.sql", "SELECT order_id, customer_id, amount FROM raw.orders\n")
    seeded.write("sql/totals.sql", "SELECT count(*) AS n FROM silver.orders\n")
    first, second = seeded.run("silver"), seeded.run("silver")
    assert first.status == second.status == "succeeded"
    batches = [s.batch for s in RunRepo(seeded.store).steps(second.run_id)]
    assert batches == [2, 2]
    assert seeded.lake().table("silver.orders").count() == 4  # merged, not duplicated


def test_params_from_the_run_override_the_pipelines(seeded) -> None:
    seeded.write("pipelines/silver.yaml", SILVER)
    seeded.write(
        "sql/orders.sql",
        "SELECT order_id, customer_id, amount FROM raw.orders "
        "WHERE country = {{ params.country | sql }}\n",
    )
    seeded.write("sql/totals.sql", "SELECT count(*) AS n FROM silver.orders\n")
    report = seeded.run("silver", params={"country": "de"}, steps=["orders"])
    assert report.status == "succeeded"
    assert [s.step for s in report.steps] == ["orders"]
    assert seeded.lake().table("silver.orders").read().column("order_id").to_pylist() == [3]


def _failed_error(report: Any) -> str:
    failed = [s for s in report.steps if s.status == "failed"]
    assert failed, report.steps
    return str(failed[0].error)


def test_unknown_table_fails_the_step_naming_the_closest_table(seeded) -> None:
    seeded.write(
        "pipelines/gold.yaml",
        """
        name: gold
        steps:
          - {name: a, type: sql, query: "SELECT * FROM raw.order", table: gold.a}
          - {name: b, type: sql, query: "SELECT * FROM gold.a", table: gold.b}
          - {name: c, type: sql, query: "SELECT 1 AS x", table: gold.c}
        """,
    )
    with pytest.raises(SqlError, match=r"raw\.order.*raw\.orders"):
        seeded.run("gold")


def test_a_failing_step_skips_its_downstream_but_not_independent_steps(seeded) -> None:
    seeded.write(
        "pipelines/gold.yaml",
        """
        name: gold
        steps:
          - {name: a, type: sql, query: "SELECT 1 / 0 AS x, error('boom') AS y", table: gold.a}
          - {name: b, type: sql, query: "SELECT * FROM gold.a", table: gold.b}
          - {name: c, type: sql, query: "SELECT 1 AS x", table: gold.c}
        """,
    )
    report = seeded.run("gold")
    assert report.status == "failed"
    status = {s.step: s.status for s in report.steps}
    assert status == {"a": "failed", "b": "skipped", "c": "succeeded"}
    assert "boom" in _failed_error(report)
    run = RunRepo(seeded.store).require(report.run_id)
    assert run.status == "failed" and "boom" in (run.error or "")
    assert not seeded.lake().table("gold.a").exists()


def test_syntax_error_points_at_the_file_line_and_column(seeded) -> None:
    seeded.write(
        "pipelines/gold.yaml",
        "name: gold\nsteps:\n  - {name: a, type: sql, sql: sql/a.sql, table: gold.a}\n",
    )
    seeded.write(
        "sql/a.sql", "SELECT order_id,\n       amount\nFROM raw.orders\nWHERE amount >> \n"
    )
    with pytest.raises(SqlError) as caught:
        seeded.run("gold")
    text = str(caught.value)
    assert text.startswith("sql/a.sql:4:")
    assert "^" in text


def test_a_statement_that_is_not_a_query_is_refused(seeded) -> None:
    seeded.write(
        "pipelines/gold.yaml",
        "name: gold\nsteps:\n"
        "  - {name: a, type: sql, query: 'DROP TABLE raw.orders', table: gold.a}\n",
    )
    with pytest.raises(SqlError, match="not a query"):
        seeded.run("gold")
    assert seeded.lake().table("raw.orders").count() == 4


def test_a_step_cannot_read_files_through_sql(seeded, tmp_path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("a\n1\n")
    seeded.write(
        "pipelines/gold.yaml",
        "name: gold\nsteps:\n  - {name: a, type: sql, sql: sql/a.sql, table: gold.a}\n",
    )
    seeded.write("sql/a.sql", f"SELECT * FROM read_csv('{secret}')\n")
    with pytest.raises(SqlError) as caught:
        seeded.run("gold")
    assert str(caught.value).startswith("sql/a.sql:1:15: table function read_csv() is not allowed")
    assert not seeded.lake().table("gold.a").exists()


def test_run_partition_renders_the_partition_and_is_an_error_without_one(seeded) -> None:
    seeded.write(
        "pipelines/daily.yaml",
        "name: daily\nsteps:\n  - {name: part, type: sql, sql: sql/part.sql, table: gold.part}\n",
    )
    seeded.write(
        "sql/part.sql",
        "SELECT order_id FROM raw.orders\nWHERE country = '{{ run.partition }}'\n",
    )
    report = seeded.run("daily", partition="fr")
    assert report.status == "succeeded", report.steps
    ids = seeded.lake().table("gold.part").read().column("order_id").to_pylist()
    assert sorted(ids) == [1, 2, 4]
    # Without --partition the SQL does not silently compare with 'None'.
    with pytest.raises(SqlError) as caught:
        seeded.run("daily")
    error = caught.value
    assert (error.path, error.line, error.column) == ("sql/part.sql", 2, 21)
    assert "run.partition is not set: this run has no partition" in error.message
    assert "--partition" in (error.hint or "")
