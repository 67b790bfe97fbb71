"""The database ingest step end to end on SQLite: no server needed, same runner and lake.

PostgreSQL, 1M rows and secrets are covered in ``tests/integration/ingest/test_database.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import sqlalchemy as sa

from sluiceway.ingest.database.step import materialization_for
from sluiceway.meta.store import MetaStore, open_project_store
from sluiceway.orchestrate.runner import RunReport, run_pipeline
from sluiceway.spec.project import load_project
from sluiceway.spec.steps import IngestStep


@dataclass
class Source:
    engine: sa.Engine
    url: str

    def execute(self, sql: str, rows: list[dict[str, Any]] | None = None) -> None:
        with self.engine.begin() as connection:
            connection.execute(sa.text(sql), rows or {})


@dataclass
class Project:
    root: Path
    store: MetaStore

    def pipeline(self, source: dict[str, Any], **step: Any) -> None:
        spec = {
            "name": "raw",
            "steps": [{"name": "events", "type": "ingest", "table": "raw.events", **step,
                       "source": {"type": "database", **source}}],
        }  # fmt: skip
        (self.root / "pipelines" / "raw.yaml").write_text(json.dumps(spec), encoding="utf-8")

    def run(self) -> RunReport:
        return run_pipeline(load_project(self.root, environ={}), "raw", self.store)

    def table(self) -> Any:
        from sluiceway.lake.service import Lake

        lake = Lake.for_project(load_project(self.root, environ={}), self.store)
        return lake.table("raw.events")


@pytest.fixture
def source(tmp_path: Path) -> Iterator[Source]:
    url = f"sqlite:///{tmp_path / 'source.db'}"
    engine = sa.create_engine(url)
    created = Source(engine, url)
    created.execute("CREATE TABLE events (id INTEGER, at DATETIME, amount NUMERIC(8, 2))")
    try:
        yield created
    finally:
        engine.dispose()


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    root = tmp_path / "project"
    (root / "pipelines").mkdir(parents=True)
    (root / "sluiceway.yaml").write_text("name: shop\n", encoding="utf-8")
    store = open_project_store(load_project(root, environ={}))
    try:
        yield Project(root, store)
    finally:
        store.close()


def _events(source: Source, hours: range) -> None:
    rows = [{"id": h, "at": datetime(2026, 5, 1, h), "amount": f"{h}.50"} for h in hours]
    source.execute("INSERT INTO events VALUES (:id, :at, :amount)", rows)


def _outcome(report: RunReport) -> Any:
    assert report.status == "succeeded", report.steps[0].error
    return report.steps[0].outcome


def test_incremental_by_a_timestamp_reads_only_new_rows(source: Source, project) -> None:
    _events(source, range(10))
    project.pipeline(
        {"url": source.url, "table": "events", "cursor": "at", "mode": "incremental",
         "chunk_size": 4}
    )  # fmt: skip
    first = _outcome(project.run())
    assert (first.rows_out, first.metrics["chunks"]) == (10, 3)

    _events(source, range(10, 13))
    assert _outcome(project.run()).rows_out == 3
    table = project.table()
    assert sorted(table.read().column("id").to_pylist()) == list(range(13))
    assert table.schema().field("at").type == pa.timestamp("us")
    assert table.schema().field("amount").type == pa.decimal128(8, 2)
    mark = json.loads(table.delta().history(1)[0]["sluiceway.watermark"])
    assert mark == {"column": "at", "type": "timestamp", "value": "2026-05-01T12:00:00"}

    version = table.version()
    nothing = _outcome(project.run())
    assert nothing.rows_out == 0
    assert nothing.commit.version is None
    assert table.version() == version


def test_full_mode_replaces_the_table_each_run(source: Source, project) -> None:
    _events(source, range(5))
    project.pipeline({"url": source.url, "table": "events"})
    _outcome(project.run())
    source.execute("DELETE FROM events WHERE id >= 2")
    _outcome(project.run())
    assert sorted(project.table().read().column("id").to_pylist()) == [0, 1]


def test_a_query_source_labels_its_rows_with_the_query(source: Source, project) -> None:
    _events(source, range(3))
    project.pipeline({"url": source.url, "query": "SELECT id FROM events WHERE id > 0"})
    _outcome(project.run())
    rows = project.table().read()
    assert sorted(rows.column("id").to_pylist()) == ["1", "2"]  # SQLite query columns: text
    label = rows.column("_sw_source")[0].as_py()
    assert label.startswith("sqlite:///")
    assert label.endswith("SELECT * FROM ( SELECT id FROM events WHERE id > 0 ) AS _sw_query")


def test_a_missing_cursor_column_fails_the_step_clearly(source: Source, project) -> None:
    project.pipeline({"url": source.url, "table": "events", "cursor": "idd", "mode": "incremental"})
    report = project.run()
    assert report.status == "failed"
    assert report.steps[0].error == (
        "step events (events): table events has no cursor column 'idd' — did you mean 'id'? "
        "— columns: id, at, amount"
    )


@pytest.mark.parametrize(
    ("mode", "materialization", "expected"),
    [
        ("full", None, "overwrite"),
        ("incremental", None, "append"),
        ("full", "append", "append"),
        ("incremental", "overwrite", "overwrite"),
    ],
)
def test_the_materialization_follows_the_mode_unless_set(
    mode: str, materialization: str | None, expected: str
) -> None:
    spec: dict[str, Any] = {
        "name": "load",
        "type": "ingest",
        "table": "raw.events",
        "source": {"type": "database", "url": "sqlite://", "table": "t", "cursor": "id",
                   "mode": mode},
    }  # fmt: skip
    if materialization:
        spec["materialization"] = materialization
    step = IngestStep.model_validate(spec)
    assert materialization_for(step).type == expected


def test_a_decimal_cursor_keeps_its_exact_watermark(source: Source, project) -> None:
    _events(source, range(3))  # amounts 0.50, 1.50, 2.50
    project.pipeline(
        {"url": source.url, "table": "events", "cursor": "amount", "mode": "incremental"}
    )
    _outcome(project.run())
    table = project.table()
    mark = json.loads(table.delta().history(1)[0]["sluiceway.watermark"])
    assert mark == {"column": "amount", "type": "decimal", "value": "2.50"}

    _events(source, range(3, 5))
    assert _outcome(project.run()).rows_out == 2
    assert sorted(table.read().column("id").to_pylist()) == [0, 1, 2, 3, 4]
