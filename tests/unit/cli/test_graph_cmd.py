"""``sluiceway graph``: the project's steps and tables as text, Graphviz DOT or JSON."""

from __future__ import annotations

import json
import os
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from sluiceway.cli.context import state
from sluiceway.cli.main import run

FILES = {
    "sluiceway.yaml": "name: shop\n",
    "pipelines/raw.yaml": """\
        name: raw
        steps:
          - {name: orders, type: sql, query: SELECT 1 AS order_id, table: raw.orders}
    """,
    "pipelines/silver.yaml": """\
        name: silver
        params: {country: fr}
        steps:
          - name: orders
            type: sql
            query: SELECT * FROM raw.orders WHERE '{{ params.country }}' = 'fr'
            table: silver.orders
          - name: recent
            type: sql
            query: SELECT * FROM silver.orders
            table: silver.recent
            materialization: view
    """,
    "pipelines/gold.yaml": """\
        name: gold
        steps:
          - name: daily
            type: sql
            query: SELECT * FROM silver.recent AS r JOIN legacy.ids AS l ON l.id = r.order_id
            table: gold.daily
          - {name: audit, type: check, table: gold.daily}
    """,
    "pipelines/other.yaml": """\
        name: other
        steps:
          - {name: copy, type: sql, query: SELECT * FROM raw.orders, table: silver.copy}
    """,
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    for relative, text in FILES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    for name in [n for n in os.environ if n.startswith("SLUICEWAY_")]:
        monkeypatch.delenv(name)
    monkeypatch.setattr(state, "_project", None)
    monkeypatch.setattr(state, "_store", None)
    # legacy.ids is known only to the catalog: no pipeline of the project writes it.
    from sluiceway.meta.catalog import TableDefinition
    from sluiceway.meta.store import open_project_store
    from sluiceway.spec.project import load_project

    with open_project_store(load_project(root, environ={})) as store:
        location = str(root / "lake" / "prod" / "legacy" / "ids")
        store.catalog.register(TableDefinition("prod", "legacy", "ids", location))
    return root


def _graph(project: Path, capsys: Any, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run(["--project", str(project), "graph", *args])
    out, err = capsys.readouterr()
    return code, out, " ".join(err.split())


TEXT = """\
shop: 4 pipelines, 6 steps, 6 tables
├── raw
│   └── orders (sql) writes raw.orders
├── other  after raw
│   └── copy (sql) reads raw.orders, writes silver.copy
├── silver  after raw
│   ├── orders (sql) reads raw.orders, writes silver.orders
│   └── recent (sql) reads silver.orders, writes silver.recent (view)
├── gold  after silver
│   ├── daily (sql) reads legacy.ids, silver.recent, writes gold.daily
│   └── audit (check) reads gold.daily
└── sources, written by no pipeline: legacy.ids
"""

PIPELINES_TEXT = """\
shop: 4 pipelines in run order
├── raw
│   ├── feeds other through raw.orders
│   └── feeds silver through raw.orders
├── other
├── silver
│   └── feeds gold through silver.recent
└── gold
"""


def test_text_lists_pipelines_in_run_order_with_what_each_step_reads_and_writes(
    project, capsys
) -> None:
    code, out, err = _graph(project, capsys)
    assert code == 0, err
    # Each pipeline after those feeding it, otherwise in file order (gold, other, raw, silver).
    assert out == TEXT


def test_text_of_the_pipelines_says_which_feeds_which(project, capsys) -> None:
    code, out, _ = _graph(project, capsys, "--pipelines")
    assert code == 0
    assert out == PIPELINES_TEXT


def test_json_has_every_node_and_edge(project, capsys) -> None:
    code, out, _ = _graph(project, capsys, "--format", "json")
    assert code == 0
    payload = json.loads(out)
    nodes = {node["id"]: node for node in payload["nodes"]}
    assert nodes["table:legacy.ids"] == {
        "id": "table:legacy.ids",
        "kind": "table",
        "name": "legacy.ids",
        "writer": None,
        "view": False,
        "source": True,
    }
    assert nodes["table:silver.recent"]["view"] is True
    assert nodes["step:silver.orders"]["type"] == "sql"  # a step and a table share the name
    assert nodes["table:silver.orders"]["writer"] == "silver.orders"
    edges = {(e["from"], e["to"], e["kind"]) for e in payload["edges"]}
    assert ("table:legacy.ids", "step:gold.daily", "reads") in edges
    assert ("step:gold.daily", "table:gold.daily", "writes") in edges
    assert ("table:gold.daily", "step:gold.audit", "reads") in edges
    assert all(e["from"] in nodes and e["to"] in nodes for e in payload["edges"])
    assert len(nodes) == 6 + 6


def test_json_of_the_pipelines_lists_them_in_run_order(project, capsys) -> None:
    code, out, _ = _graph(project, capsys, "--pipelines", "--json")
    assert code == 0
    payload = json.loads(out)
    # Each pipeline after those feeding it, otherwise in file order (gold, other, raw, silver).
    assert [n["name"] for n in payload["nodes"]] == ["raw", "other", "silver", "gold"]
    assert {"from": "pipeline:silver", "to": "pipeline:gold", "kind": "feeds"} | {
        "tables": ["silver.recent"]
    } in payload["edges"]
    assert len(payload["edges"]) == 3


def test_dot_is_a_valid_digraph_of_the_same_nodes_and_edges(project, capsys) -> None:
    _, out, _ = _graph(project, capsys, "--json")
    expected = json.loads(out)
    code, dot, _ = _graph(project, capsys, "--format", "dot")
    assert code == 0
    parsed = parse_dot(dot)
    assert parsed.clusters == {"cluster_raw", "cluster_silver", "cluster_gold", "cluster_other"}
    assert set(parsed.nodes) == {n["id"] for n in expected["nodes"]}
    assert parsed.edges == {(e["from"], e["to"]) for e in expected["edges"]}
    assert parsed.nodes["table:silver.recent"]["label"] == "silver.recent\\n(view)"
    assert parsed.nodes["table:legacy.ids"]["shape"] == "cylinder"
    assert parsed.nodes["step:gold.audit"]["label"] == "audit\\ncheck"


def test_dot_of_the_pipelines_labels_each_edge_with_its_tables(project, capsys) -> None:
    code, dot, _ = _graph(project, capsys, "--pipelines", "--format", "dot")
    assert code == 0
    parsed = parse_dot(dot)
    assert set(parsed.nodes) == {f"pipeline:{p}" for p in ("raw", "silver", "gold", "other")}
    assert parsed.edges == {
        ("pipeline:raw", "pipeline:silver"),
        ("pipeline:raw", "pipeline:other"),
        ("pipeline:silver", "pipeline:gold"),
    }
    assert parsed.edge_attributes[("pipeline:silver", "pipeline:gold")] == {
        "label": "silver.recent"
    }


def test_an_argument_keeps_only_what_is_upstream_and_downstream_of_it(project, capsys) -> None:
    code, out, _ = _graph(project, capsys, "silver.recent", "--json")
    assert code == 0
    names = {node["id"] for node in json.loads(out)["nodes"]}
    assert names == {
        "step:raw.orders",
        "table:raw.orders",
        "step:silver.orders",
        "table:silver.orders",
        "step:silver.recent",
        "table:silver.recent",
        "step:gold.daily",
        "table:gold.daily",
        "step:gold.audit",
    }
    code, out, _ = _graph(project, capsys, "other")
    assert code == 0
    text = " ".join(out.split())
    assert text.startswith("upstream and downstream of other: 2 pipelines, 2 steps, 2 tables")
    assert "silver" not in text.replace("silver.copy", "")
    code, out, _ = _graph(project, capsys, "other", "--pipelines", "--format", "dot")
    assert parse_dot(out).edges == {("pipeline:raw", "pipeline:other")}


def test_an_unknown_argument_or_format_is_refused(project, capsys) -> None:
    code, _, err = _graph(project, capsys, "silver.ordrs")
    assert code == 2
    assert "no table, step or pipeline named silver.ordrs — did you mean 'silver.orders'?" in err
    code, _, err = _graph(project, capsys, "--format", "svg")
    assert code == 2
    assert "--format must be one of text, dot, json" in err


def test_graph_creates_no_metadata_store(tmp_path: Path, capsys, monkeypatch) -> None:
    root = tmp_path / "fresh"
    (root / "pipelines").mkdir(parents=True)
    (root / "sluiceway.yaml").write_text("name: shop\n", encoding="utf-8")
    (root / "pipelines" / "a.yaml").write_text(
        "name: a\nsteps:\n  - {name: s, type: sql, query: SELECT 1 AS x, table: raw.y}\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(state, "_project", None)
    monkeypatch.setattr(state, "_store", None)
    code, out, err = _graph(root, capsys)
    assert code == 0, err
    assert "s (sql) writes raw.y" in out
    assert not (root / ".sluiceway").exists()


# ---------------------------------------------------------------- a small DOT parser

TOKEN = re.compile(r'\s*(?:(?P<q>"(?:[^"\\]|\\.)*")|(?P<arrow>->)|(?P<p>[{}\[\];=,])|(?P<id>\w+))')


class Dot:
    """What a DOT document declares: node attributes, edges, cluster names."""

    def __init__(self) -> None:
        self.nodes: dict[str, dict[str, str]] = {}
        self.edges: set[tuple[str, str]] = set()
        self.edge_attributes: dict[tuple[str, str], dict[str, str]] = {}
        self.clusters: set[str] = set()


def parse_dot(text: str) -> Dot:
    """Parse the subset of the DOT grammar the command writes; fail on anything else."""
    tokens = _tokens(text)
    dot = Dot()
    assert tokens.pop(0) == "digraph"
    tokens.pop(0)  # the graph's name
    assert tokens.pop(0) == "{"
    _statements(tokens, dot)
    assert not tokens, tokens
    return dot


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    while text[position:].strip():
        match = TOKEN.match(text, position)
        assert match is not None, text[position : position + 40]
        tokens.append(match.group(match.lastgroup or ""))
        position = match.end()
    return tokens


def _unquote(token: str) -> str:
    assert token not in "{}[];=,->", token
    return token[1:-1].replace('\\"', '"') if token.startswith('"') else token


def _statements(tokens: list[str], dot: Dot) -> None:
    while tokens[0] != "}":
        head = tokens.pop(0)
        if head == "subgraph":
            dot.clusters.add(_unquote(tokens.pop(0)))
            assert tokens.pop(0) == "{"
            _statements(tokens, dot)
            continue
        if tokens[0] == "=":  # graph attribute: rankdir=LR
            tokens.pop(0)
            _unquote(tokens.pop(0))
        elif head in ("node", "edge", "graph"):
            _attributes(tokens)
        elif tokens[0] == "->":
            tokens.pop(0)
            edge = (_unquote(head), _unquote(tokens.pop(0)))
            dot.edges.add(edge)
            dot.edge_attributes[edge] = _attributes(tokens) if tokens[0] == "[" else {}
        else:
            dot.nodes[_unquote(head)] = _attributes(tokens) if tokens[0] == "[" else {}
        assert tokens.pop(0) == ";", tokens[:5]
    tokens.pop(0)


def _attributes(tokens: list[str]) -> dict[str, str]:
    assert tokens.pop(0) == "["
    found: dict[str, str] = {}
    while tokens[0] != "]":
        key = _unquote(tokens.pop(0))
        assert tokens.pop(0) == "="
        found[key] = _unquote(tokens.pop(0))
        if tokens[0] == ",":
            tokens.pop(0)
    tokens.pop(0)
    return found


# ---------------------------------------------------------------- docs/graph.md

PAGE = Path(__file__).resolve().parents[3] / "docs" / "graph.md"
CONSOLE = re.compile(r"^```console\n\$ sluiceway (?P<args>.*?)\n(?P<output>.*?)^```", re.S | re.M)
CYCLE = {
    "sluiceway.yaml": "name: shop\n",
    "pipelines/raw.yaml": "name: raw\nsteps:\n"
    "  - {name: orders, type: sql, query: SELECT 1 AS order_id, table: raw.orders}\n",
    "pipelines/a.yaml": "name: a\nsteps:\n"
    "  - {name: orders, type: sql, query: SELECT * FROM raw.orders, table: silver.orders}\n"
    "  - {name: enrich, type: sql, query: SELECT * FROM gold.a, table: silver.enriched}\n",
    "pipelines/b.yaml": "name: b\nsteps:\n"
    "  - {name: agg, type: sql, query: SELECT * FROM silver.orders, table: gold.a}\n",
}


def test_the_pages_examples_print_what_it_shows(tmp_path: Path, capsys, monkeypatch) -> None:
    from sluiceway.cli import render

    monkeypatch.setattr(state, "_project", None)
    monkeypatch.setattr(state, "_store", None)
    for console in (render.console, render.err_console):  # the page shows an 80-column terminal
        monkeypatch.setattr(console, "width", 80)
    shop = tmp_path / "shop"
    assert run(["init", str(shop)]) == 0
    cycle = tmp_path / "cycle"
    for relative, text in CYCLE.items():
        (cycle / relative).parent.mkdir(parents=True, exist_ok=True)
        (cycle / relative).write_text(text, encoding="utf-8")
    examples = CONSOLE.findall(PAGE.read_text(encoding="utf-8"))
    assert len(examples) == 5
    for args, output in examples:
        failing = output.startswith("error:")
        capsys.readouterr()
        code = run(["--project", str(cycle if failing else shop), *args.split()])
        out, err = capsys.readouterr()
        assert code == (2 if failing else 0), (args, err)
        shown = "\n".join(line.rstrip() for line in (err if failing else out).splitlines())
        assert shown + "\n" == output, args
