"""The daemon killed with SIGKILL in the middle of its runs, twenty times, and restarted.

Files keep landing between the kills. After the last restart runs to idle: every run the
triggers queued ended exactly once (none lost, none left running or queued), every row of
every file is in raw once, and silver — derived from raw by each of its runs — holds no
duplicate either.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.pipelines import INGEST_ON_FILES as INGEST

pytestmark = pytest.mark.slow

KILLS = 20
FILES_PER_ROUND = 2
ROWS_PER_FILE = 50

SILVER = """
name: silver
on:
  - {type: tables, tables: [raw.orders], debounce: 0.2s}
steps:
  - name: clean
    type: sql
    query: SELECT id, amount * 2 AS amount FROM raw.orders
    table: silver.orders
  - name: totals
    type: sql
    query: SELECT count(*) AS orders, sum(amount) AS amount FROM silver.orders
    table: gold.totals
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


def _serve(root: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLUICEWAY_")}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sluiceway",
            "--project",
            str(root),
            "serve",
            "--metrics-port",
            "0",
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )


def _land(root: Path, round_: int) -> int:
    for index in range(FILES_PER_ROUND):
        first = (round_ * FILES_PER_ROUND + index) * ROWS_PER_FILE
        rows = [f"{first + i},{(first + i) % 97}.5" for i in range(ROWS_PER_FILE)]
        target = root / "landing" / "orders" / f"r{round_:02d}-{index}.csv"
        partial = target.with_suffix(".tmp")
        partial.write_text("id,amount\n" + "\n".join(rows) + "\n", encoding="utf-8")
        partial.rename(target)  # lands whole, as a well-behaved producer does
    return FILES_PER_ROUND * ROWS_PER_FILE


def test_sigkilled_daemon_runs_every_triggered_run_once_and_loses_no_row(project: Path) -> None:
    from sluiceway.lake.service import Lake
    from sluiceway.meta.runs import RunRepo
    from sluiceway.meta.store import open_project_store
    from sluiceway.spec.project import load_project

    chance = random.Random(7)
    landed = 0
    for round_ in range(KILLS):
        landed += _land(project, round_)
        daemon = _serve(project)
        time.sleep(chance.uniform(1.0, 4.0))  # startup is ~1 s: kills land mid-run
        daemon.send_signal(signal.SIGKILL)
        daemon.wait()  # reaped, as a supervisor would: its pid is then free
    final = _serve(project, "--until-idle", "--idle-seconds", "2", "--no-summary")
    _, stderr = final.communicate(timeout=600)
    assert final.returncode == 0, stderr.decode()[-2000:]

    loaded = load_project(project, environ={})
    store = open_project_store(loaded)
    try:
        runs = RunRepo(store).recent(limit=10_000)
        assert runs, "the daemons queued no run"
        unfinished = [(r.pipeline, r.status, r.error) for r in runs if r.status != "succeeded"]
        assert unfinished == []
        keys = [r.dedup_key for r in runs if r.dedup_key]
        assert len(keys) == len(set(keys)) == len(runs)  # every run came from one trigger
        for run in runs:  # each step of each run succeeded once, however often it started
            succeeded = [s.step for s in RunRepo(store).steps(run.id) if s.status == "succeeded"]
            assert sorted(succeeded) == sorted(set(succeeded)), (run.id, succeeded)
        lake = Lake.for_project(loaded, store)
        raw = lake.table("raw.orders").read().to_pylist()
        ids = [row["id"] for row in raw]
        assert len(ids) == landed == len(set(ids))
        silver = lake.table("silver.orders").read().to_pylist()
        assert sorted(r["id"] for r in silver) == sorted(ids)
        [totals] = lake.table("gold.totals").read().to_pylist()
        assert totals["orders"] == landed
        recovered = [r for r in runs if r.attempt > 1]
        assert recovered, "no kill landed in a run: the test proved nothing"
    finally:
        store.close()
