"""JSON Schema of ``sluiceway.yaml`` and of pipeline files, for editors.

With the YAML language server (VS Code's YAML extension, many others), a first line
``# yaml-language-server: $schema=../schemas/pipeline.schema.json`` gives completion,
documentation on hover and errors as you type, from the same models that validate.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from sluiceway.spec.pipeline import Pipeline
from sluiceway.spec.settings import ProjectSettings

SCHEMA_BASE = "https://sluiceway.dev/schemas/"
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMAS: dict[str, tuple[type[BaseModel], str]] = {
    "sluiceway.schema.json": (ProjectSettings, "Sluiceway project settings (sluiceway.yaml)"),
    "pipeline.schema.json": (Pipeline, "Sluiceway pipeline or template (pipelines/*.yaml)"),
}


def schema_for(model: type[BaseModel], file_name: str, title: str) -> dict[str, Any]:
    """The JSON Schema of ``model`` as input (what a user may write), with ``$id`` and title."""
    schema = model.model_json_schema(mode="validation")
    return {"$schema": SCHEMA_DIALECT, "$id": SCHEMA_BASE + file_name, **schema, "title": title}


def schemas() -> dict[str, dict[str, Any]]:
    """Every schema, by file name."""
    return {name: schema_for(model, name, title) for name, (model, title) in SCHEMAS.items()}


def write_schemas(folder: Path) -> list[Path]:
    """Write every schema into ``folder`` (created if needed) and return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in schemas().items():
        path = folder / name
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written
