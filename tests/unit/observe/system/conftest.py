"""A small project on SQLite or PostgreSQL metadata, with pipelines to run and SQL to query."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sluiceway.meta.store import MetaStore, open_project_store
from sluiceway.observe.system_tables import ExportReport, export_system_tables
from sluiceway.orchestrate.runner import RunReport, run_pipeline
from sluiceway.spec.project import Project, load_project

PIPELINES = {
    "good": """
        name: good
        steps:
          - name: orders
            type: sql
            query: SELECT 1 AS order_id, 2.5 AS amount
            table: raw.orders
            checks:
              - {type: not_null, columns: [order_id]}
              - {type: range, column: amount, max: 1, severity: warn}
    """,
    "bad": """
        name: bad
        retries: 0
        steps:
          - name: broken
            type: sql
            query: SELECT no_such_column FROM raw.orders
            table: silver.broken
    """,
}


@dataclass
class SystemProject:
    """A project folder and its metadata store; runs pipelines and queries ``_system``."""

    root: Path
    store: MetaStore
    capsys: pytest.CaptureFixture[str]

    def project(self) -> Project:
        return load_project(self.root, environ={})

    def run(self, pipeline: str) -> RunReport:
        return run_pipeline(self.project(), pipeline, self.store)

    def export(self, **options: Any) -> ExportReport:
        report = export_system_tables(self.project(), self.store, **options)
        assert report.ok, report.errors
        return report

    def cli(self, *args: str) -> tuple[int, str, str]:
        """Run ``sluiceway --project ROOT ARGS``; returns the exit code, stdout and stderr."""
        from sluiceway.cli.main import run

        self.capsys.readouterr()
        code = run(["--project", str(self.root), *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def query(self, sql: str) -> list[dict[str, Any]]:
        """The rows of ``sluiceway query SQL --format json``."""
        code, out, err = self.cli("query", sql, "--format", "json")
        assert code == 0, err
        rows: list[dict[str, Any]] = json.loads(out)
        return rows


@pytest.fixture
def system_project(
    tmp_path: Path, metadata_url: str, capsys: pytest.CaptureFixture[str]
) -> Iterator[SystemProject]:
    root = tmp_path / "project"
    (root / "pipelines").mkdir(parents=True)
    (root / "sluiceway.yaml").write_text(
        f"name: shop\nmetadata: {metadata_url}\n", encoding="utf-8"
    )
    for name, text in PIPELINES.items():
        (root / "pipelines" / f"{name}.yaml").write_text(
            textwrap.dedent(text).lstrip(), encoding="utf-8"
        )
    store = open_project_store(load_project(root, environ={}))
    try:
        yield SystemProject(root, store, capsys)
    finally:
        store.close()
