"""``sluiceway graph``: which steps read and write which tables, across every pipeline."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.tree import Tree

    from sluiceway.orchestrate.graph import Graph

FORMATS = ("text", "dot", "json")


def register(app: typer.Typer) -> None:
    """Add the ``graph`` command to ``app``."""
    app.command("graph")(graph)


def graph(
    table_or_pipeline: Annotated[
        str | None,
        typer.Argument(
            help="Only what is upstream and downstream of this table, step (pipeline.step) "
            "or pipeline.",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="text (default), dot (Graphviz) or json.")
    ] = "text",
    pipelines: Annotated[
        bool,
        typer.Option("--pipelines", help="Pipelines and the tables that connect them."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
) -> None:
    """Show the dependency graph: each step, the tables it reads and writes, across pipelines.

    What a sql step reads is inferred from its SQL as a run would (rendered with the
    pipeline's params), so the graph holds before anything has run.
    """
    from sluiceway.cli.context import catalog_store, state
    from sluiceway.orchestrate.graph import focus
    from sluiceway.orchestrate.graph_build import build_graph

    if as_json:
        output_format = "json"
    if output_format not in FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(FORMATS)}")
    project = state.project()
    store = catalog_store(project)
    try:
        whole = build_graph(project, store)
    finally:
        if store is not None:
            store.close()
    shown = whole if table_or_pipeline is None else focus(whole, table_or_pipeline)
    if output_format == "json":
        from sluiceway.cli.render import print_json

        print_json(pipelines_json(shown) if pipelines else steps_json(shown))
    elif output_format == "dot":
        sys.stdout.write(pipelines_dot(shown) if pipelines else steps_dot(shown))
        sys.stdout.flush()
    else:
        from sluiceway.cli.render import console

        if table_or_pipeline is None:
            title = project.settings.name
        else:
            title = f"upstream and downstream of {table_or_pipeline}"
        console.print(pipelines_tree(shown, title) if pipelines else steps_tree(shown, title))


def steps_json(graph: Graph) -> dict[str, Any]:
    """Tables and steps as nodes, reads/writes/after as edges, for scripts."""
    nodes: list[dict[str, Any]] = [
        {
            "id": f"step:{step.name}",
            "kind": "step",
            "name": step.name,
            "pipeline": step.pipeline,
            "step": step.step,
            "type": step.type,
        }
        for step in graph.steps.values()
    ]
    nodes += [
        {
            "id": f"table:{table.name}",
            "kind": "table",
            "name": table.name,
            "writer": table.writer,
            "view": table.view,
            "source": table.source,
        }
        for table in graph.tables.values()
    ]
    edges = [{"from": e.source.id, "to": e.target.id, "kind": e.kind} for e in graph.edges()]
    return {"nodes": nodes, "edges": edges}


def pipelines_json(graph: Graph) -> dict[str, Any]:
    """Pipelines in run order as nodes, and which feeds which through which tables."""
    nodes = [
        {
            "id": f"pipeline:{name}",
            "kind": "pipeline",
            "name": name,
            "writes": [s.writes for s in graph.pipeline_steps(name) if s.writes],
        }
        for name in graph.pipelines
    ]
    edges = [
        {
            "from": f"pipeline:{feed.source}",
            "to": f"pipeline:{feed.target}",
            "kind": "feeds",
            "tables": list(feed.tables),
        }
        for feed in graph.feeds
    ]
    return {"nodes": nodes, "edges": edges}


def steps_dot(graph: Graph) -> str:
    """Graphviz DOT: a cluster per pipeline holding its steps and the tables they write."""
    lines = _dot_header()
    for pipeline in graph.pipelines:
        lines.append(f"  subgraph {_quote('cluster_' + pipeline)} {{")
        lines.append(f"    label={_quote(pipeline)};")
        for step in graph.pipeline_steps(pipeline):
            label = f"{step.step}\n{step.type}"
            lines.append(f"    {_quote('step:' + step.name)} [label={_quote(label)}, shape=box];")
            if step.writes is not None:
                lines.append(f"    {_table_dot(graph, step.writes)}")
        lines.append("  }")
    lines += [f"  {_table_dot(graph, t.name)}" for t in graph.tables.values() if t.source]
    for edge in graph.edges():
        style = " [style=dashed]" if edge.kind == "after" else ""
        lines.append(f"  {_quote(edge.source.id)} -> {_quote(edge.target.id)}{style};")
    return "\n".join([*lines, "}"]) + "\n"


def pipelines_dot(graph: Graph) -> str:
    """Graphviz DOT: pipelines, an edge labelled with its tables where one feeds another."""
    lines = _dot_header()
    for pipeline in graph.pipelines:
        lines.append(f"  {_quote('pipeline:' + pipeline)} [label={_quote(pipeline)}, shape=box];")
    for feed in graph.feeds:
        ends = f"{_quote('pipeline:' + feed.source)} -> {_quote('pipeline:' + feed.target)}"
        lines.append(f"  {ends} [label={_quote(chr(10).join(feed.tables))}];")
    return "\n".join([*lines, "}"]) + "\n"


def _dot_header() -> list[str]:
    return ["digraph sluiceway {", "  rankdir=LR;", '  node [fontname="Helvetica"];']


def _table_dot(graph: Graph, name: str) -> str:
    table = graph.tables[name]
    style = ""
    if table.view:
        style = ", style=dashed"
    elif table.source:
        style = ", style=filled, fillcolor=lightgrey"
    label = f"{name}\n(view)" if table.view else name
    return f"{_quote('table:' + name)} [label={_quote(label)}, shape=cylinder{style}];"


def _quote(text: str) -> str:
    """A DOT quoted ID: backslashes and quotes escaped, newlines as DOT's ``\\n``."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def steps_tree(graph: Graph, title: str) -> Tree:
    """Pipelines in run order, each step with what it reads and writes; then the sources."""
    from rich.text import Text
    from rich.tree import Tree

    sources = [t.name for t in graph.tables.values() if t.source]
    root = Tree(
        Text(
            f"{title}: {_count(len(graph.pipelines), 'pipeline')}, "
            f"{_count(len(graph.steps), 'step')}, {_count(len(graph.tables), 'table')}"
        )
    )
    fed_by: dict[str, list[str]] = {}
    for feed in graph.feeds:
        fed_by.setdefault(feed.target, []).append(feed.source)
    for pipeline in graph.pipelines:
        label = Text(pipeline, style="bold")
        if pipeline in fed_by:
            label.append(f"  after {', '.join(fed_by[pipeline])}", style="dim")
        branch = root.add(label)
        for step in graph.pipeline_steps(pipeline):
            parts = []
            if step.reads:
                parts.append(f"reads {', '.join(step.reads)}")
            if step.writes is not None:
                view = " (view)" if graph.tables[step.writes].view else ""
                parts.append(f"writes {step.writes}{view}")
            if step.after:
                parts.append(f"after {', '.join(a.split('.', 1)[1] for a in step.after)}")
            branch.add(Text(f"{step.step} ({step.type}) {', '.join(parts)}".rstrip()))
    if sources:
        root.add(Text(f"sources, written by no pipeline: {', '.join(sources)}", style="dim"))
    return root


def pipelines_tree(graph: Graph, title: str) -> Tree:
    """Pipelines in run order, each with the pipelines it feeds and through which tables."""
    from rich.text import Text
    from rich.tree import Tree

    root = Tree(Text(f"{title}: {_count(len(graph.pipelines), 'pipeline')} in run order"))
    branches = {p: root.add(Text(p, style="bold")) for p in graph.pipelines}
    for feed in graph.feeds:
        branches[feed.source].add(Text(f"feeds {feed.target} through {', '.join(feed.tables)}"))
    return root


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
