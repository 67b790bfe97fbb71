"""``materialization: view``: the SQL is kept in the catalog and read through every reader."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sluiceway.cli.context import state
from sluiceway.cli.main import run
from sluiceway.events import EventLog
from sluiceway.spec import SpecError
from unit.lake.lake_support import rows

PIPELINE = """
name: gold
steps:
  - name: french
    type: sql
    query: SELECT order_id, customer_id, amount FROM raw.orders WHERE country = 'fr'
    table: gold.french_orders
    materialization: view
  - name: big_french
    type: sql
    query: SELECT * FROM gold.french_orders WHERE amount > 2
    table: gold.big_french_orders
    materialization: view
  - name: totals
    type: sql
    query: >
      SELECT f.customer_id, sum(f.amount) AS total
      FROM gold.big_french_orders AS f GROUP BY ALL ORDER BY 1
    table: gold.french_totals
"""


def test_a_view_is_defined_then_read_by_steps_and_queries(seeded: Any, capsys: Any) -> None:
    seeded.write("pipelines/gold.yaml", PIPELINE)
    report = seeded.run("gold")
    assert report.status == "succeeded", report.steps
    assert [s.step for s in report.steps] == ["french", "big_french", "totals"]
    lake = seeded.lake()
    view = lake.table("gold.french_orders")
    assert view.is_view and not view.exists()  # nothing stored in the lake
    assert "raw.orders" in (view.view_sql or "")
    assert rows(lake.table("gold.french_totals").read()) == [
        {"customer_id": 10, "total": 12.5}  # 5.0 + 7.5; order 4 (1.25) is not above 2
    ]
    # The stored table records the tables it really read, through both views.
    sources = lake.table("gold.french_totals").read().column("_sw_source").to_pylist()
    assert set(sources) == {"raw.orders@0"}
    events = EventLog(seeded.store).read(types=["view.defined"], limit=10)
    assert [(e.table, e.payload()["reads"]) for e in events] == [
        ("gold.french_orders", ["raw.orders"]),
        ("gold.big_french_orders", ["raw.orders"]),
    ]

    # A view reflects its tables when read, not when defined.
    seeded.seed("raw.orders", seeded_row(order_id=5, amount=9.0), batch=2)
    state._project = None
    base = ["--project", str(seeded.root)]
    capsys.readouterr()
    sql = "SELECT count(*) AS n, sum(amount) AS total FROM gold.big_french_orders"
    assert run([*base, "query", sql, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"n": 3, "total": 21.5}]
    assert run([*base, "show", "gold.french_orders", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert sorted(r["order_id"] for r in shown["rows"]) == [1, 2, 4, 5]
    assert run([*base, "query", "SELECT * FROM gold.french_orders@v1"]) == 2
    assert "is a view: it has no versions" in capsys.readouterr().err


def seeded_row(**values: Any) -> Any:
    import pyarrow as pa

    row = {"order_id": 0, "customer_id": 10, "amount": 0.0, "country": "fr", **values}
    return pa.table(
        {
            "order_id": pa.array([row["order_id"]], pa.int64()),
            "customer_id": pa.array([row["customer_id"]], pa.int64()),
            "amount": pa.array([row["amount"]]),
            "country": [row["country"]],
        }
    )


def test_checks_and_incremental_on_a_view_are_refused(seeded: Any) -> None:
    seeded.write(
        "pipelines/gold.yaml",
        """
        name: gold
        steps:
          - name: french
            type: sql
            query: SELECT * FROM raw.orders
            table: gold.french_orders
            materialization: view
            checks: [{type: row_count, min: 1}]
        """,
    )
    with pytest.raises(SpecError, match="a view stores no rows to check"):
        seeded.project()


def test_a_view_cannot_replace_a_stored_table(seeded: Any) -> None:
    seeded.seed("gold.french_orders", seeded_row(order_id=9))
    seeded.write("pipelines/gold.yaml", PIPELINE)
    report = seeded.run("gold")
    french = next(s for s in report.steps if s.step == "french")
    assert french.status == "failed"
    assert "gold.french_orders is a stored table; it cannot become a view" in (french.error or "")
    assert seeded.lake().table("gold.french_orders").count() == 1  # the table is untouched
