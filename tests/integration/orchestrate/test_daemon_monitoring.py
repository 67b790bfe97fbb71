"""The daemon runs the monitoring services beside its workers: a file lands, and its run
is sent as lineage, counted at ``/metrics`` and exported to ``_system``; a table nobody
writes misses its SLA and the alert reaches a webhook."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sluiceway.meta.runs import RunRepo
from sluiceway.meta.store import open_project_store
from sluiceway.orchestrate.daemon import Daemon, DaemonSettings
from sluiceway.spec.project import load_project
from support.metrics import parse, value
from support.openlineage import validate
from support.pipelines import INGEST_ON_FILES
from support.receivers import HttpReceiver

SETTINGS = """
name: shop
daemon:
  system_tables_interval: 1s
  sla_interval: 1s
openlineage:
  file: lineage/events.jsonl
alerts:
  channels:
    hooks: {{type: webhook, url: "http://127.0.0.1:{port}/alerts"}}
  rules:
    - {{name: sla, on: [sla.missed], channels: [hooks]}}
"""

NEVER_WRITTEN = """
name: late
tables:
  silver.late:
    sla: {fresh_within: 1h}
steps:
  - {name: build, type: sql, query: "SELECT 1 AS id", table: silver.late}
"""


def _until(condition: Callable[[], object], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    hooks = HttpReceiver().start()
    yield hooks
    hooks.stop()


def test_a_serving_daemon_sends_lineage_alerts_metrics_and_system_tables(
    tmp_path: Path, receiver: HttpReceiver
) -> None:
    root = tmp_path / "shop"
    (root / "pipelines").mkdir(parents=True)
    (root / "landing" / "orders").mkdir(parents=True)
    (root / "sluiceway.yaml").write_text(SETTINGS.format(port=receiver.port), encoding="utf-8")
    (root / "pipelines" / "ingest.yaml").write_text(INGEST_ON_FILES, encoding="utf-8")
    (root / "pipelines" / "late.yaml").write_text(NEVER_WRITTEN, encoding="utf-8")
    project = load_project(root)
    store = open_project_store(project)
    daemon = Daemon(project, store, DaemonSettings(step_workers=0, monitoring=True, metrics_port=0))
    daemon.start()
    try:
        names = {service.name for service in daemon.services}
        assert {"openlineage", "alerts", "sla", "system-tables", "metrics"} <= names
        (root / "landing" / "orders" / "a.csv").write_text("id,amount\n1,2.5\n2,3.5\n")
        runs = RunRepo(store)
        _until(lambda: [r for r in runs.recent(pipeline="ingest") if r.status == "succeeded"])

        # the SLA of the table nobody wrote is missed, and the alert is delivered
        _until(lambda: receiver.requests)
        alert = json.loads(receiver.requests[0].body)
        assert "silver.late" in json.dumps(alert)

        # the run's lineage: a START and a COMPLETE for the run and its step, all valid
        lineage = root / "lineage" / "events.jsonl"

        def completed() -> list[dict[str, object]]:
            if not lineage.exists():
                return []
            events = [json.loads(line) for line in lineage.read_text().splitlines()]
            return [e for e in events if e["eventType"] == "COMPLETE"]

        _until(lambda: len(completed()) >= 2)
        events = [json.loads(line) for line in lineage.read_text().splitlines()]
        assert all(not validate(event) for event in events), [validate(e) for e in events]

        # /metrics counts the run
        metrics = next(s for s in daemon.services if s.name == "metrics")
        with urllib.request.urlopen(f"{metrics.url}/metrics", timeout=10) as answer:
            _, samples = parse(answer.read().decode())
        assert value(samples, "sluiceway_runs_total", pipeline="ingest", status="succeeded") == 1

        # the exporter has the run in _system.runs
        from deltalake import DeltaTable

        system_runs = root / "lake" / "prod" / "_system" / "runs"

        def exported() -> bool:
            if not (system_runs / "_delta_log").exists():
                return False
            ids = DeltaTable(str(system_runs)).to_pyarrow_dataset().to_table(columns=["id"])
            return any(run.id in ids.column("id").to_pylist() for run in runs.recent())

        _until(exported)
    finally:
        daemon.shutdown()
    assert not any(getattr(s, "running", False) for s in daemon.services)
