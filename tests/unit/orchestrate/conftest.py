"""A small project on disk with seeded raw tables, and a way to run its pipelines."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from sluiceway.lake.commit import WriteContext
from sluiceway.lake.service import Lake
from sluiceway.meta.store import MetaStore, open_project_store
from sluiceway.orchestrate.runner import RunReport, run_pipeline
from sluiceway.spec.project import Project, load_project

ORDERS = pa.table(
    {
        "order_id": pa.array([1, 2, 3, 4], pa.int64()),
        "customer_id": pa.array([10, 10, 20, 30], pa.int64()),
        "amount": pa.array([5.0, 7.5, 20.0, 1.25]),
        "country": ["fr", "fr", "de", "fr"],
    }
)


@dataclass
class Workspace:
    """A project folder, its metadata store and lake."""

    root: Path
    store: MetaStore

    def project(self) -> Project:
        return load_project(self.root, environ={})

    def lake(self) -> Lake:
        return Lake.for_project(self.project(), self.store)

    def write(self, path: str, text: str) -> None:
        file = self.root / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")

    def seed(self, table: str, data: pa.Table, batch: int = 1) -> None:
        ctx = WriteContext(run_id="seed", app_id=f"seed/{table}", batch=batch, source="test")
        self.lake().write(table, data, "append", ctx)

    def run(self, pipeline: str, **options: Any) -> RunReport:
        return run_pipeline(self.project(), pipeline, self.store, **options)


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    root = tmp_path / "project"
    root.mkdir()
    (root / "sluiceway.yaml").write_text("name: shop\n", encoding="utf-8")
    (root / "pipelines").mkdir()
    # A pipeline that writes raw.orders, so SQL may name it (the seed stands in for ingestion).
    (root / "pipelines" / "raw.yaml").write_text(
        textwrap.dedent(
            """
            name: raw
            steps:
              - name: orders
                type: sql
                query: SELECT 1 AS order_id
                table: raw.orders
            """
        ),
        encoding="utf-8",
    )
    store = open_project_store(load_project(root, environ={}))
    try:
        yield Workspace(root, store)
    finally:
        store.close()


@pytest.fixture
def seeded(workspace: Workspace) -> Workspace:
    workspace.seed("raw.orders", ORDERS)
    return workspace


Runner = Callable[..., RunReport]
