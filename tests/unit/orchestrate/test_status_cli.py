"""``sluiceway status``: the failed run, failing check, missed SLA and anomaly all show."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from sluiceway.cli.context import state
from sluiceway.cli.main import app
from sluiceway.events import emit
from sluiceway.events.types import AnomalyDetected, SlaMissed, SlaRecovered
from sluiceway.meta.checks import CheckRepo, CheckResult

PIPELINE = """
name: broken
steps:
  - {name: boom, type: sql, query: SELECT 1 / 0 AS x FROM raw.orders WHERE nope, table: gold.x}
"""


def _cli(workspace: Any, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    for name in ("project_dir", "env", "_project"):
        monkeypatch.setattr(state, name, getattr(state, name))
    monkeypatch.setattr(state, "_store", workspace.store)
    return CliRunner().invoke(app, ["--project", str(workspace.root), *args])


def test_status_shows_what_needs_attention(workspace: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    workspace.write("pipelines/broken.yaml", PIPELINE)
    workspace.seed("raw.orders", pa.table({"order_id": [1]}))
    report = workspace.run("broken")
    assert report.status == "failed"
    store = workspace.store
    CheckRepo(store).record(
        [CheckResult("silver.orders", "ids_unique", "unique", "block", "failed", failing_rows=3)]
    )
    emit(store, SlaMissed(table="gold.revenue", sla="fresh_within 2h", detail="4h old"))
    emit(store, SlaMissed(table="gold.stock", sla="ready_by 06:00"))
    emit(store, SlaRecovered(table="gold.stock", sla="ready_by 06:00"))
    emit(store, AnomalyDetected(metric="table.rows_added", subject="raw.orders", value=3.0,
                                expected=1000.0))  # fmt: skip

    data = json.loads(_cli(workspace, monkeypatch, "status", "--json").output)
    assert data["counts"] == {
        "running": 0,
        "queued": 0,
        "failed": 1,
        "failing_checks": 1,
        "slas_missed": 1,
        "anomalies": 1,
    }
    assert {(s["table"], s["state"]) for s in data["slas"]} == {
        ("gold.revenue", "missed"),
        ("gold.stock", "met"),
    }
    assert data["runs"][0]["pipeline"] == "broken" and data["runs"][0]["status"] == "failed"

    shown = _cli(workspace, monkeypatch, "status")
    assert shown.exit_code == 0, shown.output
    for text in ("1 failed run", "1 failing check", "1 missed SLA", "ids_unique", "4h old",
                 "table.rows_added"):  # fmt: skip
        assert text in shown.output, text
