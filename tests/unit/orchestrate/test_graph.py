"""The project-wide graph: steps and tables across pipelines, pipeline order, cycles."""

from __future__ import annotations

from pathlib import Path

import pytest

from sluiceway.errors import UsageError
from sluiceway.meta.catalog import TableDefinition
from sluiceway.orchestrate.graph import Feed, Node, downstream, focus, upstream
from sluiceway.orchestrate.graph_build import build_graph
from sluiceway.spec.project import load_project
from sluiceway.sql.errors import SqlError

# File names sort gold before silver: the pipeline order comes from the tables, not files.
SHOP = {
    "pipelines/a_gold.yaml": """
        name: gold
        steps:
          - name: daily
            type: sql
            query: |
              SELECT o.order_id, s.score
              FROM silver.orders AS o JOIN silver.scores AS s USING (order_id)
            table: gold.daily
          - {name: audit, type: check, table: gold.daily}
        """,
    "pipelines/silver.yaml": """
        name: silver
        params: {country: fr}
        steps:
          - name: orders
            type: sql
            query: SELECT * FROM raw.orders WHERE country = {{ params.country | sql }}
            table: silver.orders
          - name: scores
            type: python
            function: score.py:score
            inputs: [silver.orders]
            table: silver.scores
        """,
    "python/score.py": """
        def score(orders):
            return orders
        """,
}


def _write(workspace, files: dict[str, str]) -> None:
    for path, text in files.items():
        workspace.write(path, text)


def test_steps_of_different_pipelines_meet_at_the_tables_they_share(workspace) -> None:
    _write(workspace, SHOP)
    graph = build_graph(workspace.project())

    assert graph.pipelines == ("raw", "silver", "gold")
    assert list(graph.steps) == [
        "raw.orders",
        "silver.orders",
        "silver.scores",
        "gold.daily",
        "gold.audit",
    ]
    edges = {(e.source.id, e.target.id, e.kind) for e in graph.edges()}
    assert ("table:raw.orders", "step:silver.orders", "reads") in edges
    assert ("step:silver.orders", "table:silver.orders", "writes") in edges
    assert ("table:silver.orders", "step:silver.scores", "reads") in edges
    assert ("table:silver.scores", "step:gold.daily", "reads") in edges
    assert ("table:gold.daily", "step:gold.audit", "reads") in edges
    assert graph.feeds == (
        Feed("raw", "silver", ("raw.orders",)),
        Feed("silver", "gold", ("silver.orders", "silver.scores")),
    )
    assert graph.tables["silver.orders"].readers == ("silver.scores", "gold.daily")
    assert graph.pipelines_reading("silver.orders") == ["silver", "gold"]
    assert graph.pipelines_reading("silver.scores") == ["gold"]
    assert graph.pipelines_reading("gold.daily") == ["gold"]  # its own check step
    assert graph.pipelines_reading("gold.nothing") == []


def test_upstream_and_downstream_are_transitive(workspace) -> None:
    _write(workspace, SHOP)
    graph = build_graph(workspace.project())

    assert downstream(graph, "raw.orders") == {
        Node("step", "silver.orders"),
        Node("table", "silver.orders"),
        Node("step", "silver.scores"),
        Node("table", "silver.scores"),
        Node("step", "gold.daily"),
        Node("table", "gold.daily"),
        Node("step", "gold.audit"),
    }
    assert upstream(graph, "silver.scores") == {
        Node("step", "silver.scores"),
        Node("table", "silver.orders"),
        Node("step", "silver.orders"),
        Node("table", "raw.orders"),
        Node("step", "raw.orders"),
    }
    # A name that is both a table and a step (silver.orders) means the table; a Node picks.
    assert Node("step", "silver.orders") in upstream(graph, "silver.orders")
    assert upstream(graph, Node("step", "silver.orders")) == {
        Node("table", "raw.orders"),
        Node("step", "raw.orders"),
    }
    with pytest.raises(UsageError, match=r"no table or step named silver\.order — did you mean"):
        downstream(graph, "silver.order")


def test_a_focused_graph_keeps_only_what_is_upstream_and_downstream(workspace) -> None:
    _write(workspace, SHOP)
    workspace.write(
        "pipelines/other.yaml",
        """
        name: other
        steps:
          - {name: copy, type: sql, query: SELECT * FROM raw.orders, table: silver.copy}
        """,
    )
    workspace.write(
        "pipelines/mix.yaml",
        """
        name: mix
        steps:
          - name: both
            type: sql
            query: SELECT * FROM silver.copy JOIN silver.scores USING (order_id)
            table: gold.mix
        """,
    )
    graph = build_graph(workspace.project())

    around = focus(graph, "silver.scores")
    assert around.pipelines == ("raw", "silver", "gold", "mix")
    assert "other.copy" not in around.steps and "silver.copy" not in around.tables
    # mix.both is downstream; its other input, silver.copy, is neither upstream nor downstream.
    assert around.steps["mix.both"].reads == ("silver.scores",)
    nodes = {f"table:{t}" for t in around.tables} | {f"step:{s}" for s in around.steps}
    assert all(e.source.id in nodes and e.target.id in nodes for e in around.edges())

    pipeline = focus(graph, "other")
    assert pipeline.pipelines == ("raw", "other", "mix")
    assert list(pipeline.steps) == ["raw.orders", "other.copy", "mix.both"]
    assert pipeline.steps["mix.both"].reads == ("silver.copy",)
    assert pipeline.feeds == (
        Feed("raw", "other", ("raw.orders",)),
        Feed("other", "mix", ("silver.copy",)),
    )
    with pytest.raises(UsageError, match=r"no table, step or pipeline named gold\.dialy"):
        focus(graph, "gold.dialy")


