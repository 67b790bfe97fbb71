"""Each trigger kind, end to end through the daemon, on SQLite and PostgreSQL metadata.

A file landing (in a folder and in an S3 bucket) runs the ingestion pipeline and raw's
commit runs silver; a schedule tick, a signed webhook call and a manual run each run their
pipeline once.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sluiceway.meta.runs import Run, RunRepo
from sluiceway.meta.store import MetaStore, open_project_store
from sluiceway.orchestrate.daemon import Daemon, DaemonSettings
from sluiceway.orchestrate.triggers.clock import ManualClock
from sluiceway.orchestrate.triggers.webhook_routes import sign
from sluiceway.spec.project import load_project
from support.pipelines import INGEST_ON_FILES as INGEST

pytestmark = pytest.mark.slow

SILVER = """
name: silver
on:
  - {type: tables, tables: [raw.orders]}
steps:
  - name: totals
    type: sql
    query: SELECT count(*) AS orders, sum(amount) AS amount FROM raw.orders
    table: silver.totals
"""
NIGHTLY = """
name: nightly
on:
  - {type: schedule, cron: "0 2 * * *", timezone: Europe/Paris}
steps:
  - name: stamp
    type: sql
    query: SELECT 1 AS done
    table: gold.nightly
"""
HOOKED = """
name: hooked
on:
  - {type: webhook, name: refresh, secret: "${env:HOOK_SECRET}"}
steps:
  - name: stamp
    type: sql
    query: SELECT {{ params.batch | default(0) }} AS batch
    table: gold.hooked
