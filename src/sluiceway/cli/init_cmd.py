"""``sluiceway init``: scaffold the example project into a new folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the ``init`` command to ``app``."""
    app.command("init")(init)


def init(
    directory: Annotated[Path, typer.Argument(help="Folder to create the project in.")] = Path(),
    data: Annotated[
        bool, typer.Option("--data/--no-data", help="Generate sample files in landing/.")
    ] = True,
    days: Annotated[int, typer.Option(min=1, max=365, help="Days of sample data.")] = 3,
    seed: Annotated[int, typer.Option(help="Seed of the sample-data generator.")] = 7,
) -> None:
    """Create a working example project: orders, customers and products, raw → silver → gold."""
    from sluiceway.cli.render import console
    from sluiceway.scaffold import scaffold

    target = directory.resolve()
    result = scaffold(target, with_data=data, days=days, seed=seed)
    console.print(f"[green]Created[/] project [bold]shop[/] in {target}")
    for path in result.files:
        console.print(f"  {path}")
    if result.data is not None:
        console.print(
            f"  landing/: {len(result.data.files)} sample files, {result.data.rows} rows "
            f"({result.data.malformed} malformed on purpose, to show quarantine)"
        )
    _record(target)
    console.print(f"Next: [bold]cd {directory} && sluiceway validate[/]")


def _record(root: Path) -> None:
    """Open the new project's metadata store and log the ``project.initialized`` event."""
    from sluiceway.events import emit
    from sluiceway.events.types import ProjectInitialized
    from sluiceway.meta.store import open_project_store
    from sluiceway.spec.project import load_project

    project = load_project(root)
    store = open_project_store(project)
    try:
        emit(store, ProjectInitialized(name=project.settings.name, path=str(root)))
    finally:
        store.close()
