"""SIGTERM drains: the daemon stops taking work, finishes the run in hand, then exits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.pipelines import INGEST_ON_FILES

pytestmark = pytest.mark.slow

SLOW = """
name: slow
on:
  - {type: tables, tables: [raw.orders]}
steps:
  - name: wait
    type: python
    function: jobs.py:slow
    table: silver.slow
"""
MODULE = """
import os
import time
from pathlib import Path

import pyarrow as pa


def slow(context):
    Path(os.environ["SW_TEST_STARTED"]).write_text("yes")
    time.sleep(3)
    return pa.table({"done": [1]})
"""


def test_sigterm_lets_the_running_run_finish_then_exits(tmp_path: Path) -> None:
    from sluiceway.meta.runs import RunRepo
    from sluiceway.meta.store import open_project_store
    from sluiceway.spec.project import load_project

    root = tmp_path / "shop"
    for folder in ("pipelines", "python", "landing/orders"):
        (root / folder).mkdir(parents=True)
    (root / "sluiceway.yaml").write_text("name: shop\n", encoding="utf-8")
    (root / "pipelines" / "ingest.yaml").write_text(INGEST_ON_FILES, encoding="utf-8")
    (root / "pipelines" / "slow.yaml").write_text(SLOW, encoding="utf-8")
    (root / "python" / "jobs.py").write_text(MODULE, encoding="utf-8")
    (root / "landing" / "orders" / "a.csv").write_text("id,amount\n1,2.5\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLUICEWAY_")}
    env["SW_TEST_STARTED"] = str(root / "started")
    daemon = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sluiceway",
            "--project",
            str(root),
            "serve",
            "--no-summary",
            "--metrics-port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while not (root / "started").exists():
            assert daemon.poll() is None, daemon.communicate()[1].decode()[-2000:]
            assert time.monotonic() < deadline, "the slow step never started"
            time.sleep(0.05)
        daemon.send_signal(signal.SIGTERM)
        _, stderr = daemon.communicate(timeout=60)
    finally:
        if daemon.poll() is None:
            daemon.kill()
    assert daemon.returncode == 0, stderr.decode()[-2000:]
    assert b"draining" in stderr
    project = load_project(root, environ={})
    with open_project_store(project) as store:
        runs = {r.pipeline: r.status for r in RunRepo(store).recent()}
    assert runs == {"ingest": "succeeded", "slow": "succeeded"}  # finished, not abandoned
