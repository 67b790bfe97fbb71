"""Column lineage is recorded on each commit and walked by ``sluiceway lineage``."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from sluiceway.cli.context import state
from sluiceway.cli.main import app
from sluiceway.meta.lineage import Edge, LineageRepo

PIPELINE = """
name: gold
steps:
  - name: totals
    type: sql
    query: |
      SELECT o.customer_id, sum(o.amount) AS total, count(*) AS orders
      FROM raw.orders AS o
      WHERE o.country IN (SELECT country FROM raw.countries)
      GROUP BY ALL
    table: gold.totals
  - name: ranked
    type: sql
    query: SELECT customer_id, total * 2 AS doubled FROM gold.totals
    table: gold.ranked
"""


def test_each_commit_records_its_column_lineage(seeded) -> None:
    import pyarrow as pa

    seeded.write(
        "pipelines/raw.yaml",
        "name: raw\nsteps:\n"
        "  - {name: o, type: sql, query: SELECT 1 AS order_id, table: raw.orders}\n"
        "  - {name: c, type: sql, query: SELECT 'fr' AS country, table: raw.countries}\n",
    )
    seeded.seed("raw.countries", pa.table({"country": ["fr"]}))
    seeded.write("pipelines/gold.yaml", PIPELINE)
    assert seeded.run("gold").status == "succeeded"
    repo = LineageRepo(seeded.store)
    assert repo.upstream("prod", "gold.totals") == [
        Edge("gold.totals", None, "raw.countries", None),  # read, but no column flows out
        Edge("gold.totals", "customer_id", "raw.orders", "customer_id"),
        Edge("gold.totals", "total", "raw.orders", "amount"),
    ]
    assert repo.downstream("prod", "gold.totals") == [
        Edge("gold.ranked", "customer_id", "gold.totals", "customer_id"),
        Edge("gold.ranked", "doubled", "gold.totals", "total"),
    ]


def test_the_command_walks_columns_across_tables(seeded, monkeypatch) -> None:
    seeded.write(
        "pipelines/gold.yaml",
        PIPELINE.replace("      WHERE o.country IN (SELECT country FROM raw.countries)\n", ""),
    )
    assert seeded.run("gold").status == "succeeded"
    runner = CliRunner()
    project = ["--project", str(seeded.root)]
    # The CLI's state is module-wide: restore it after the test.
    for name in ("project_dir", "env", "_project"):
        monkeypatch.setattr(state, name, getattr(state, name))
    monkeypatch.setattr(state, "_store", seeded.store)  # the fixture's open store
    up = runner.invoke(app, [*project, "lineage", "gold.ranked", "--column", "doubled"])
    assert up.exit_code == 0, up.output
    assert up.output.split() == [
        "gold.ranked.doubled",
        "└──",
        "gold.totals.total",
        "└──",
        "raw.orders.amount",
    ]
    down = runner.invoke(app, [*project, "lineage", "raw.orders", "--downstream", "--json"])
    edges = json.loads(down.output)
    assert {(e["table"], e["column"]) for e in edges} == {
        ("gold.totals", "customer_id"),
        ("gold.totals", "total"),
        ("gold.ranked", "customer_id"),
        ("gold.ranked", "doubled"),
    }
