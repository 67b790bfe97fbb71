"""System tables in a lake on S3: exported once, read back with ``sluiceway query``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sluiceway.cli.main import run
from sluiceway.events import emit
from sluiceway.events.types import WebhookReceived
from sluiceway.meta.runs import RunRepo
from sluiceway.meta.store import open_project_store
from sluiceway.observe.system_tables import export_system_tables
from sluiceway.spec.project import load_project

pytestmark = pytest.mark.s3


def test_system_tables_on_s3(
    s3_endpoint: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in s3_endpoint.environ().items():
        monkeypatch.setenv(name, value)
    root = tmp_path / "project"
    (root / "pipelines").mkdir(parents=True)
    (root / "sluiceway.yaml").write_text(
        f"name: shop\nlake: s3://{s3_endpoint.new_bucket()}/lake\n", encoding="utf-8"
    )
    project = load_project(root)
    store = open_project_store(project)
    try:
        runs = RunRepo(store)
        done = runs.create("p", "prod")
        runs.transition(done.id, "running")
        runs.transition(done.id, "succeeded")
        for n in range(3):
            emit(store, WebhookReceived(source=f"hook-{n}"))
        assert export_system_tables(project, store).ok
        queued = runs.create("p", "prod")
        assert export_system_tables(project, store).table("runs").rows == 1
        capsys.readouterr()
        code = run(
            [
                "--project",
                str(root),
                "query",
                "SELECT id, status FROM _system.runs ORDER BY queued_at",
                "--format",
                "json",
            ]
        )
        out, err = capsys.readouterr()
        assert code == 0, err
        assert json.loads(out) == [
            {"id": done.id, "status": "succeeded"},
            {"id": queued.id, "status": "queued"},
        ]
        code = run(
            [
                "--project",
                str(root),
                "query",
                "SELECT count(*) AS n FROM _system.events",
                "--format",
                "json",
            ]
        )
        out, err = capsys.readouterr()
        assert json.loads(out) == [{"n": len(store.events.tail(1000))}]
    finally:
        store.close()