def test_pipelines_feeding_each_other_in_a_cycle_are_an_error_naming_it(workspace) -> None:
    _write(
        workspace,
        {
            "pipelines/a.yaml": """
                name: a
                steps:
                  - {name: orders, type: sql, query: SELECT * FROM raw.orders,
                     table: silver.orders}
                  - {name: enrich, type: sql, query: SELECT * FROM gold.a, table: silver.enriched}
                """,
            "pipelines/b.yaml": """
                name: b
                steps:
                  - {name: agg, type: sql, query: SELECT * FROM silver.orders, table: gold.a}
                """,
        },
    )
    project = workspace.project()  # each pipeline on its own is fine, and validates

    with pytest.raises(UsageError) as caught:
        build_graph(project)
    assert caught.value.message == (
        "pipelines a and b feed each other in a cycle: silver.orders → gold.a → silver.orders "
        "(a.orders writes silver.orders, read by b.agg; b.agg writes gold.a, read by a.enrich)"
    )
    assert caught.value.hint is not None and "one pipeline" in caught.value.hint


def test_a_cycle_of_three_pipelines_is_named_in_order(workspace) -> None:
    steps = {
        "c": ("SELECT * FROM gold.b", "silver.c"),
        "a": ("SELECT * FROM silver.c", "gold.a"),
        "b": ("SELECT * FROM gold.a", "gold.b"),
    }
    for name, (query, table) in steps.items():
        workspace.write(
            f"pipelines/{name}.yaml",
            f"name: {name}\nsteps:\n  - {{name: s, type: sql, query: {query}, table: {table}}}\n",
        )
    with pytest.raises(
        UsageError,
        match=r"pipelines a, b and c feed each other in a cycle: "
        r"gold\.a → gold\.b → silver\.c → gold\.a \(a\.s writes gold\.a",
    ):
        build_graph(workspace.project())


def test_a_cycle_within_a_pipeline_is_reported_as_a_run_would(workspace) -> None:
    workspace.write(
        "pipelines/loop.yaml",
        """
        name: loop
        steps:
          - {name: one, type: sql, query: SELECT * FROM silver.two, table: silver.one}
          - {name: two, type: sql, query: SELECT * FROM silver.one, table: silver.two}
        """,
    )
    with pytest.raises(UsageError, match="pipeline loop has a cycle"):
        build_graph(workspace.project())


def test_views_are_tables_that_steps_read_and_write(workspace) -> None:
    workspace.write(
        "pipelines/recent.yaml",
        """
        name: recent
        steps:
          - name: recent
            type: sql
            query: SELECT * FROM raw.orders WHERE '{{ run.partition }}' <> ''
            table: silver.recent
            materialization: view
        """,
    )
    workspace.write(
        "pipelines/report.yaml",
        """
        name: report
        steps:
          - {name: top, type: sql, query: SELECT * FROM silver.recent, table: gold.top}
        """,
    )
    graph = build_graph(workspace.project())

    assert graph.tables["silver.recent"].view
    assert not graph.tables["gold.top"].view
    assert graph.steps["report.top"].reads == ("silver.recent",)
    assert Feed("recent", "report", ("silver.recent",)) in graph.feeds
    assert Node("table", "gold.top") in downstream(graph, "raw.orders")


def test_a_table_no_pipeline_writes_is_a_source(workspace) -> None:
    workspace.write(
        "pipelines/legacy.yaml",
        """
        name: legacy
        steps:
          - name: joined
            type: sql
            query: SELECT * FROM raw.orders AS o JOIN legacy.ids AS l ON l.id = o.order_id
            table: silver.joined
        """,
    )
    location = str(workspace.root / "lake" / "prod" / "legacy" / "ids")
    workspace.store.catalog.register(TableDefinition("prod", "legacy", "ids", location))
    project = workspace.project()

    graph = build_graph(project, workspace.store)
    source = graph.tables["legacy.ids"]
    assert source.source and source.writer is None and source.pipeline is None
    assert source.readers == ("legacy.joined",)
    assert not graph.tables["raw.orders"].source
    assert all("legacy.ids" not in feed.tables for feed in graph.feeds)
    assert graph.pipelines_reading("legacy.ids") == ["legacy"]
    # Without the catalog the table is unknown, as it is to validate and to a run.
    with pytest.raises(SqlError, match=r"unknown table legacy\.ids"):
        build_graph(project)


TEMPLATE = """\
name: p_{{ source }}
parameters: params/sources.csv
steps:
  - name: load
    type: ingest
    table: raw.{{ source }}
    source: {type: files, glob: "{{ source }}/*.csv", format: csv}
  - name: clean
    type: sql
    sql: sql/clean.sql
    table: silver.{{ source }}
"""


def test_a_template_of_a_thousand_pipelines_builds(tmp_path: Path) -> None:
    root = tmp_path / "big"
    for folder in ("pipelines", "params", "sql"):
        (root / folder).mkdir(parents=True)
    (root / "sluiceway.yaml").write_text("name: big\n")
    (root / "sql" / "clean.sql").write_text("SELECT * FROM raw.{{ params.source }}\n")
    rows = "".join(f"s{i:04d}\n" for i in range(1000))
    (root / "params" / "sources.csv").write_text("source\n" + rows)
    (root / "pipelines" / "template.yaml").write_text(TEMPLATE)

    graph = build_graph(load_project(root, environ={}))

    assert len(graph.pipelines) == 1000 and len(graph.steps) == 2000
    assert len(graph.tables) == 2000 and not graph.feeds
    assert graph.steps["p_s0999.clean"].reads == ("raw.s0999",)
    assert graph.tables["raw.s0999"].readers == ("p_s0999.clean",)
