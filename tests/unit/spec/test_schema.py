"""JSON Schema export and the generated YAML reference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from sluiceway.spec.jsonschema import schemas, write_schemas
from sluiceway.spec.pipeline import Pipeline
from sluiceway.spec.reference_doc import _walk, generate
from sluiceway.spec.settings import ProjectSettings

REPO = Path(__file__).resolve().parents[3]
SAMPLE = """
name: orders
"on":
  - {type: schedule, cron: "0 6 * * *"}
  - manual
steps:
  - {name: load, type: ingest, table: raw.orders, materialization: append,
     source: {type: files, glob: "orders/*.csv", format: csv}}
  - {name: clean, type: sql, sql: sql/orders.sql, table: silver.orders,
     materialization: {type: merge, keys: [order_id]}, timeout: 10m}
"""


def test_write_schemas(tmp_path: Path) -> None:
    paths = write_schemas(tmp_path / "schemas")
    assert [p.name for p in paths] == ["sluiceway.schema.json", "pipeline.schema.json"]
    pipeline = json.loads(paths[1].read_text())
    assert pipeline["$id"].endswith("/pipeline.schema.json")
    assert pipeline["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert pipeline["title"].startswith("Sluiceway pipeline")
    assert pipeline["additionalProperties"] is False
    assert "SqlStep" in pipeline["$defs"]


def test_schemas_validate_samples_like_the_models() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    all_schemas = schemas()
    for schema in all_schemas.values():
        jsonschema.Draft202012Validator.check_schema(schema)
    pipeline = jsonschema.Draft202012Validator(all_schemas["pipeline.schema.json"])
    sample = yaml.safe_load(SAMPLE)
    Pipeline.model_validate(sample)
    assert list(pipeline.iter_errors(sample)) == []
    for typo in (("type: merge", "type: merg"), ("timeout", "timeuot")):
        bad = yaml.safe_load(SAMPLE.replace(*typo))
        assert list(pipeline.iter_errors(bad)), typo
    settings = jsonschema.Draft202012Validator(all_schemas["sluiceway.schema.json"])
    good = {"name": "shop", "defaults": {"retries": 1, "timeout": "1h"}}
    ProjectSettings.model_validate(good)
    assert list(settings.iter_errors(good)) == []
    assert list(settings.iter_errors({"name": "shop", "lakes": "./x"}))


def test_schema_command_without_a_valid_project(tmp_path: Path, cli) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "sluiceway.yaml").write_text("name: [not, valid\n")
    result = cli("--project", str(broken), "schema")
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (broken / "schemas").iterdir())
    assert written == ["pipeline.schema.json", "sluiceway.schema.json"]
    assert "pipeline.schema.json" in result.output
    result = cli("--project", str(broken), "schema", "--out", str(tmp_path / "elsewhere"))
    assert result.exit_code == 0 and (tmp_path / "elsewhere" / "sluiceway.schema.json").is_file()


def test_reference_doc_is_up_to_date() -> None:
    committed = REPO / "docs" / "reference" / "yaml.md"
    assert committed.is_file() and committed.read_text(encoding="utf-8") == generate(), (
        "docs/reference/yaml.md is stale; regenerate it with:\n"
        "    .venv/bin/python -m sluiceway.spec.reference_doc > docs/reference/yaml.md"
    )


def test_every_field_is_documented() -> None:
    seen: set = set()
    missing = [
        f"{model.__name__}.{name}"
        for root in (ProjectSettings, Pipeline)
        for model in _walk(root, seen)
        for name, field in model.model_fields.items()
        if not field.description
    ]
    assert missing == []
