"""An exporter killed with SIGKILL at random moments, while runs keep changing, then
restarted until done: every ``_system`` row is exported exactly once and matches the store."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from sluiceway.events.log import EventLog
from sluiceway.events.types import SlaMissed, SlaRecovered, WebhookReceived
from sluiceway.lake.names import TableName
from sluiceway.meta.checks import CheckRepo, CheckResult
from sluiceway.meta.metrics import MetricPoint, MetricRepo
from sluiceway.meta.models import EventRow, MetricPointRow, RunRow
from sluiceway.meta.runs import RunRepo
from sluiceway.meta.store import MetaStore, open_project_store
from sluiceway.observe.system_tables import _system_lake
from sluiceway.spec.project import load_project

pytestmark = pytest.mark.slow

EXPORTER = Path(__file__).with_name("system_exporter.py")
PAGE, KILLS = 150, 6


@pytest.fixture
def project_root(tmp_path: Path, metadata_url: str) -> Path:
    root = tmp_path / "project"
    (root / "pipelines").mkdir(parents=True)
    (root / "sluiceway.yaml").write_text(f"name: shop\nmetadata: {metadata_url}\n")
    (root / "pipelines" / "p.yaml").write_text(
        textwrap.dedent(
            """
            name: p
            steps:
              - {name: s, type: sql, query: SELECT 1 AS x, table: raw.x}
            """
        )
    )
    return root


@pytest.fixture
def store(project_root: Path) -> Iterator[MetaStore]:
    opened = open_project_store(load_project(project_root, environ={}))
    try:
        yield opened
    finally:
        opened.close()


def _add_facts(store: MetaStore, rng: random.Random, round_: int) -> None:
    """More events, check results, metric points and SLA events."""
    EventLog(store).append_many(
        [WebhookReceived(source=f"hook-{round_}-{n}") for n in range(rng.randint(200, 600))]
    )
    now = datetime.now(UTC)
    CheckRepo(store).record(
        [
            CheckResult("raw.x", f"c{n}", "not_null", "error", "passed", checked_at=now)
            for n in range(rng.randint(50, 200))
        ]
    )
    MetricRepo(store).record(
        [MetricPoint("rows", "raw.x", float(n), time=now) for n in range(rng.randint(50, 200))]
    )
    event = SlaMissed if round_ % 2 == 0 else SlaRecovered
    EventLog(store).append(event(table=f"gold.t{round_ % 3}", sla="freshness"))


def _move_runs(store: MetaStore, rng: random.Random, created: list[str]) -> None:
    """Queue new runs and move some queued or running ones on: rows the merge must follow."""
    runs = RunRepo(store)
    created += [runs.create("p", "prod").id for _ in range(rng.randint(20, 60))]
    for run_id in rng.sample(created, min(len(created), 40)):
        status = runs.require(run_id).status
        if status == "queued":
            runs.transition(run_id, "running")
        elif status == "running":
            runs.transition(run_id, rng.choice(["succeeded", "failed"]), error=None)


def _start(root: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(EXPORTER), str(root), str(PAGE)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_killed_exporter_leaves_every_row_exactly_once(
    project_root: Path, store: MetaStore
) -> None:
    rng = random.Random(20261207)  # reproducible chaos
    created: list[str] = []
    kills, killed_after = 0, []
    while True:
        _add_facts(store, rng, kills)
        _move_runs(store, rng, created)
        exporter = _start(project_root)
        assert exporter.stdout is not None and exporter.stderr is not None
        if kills == KILLS:
            out, err = exporter.communicate(timeout=300)
            assert exporter.returncode == 0 and out.rstrip().endswith("done"), err
            break
        commits_before_kill, seen = rng.randint(1, 8), 0
        for line in exporter.stdout:
            seen += line.startswith("committed")
            if seen >= commits_before_kill or line.startswith("done"):
                break
        if not line.startswith("done"):
            # land inside the next page's read, its write, its commit or its registration
            time.sleep(rng.uniform(0.0, 0.15))
            exporter.send_signal(signal.SIGKILL)
            killed_after.append(seen)
        exporter.wait(timeout=60)
        exporter.stdout.close()
        exporter.stderr.close()
        kills += 1

    assert len(killed_after) >= KILLS // 2, killed_after  # most rounds were cut short
    print(f"system export crash test: killed after {killed_after} commits")
    lake = _system_lake(load_project(project_root, environ={}))

    def lake_ids(name: str) -> list[object]:
        table = lake.table(TableName("_system", name))
        return sorted(table.read(columns=["id"]).column("id").to_pylist())

    with store.session() as session:
        events = list(session.scalars(select(EventRow.id).order_by(EventRow.id)))
        metrics = list(session.scalars(select(MetricPointRow.id).order_by(MetricPointRow.id)))
        runs = {r.id: r.status for r in session.scalars(select(RunRow))}
    assert lake_ids("events") == events
    assert lake_ids("runs") == sorted(runs)
    exported_runs = lake.table(TableName("_system", "runs")).read(columns=["id", "status"])
    assert dict(zip(*exported_runs.to_pydict().values(), strict=True)) == runs
    checks = [r.id for r in CheckRepo(store).query(limit=100_000)]
    assert lake_ids("check_results") == sorted(checks)
    assert lake_ids("metrics") == metrics
    sla_states = lake.table(TableName("_system", "sla_states")).read(columns=["subject", "state"])
    assert sla_states.num_rows == len(set(sla_states.column("subject").to_pylist())) == 3
