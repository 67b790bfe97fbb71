"""``sluiceway pipelines``: the project's pipelines with templates expanded."""

from __future__ import annotations

from typing import Annotated, Any

import typer


def register(app: typer.Typer) -> None:
    """Add the ``pipelines`` command to ``app``."""
    app.command("pipelines")(pipelines)


def pipelines(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List pipelines (templates expanded) with their triggers, steps and the tables they write."""
    from sluiceway.cli.context import state
    from sluiceway.cli.render import print_rows

    project = state.project()
    rows: list[dict[str, Any]] = []
    for name, pipeline in project.pipelines.items():
        origin = pipeline.origin
        rows.append(
            {
                "pipeline": name,
                "file": origin.file,
                "row": origin.row + 1 if origin.row is not None else None,
                "triggers": [t.type for t in pipeline.on],
                "steps": [f"{s.name}:{s.type}" for s in pipeline.steps],
                "writes": [s.writes for s in pipeline.steps if s.writes],
            }
        )
    columns = ["pipeline", "file", "row", "triggers", "steps", "writes"]
    if as_json:
        print_rows(rows, columns, as_json=True)
        return
    display = [
        {**row, **{k: ", ".join(map(str, row[k])) for k in ("triggers", "steps", "writes")}}
        for row in rows
    ]
    print_rows(display, columns, title=f"{project.settings.name}: {len(rows)} pipelines")
