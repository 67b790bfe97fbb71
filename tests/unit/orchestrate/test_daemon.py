"""The daemon end to end, embedded: a file lands, raw commits, silver follows by itself."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from sluiceway.events import EventLog
from sluiceway.meta.runs import RunRepo
from sluiceway.orchestrate.daemon import Daemon, DaemonSettings
from support.pipelines import INGEST_ON_FILES as INGEST

pytestmark = pytest.mark.slow

SILVER = """
name: silver
on:
  - {type: tables, tables: [raw.orders], debounce: 0.5s}
steps:
  - name: totals
    type: sql
    query: SELECT count(*) AS orders, sum(amount) AS amount FROM raw.orders
    table: silver.totals
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    (root / "pipelines").mkdir(parents=True)
    (root / "landing" / "orders").mkdir(parents=True)
    (root / "sluiceway.yaml").write_text("name: shop\n", encoding="utf-8")
    (root / "pipelines" / "ingest.yaml").write_text(INGEST, encoding="utf-8")
    (root / "pipelines" / "silver.yaml").write_text(SILVER, encoding="utf-8")
    return root


def _serve(root: Path, **settings: Any) -> tuple[Daemon, Any]:
    from sluiceway.meta.store import open_project_store
    from sluiceway.spec.project import load_project

    project = load_project(root, environ={})
    store = open_project_store(project)
    daemon = Daemon(project, store, DaemonSettings(**settings))
    return daemon, store


def _wait(predicate: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


@pytest.mark.parametrize("step_workers", [0, 1], ids=["in-thread", "worker-process"])
def test_a_landed_file_flows_from_raw_to_silver(project: Path, step_workers: int) -> None:
    (project / "landing" / "orders" / "a.csv").write_text("id,amount\n1,2.5\n2,3.0\n")
    daemon, store = _serve(project, step_workers=step_workers, until_idle=True, idle_seconds=1.5)
    thread = threading.Thread(target=daemon.run, kwargs={"install_signals": False})
    thread.start()
    try:
        runs = RunRepo(store)
        _wait(lambda: any(r.pipeline == "silver" and r.status == "succeeded"
                          for r in runs.recent()))  # fmt: skip
        (project / "landing" / "orders" / "b.csv").write_text("id,amount\n3,4.5\n")
        _wait(lambda: sum(r.pipeline == "silver" and r.status == "succeeded"
                          for r in runs.recent()) == 2)  # fmt: skip
    finally:
        thread.join(timeout=60)
    assert not thread.is_alive(), "the daemon did not stop once idle"
    runs = RunRepo(store).recent()
    assert sorted((r.pipeline, r.status, r.trigger["kind"]) for r in runs) == [
        ("ingest", "succeeded", "files"),
        ("ingest", "succeeded", "files"),
        ("silver", "succeeded", "tables"),
        ("silver", "succeeded", "tables"),
    ]
    from sluiceway.lake.service import Lake
    from sluiceway.spec.project import load_project

    lake = Lake.for_project(load_project(project, environ={}), store)
    assert lake.table("silver.totals").read().to_pylist()[0]["orders"] == 3
    events = [e.type for e in EventLog(store).read(types=None, limit=1000)]
    assert events.count("file.arrived") == 2 and events.count("run.queued") == 4
    store.close()


def test_a_burst_of_commits_makes_one_debounced_run(project: Path) -> None:
    daemon, store = _serve(project, step_workers=0, until_idle=True, idle_seconds=2.0)
    for name in ("a", "b", "c"):
        (project / "landing" / "orders" / f"{name}.csv").write_text("id,amount\n1,1.0\n")
    daemon.run(install_signals=False)
    silver = [r for r in RunRepo(store).recent() if r.pipeline == "silver"]
    ingest = [r for r in RunRepo(store).recent() if r.pipeline == "ingest"]
    assert len(ingest) >= 1 and len(silver) == 1
    assert silver[0].status == "succeeded"
    store.close()


def test_sigterm_drains_the_run_in_hand_and_a_restart_recovers_the_queue(project: Path) -> None:
    from sluiceway.meta.store import open_project_store
    from sluiceway.spec.project import load_project

    daemon, store = _serve(project, step_workers=0)
    runs = RunRepo(store)
    queued = runs.create("silver", trigger={"kind": "manual"})
    (project / "landing" / "orders" / "a.csv").write_text("id,amount\n1,1.0\n")
    thread = threading.Thread(target=daemon.run, kwargs={"install_signals": False})
    thread.start()
    _wait(lambda: any(r.pipeline == "ingest" for r in runs.recent()))
    daemon.stop_event.set()  # what SIGTERM does
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert all(r.status != "running" for r in runs.recent())  # drained, none left half-done
    store.close()
    # A new daemon finishes whatever is still queued.
    store = open_project_store(load_project(project, environ={}))
    again = Daemon(load_project(project, environ={}), store,
                   DaemonSettings(step_workers=0, until_idle=True, idle_seconds=1.5))  # fmt: skip
    again.run(install_signals=False)
    final = RunRepo(store).recent()
    assert all(r.status in ("succeeded", "failed") for r in final)
    assert RunRepo(store).require(queued.id).status in ("succeeded", "failed")
    store.close()
