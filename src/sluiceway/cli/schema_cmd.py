"""``sluiceway schema``: write JSON Schemas of the YAML files, for editors.

Works without a valid project: the schemas come from the models alone, so a broken project
can use them to find what is broken.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def schema(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Folder to write into.", show_default="schemas/ in the project"
        ),
    ] = None,
) -> None:
    """Write sluiceway.schema.json and pipeline.schema.json (JSON Schema, for editors)."""
    from sluiceway.cli.context import state
    from sluiceway.cli.render import console
    from sluiceway.spec.jsonschema import write_schemas

    folder = out if out is not None else state.project_dir / "schemas"
    for path in write_schemas(folder):
        console.print(str(path), soft_wrap=True, markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``schema`` to the CLI."""
    app.command("schema")(schema)