"""
SECRET = "s3cr3t-for-tests"


class Served:
    """A project folder, its daemon (in a thread) and its metadata store."""

    def __init__(self, root: Path, environ: dict[str, str], landing: Any) -> None:
        self.root = root
        self.environ = environ
        self.landing = landing
        self.store: MetaStore | None = None
        self.daemon: Daemon | None = None

    @contextmanager
    def serving(self, clock: ManualClock | None = None) -> Iterator[Daemon]:
        project = load_project(self.root, environ=self.environ)
        self.store = open_project_store(project)
        self.daemon = Daemon(project, self.store, DaemonSettings(step_workers=0), clock=clock)
        thread = threading.Thread(target=self.daemon.run, kwargs={"install_signals": False})
        thread.start()
        try:
            yield self.daemon
        finally:
            self.daemon.stop_event.set()
            thread.join(timeout=60)
            self.store.close()

    def runs(self, pipeline: str) -> list[Run]:
        assert self.store is not None
        return [r for r in RunRepo(self.store).recent(limit=100) if r.pipeline == pipeline]

    def wait_succeeded(self, pipeline: str, count: int = 1, timeout: float = 60.0) -> list[Run]:
        _wait(lambda: sum(r.status == "succeeded" for r in self.runs(pipeline)) >= count, timeout)
        return self.runs(pipeline)

    def read(self, table: str) -> list[dict[str, Any]]:
        from sluiceway.lake.service import Lake

        project = load_project(self.root, environ=self.environ)
        assert self.store is not None
        table_ = Lake.for_project(project, self.store).table(table)
        return table_.read(hide_lineage=True).to_pylist()


def _wait(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def served(
    tmp_path: Path, metadata_url: str, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Served]:
    """A project on the parametrized metadata store; its landing zone local or on S3."""

    def make(*pipelines: str, landing: str = "file", request: Any = None) -> Served:
        root = tmp_path / "shop"
        (root / "pipelines").mkdir(parents=True)
        environ = {"HOOK_SECRET": SECRET}
        settings = [
            "name: shop",
            f"metadata: {metadata_url}",
            "daemon: {s3_poll_interval: 200ms, webhook_port: 0}",
        ]
        target: Any
        if landing == "s3":
            endpoint = request.getfixturevalue("s3_endpoint")
            environ.update(endpoint.environ())
            for key, value in endpoint.environ().items():
                monkeypatch.setenv(key, value)
            bucket = endpoint.new_bucket()
            settings.append(f"landing: s3://{bucket}/landing")
            client = endpoint.client()

            def target(path: str, data: bytes) -> None:
                client.put_object(Bucket=bucket, Key=f"landing/{path}", Body=data)

        else:
            folder = root / "landing"
            folder.mkdir()

            def target(path: str, data: bytes) -> None:
                file = folder / path
                file.parent.mkdir(parents=True, exist_ok=True)
                partial = file.with_suffix(".part")
                partial.write_bytes(data)
                partial.rename(file)

        (root / "sluiceway.yaml").write_text("\n".join(settings) + "\n", encoding="utf-8")
        for index, text in enumerate(pipelines):
            (root / "pipelines" / f"p{index}.yaml").write_text(text, encoding="utf-8")
        monkeypatch.setenv("HOOK_SECRET", SECRET)
        return Served(root, environ, target)

    return make


@pytest.mark.parametrize(
    "landing", ["file", pytest.param("s3", marks=pytest.mark.s3)], ids=["file", "s3"]
)
def test_a_landed_file_runs_ingest_and_raws_commit_runs_silver(
    served: Callable[..., Served], landing: str, request: pytest.FixtureRequest
) -> None:
    project = served(INGEST, SILVER, landing=landing, request=request)
    with project.serving():
        project.landing("orders/a.csv", b"id,amount\n1,2.5\n2,3.5\n")
        project.wait_succeeded("silver")
        project.landing("orders/b.csv", b"id,amount\n3,4.0\n")
        project.wait_succeeded("silver", 2)
        [totals] = project.read("silver.totals")
        ingest = project.runs("ingest")
    assert totals == {"orders": 3, "amount": 10.0}
    assert {r.trigger["kind"] for r in ingest} == {"files"}
    assert all(r.status == "succeeded" for r in ingest)
    assert sorted(r["id"] for r in project.read("raw.orders")) == [1, 2, 3]


def test_a_schedule_tick_runs_its_pipeline_once_per_tick(served: Callable[..., Served]) -> None:
    project = served(NIGHTLY)
    clock = ManualClock(datetime(2026, 3, 2, 0, 30, tzinfo=UTC))  # 01:30 in Paris
    with project.serving(clock=clock):
        clock.wait_for_sleepers(1)
        clock.advance(timedelta(hours=1))  # 02:30 in Paris: the 02:00 tick is due
        clock.wait_for_sleepers(1)
        [run] = project.wait_succeeded("nightly")
        clock.advance(timedelta(minutes=30))  # no new tick
        clock.wait_for_sleepers(1)
        time.sleep(0.5)
        assert len(project.runs("nightly")) == 1
    assert run.trigger["kind"] == "schedule"
    assert project.read("gold.nightly") == [{"done": 1}]


def test_a_signed_webhook_call_runs_its_pipeline_with_the_bodys_params(
    served: Callable[..., Served],
) -> None:
    project = served(HOOKED)
    with project.serving() as daemon:
        _wait(lambda: any(hasattr(w, "url") and w.port for w in daemon.watchers))
        [server] = [w for w in daemon.watchers if hasattr(w, "url")]
        body = json.dumps({"params": {"batch": 42}}).encode()
        unsigned = urllib.request.Request(f"{server.url}/hooks/refresh", data=body)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(unsigned, timeout=10)
        assert refused.value.code == 401
        signed = urllib.request.Request(
            f"{server.url}/hooks/refresh",
            data=body,
            headers={"X-Sluiceway-Signature": sign(SECRET, body)},
        )
        with urllib.request.urlopen(signed, timeout=10) as answer:
            assert answer.status == 202
        [run] = project.wait_succeeded("hooked")
    assert run.trigger["kind"] == "webhook"
    assert project.read("gold.hooked") == [{"batch": 42}]


def test_a_manual_run_runs_now_and_no_trigger_runs_it_again(
    served: Callable[..., Served],
) -> None:
    from sluiceway.orchestrate.runner import run_pipeline

    project = served(NIGHTLY)
    loaded = load_project(project.root, environ=project.environ)
    with open_project_store(loaded) as store:
        report = run_pipeline(loaded, "nightly", store)
        runs = RunRepo(store).recent()
    assert report.status == "succeeded"
    assert [(r.pipeline, r.trigger["kind"], r.status) for r in runs] == [
        ("nightly", "manual", "succeeded")
    ]
