"""``sluiceway lineage``: where a table's (or a column's) data comes from, or goes to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.tree import Tree

    from sluiceway.meta.lineage import LineageRepo


def register(app: typer.Typer) -> None:
    """Add the ``lineage`` command to ``app``."""
    app.command("lineage")(lineage)


def lineage(
    table: Annotated[str, typer.Argument(help="Table as layer.name.")],
    column: Annotated[
        str | None, typer.Option("--column", "-c", help="Follow only this column.")
    ] = None,
    upstream: Annotated[
        bool, typer.Option("--upstream", help="What it is computed from (the default).")
    ] = False,
    downstream: Annotated[
        bool, typer.Option("--downstream", help="What is computed from it.")
    ] = False,
    depth: Annotated[int, typer.Option("--depth", min=1, help="How many hops to follow.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the edges as JSON.")] = False,
) -> None:
    """Print the lineage graph of a table or column, as recorded on each commit."""
    from rich.tree import Tree

    from sluiceway.cli.context import state
    from sluiceway.cli.render import console, print_json
    from sluiceway.meta.lineage import LineageRepo

    if upstream and downstream:
        raise typer.BadParameter("give --upstream or --downstream, not both")
    repo = LineageRepo(state.store())
    env = state.project().env
    label = f"{table}.{column}" if column else table
    root = Tree(label)
    edges: list[dict[str, Any]] = []
    _walk(repo, env, table, column, root, edges, downstream=downstream, depth=depth, seen=set())
    if as_json:
        print_json(edges)
    elif not edges:
        direction = "downstream" if downstream else "upstream"
        console.print(f"no {direction} lineage recorded for {label}")
    else:
        console.print(root)


def _walk(
    repo: LineageRepo,
    env: str,
    table: str,
    column: str | None,
    node: Tree,
    edges: list[dict[str, Any]],
    *,
    downstream: bool,
    depth: int,
    seen: set[tuple[str, str | None]],
) -> None:
    """Add one hop of edges under ``node`` and recurse (cycles and repeats shown once)."""
    if depth == 0 or (table, column) in seen:
        return
    seen.add((table, column))
    found = repo.downstream(env, table) if downstream else repo.upstream(env, table)
    hops: dict[tuple[str, str | None], None] = {}
    for edge in found:
        near = edge.source_column if downstream else edge.column
        if column is not None and near != column:
            continue
        edges.append(
            {
                "table": edge.target,
                "column": edge.column,
                "source": edge.source,
                "source_column": edge.source_column,
            }
        )
        far_table = edge.target if downstream else edge.source
        far_column = edge.column if downstream else edge.source_column
        # Table mode shows each neighbouring table once; column mode each column.
        hops[(far_table, far_column if column is not None else None)] = None
    for far_table, far_column in hops:
        child = node.add(f"{far_table}.{far_column}" if far_column else far_table)
        _walk(
            repo,
            env,
            far_table,
            far_column,
            child,
            edges,
            downstream=downstream,
            depth=depth - 1,
            seen=seen,
        )
