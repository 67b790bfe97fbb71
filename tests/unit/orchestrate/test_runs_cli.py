"""The run commands as a user types them: runs, run-info, resume, cancel, backfill, --from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sluiceway.cli.context import state
from sluiceway.cli.main import app
from sluiceway.meta.runs import RunRepo

pytestmark = pytest.mark.slow

MODULE = """
from pathlib import Path

import pyarrow as pa


def fragile(context):
    if not Path(context.params["fixed"]).exists():
        raise ValueError("the upstream export is not there yet")
    return pa.table({"x": [1]})
"""
CHAIN = """
name: chain
steps:
  - name: first
    type: sql
    query: SELECT 1 AS a
    table: silver.first
  - name: second
    type: python
    function: jobs.py:fragile
    table: silver.second
  - name: third
    type: sql
    query: SELECT x + 1 AS y FROM silver.second
    table: gold.third
"""
DAILY = """
name: daily
steps:
  - name: stamp
    type: sql
    query: SELECT CAST('{{ run.partition }}' AS DATE) AS day
    table: gold.days
    materialization: append
"""


def _cli(workspace: Any, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    for name in ("project_dir", "env", "_project"):
        monkeypatch.setattr(state, name, getattr(state, name))
    monkeypatch.setattr(state, "_store", workspace.store)
    return CliRunner().invoke(app, ["--project", str(workspace.root), *args])


def _chain(workspace: Any, tmp_path: Path) -> Path:
    workspace.write("python/jobs.py", MODULE)
    workspace.write("pipelines/chain.yaml", CHAIN)
    return tmp_path / "fixed"


def test_a_failed_run_is_listed_explained_and_resumed_without_redoing_its_first_step(
    workspace: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fixed = _chain(workspace, tmp_path)
    failed = _cli(workspace, monkeypatch, "run", "chain", "-p", f"fixed={fixed}")
    assert failed.exit_code == 1

    listed = json.loads(_cli(workspace, monkeypatch, "runs", "--json").output)
    [run] = [r for r in listed if r["pipeline"] == "chain"]
    assert run["status"] == "failed"
    assert "the upstream export is not there yet" in run["error"]

    info = _cli(workspace, monkeypatch, "run-info", run["run_id"][:8])
    assert info.exit_code == 0, info.output
    assert "failed" in info.output and "second" in info.output

    fixed.write_text("now")
    resumed = _cli(workspace, monkeypatch, "resume", run["run_id"][:8], "--json")
    assert resumed.exit_code == 0, resumed.output
    report = json.loads(resumed.output)
    assert report["status"] == "succeeded" and report["resumes"] == run["run_id"]
    repo = RunRepo(workspace.store)
    attempts = [s.step for s in repo.steps(report["run_id"])]
    assert attempts == ["second", "third"]  # first committed in the failed run: not redone
    assert workspace.lake().table("gold.third").read().column("y").to_pylist() == [2]
    again = _cli(workspace, monkeypatch, "resume", run["run_id"][:8])
    assert again.exit_code != 0 and "resumed already" in str(again.exception)


def test_from_runs_a_step_and_everything_downstream_of_it(
    workspace: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fixed = _chain(workspace, tmp_path)
    fixed.write_text("ok")
    result = _cli(workspace, monkeypatch, "run", "chain", "--from", "second", "-p",
                  f"fixed={fixed}", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    steps = {s["step"]: s["status"] for s in json.loads(result.output)["steps"]}
    assert steps == {"second": "succeeded", "third": "succeeded"}
    assert not workspace.lake().table("silver.first").exists()


def test_cancel_stops_a_queued_run_before_it_starts(
    workspace: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = RunRepo(workspace.store).create("raw", "prod", trigger={"kind": "manual"})
    result = _cli(workspace, monkeypatch, "cancel", run.id[:8])
    assert result.exit_code == 0, result.output
    assert RunRepo(workspace.store).require(run.id).status == "cancelled"
    unknown = _cli(workspace, monkeypatch, "cancel", "nope")
    assert unknown.exit_code != 0 and "no run 'nope'" in str(unknown.exception)


def test_a_backfill_runs_each_partition_once_and_resumes_where_it_failed(
    workspace: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace.write("pipelines/daily.yaml", DAILY)
    first = _cli(workspace, monkeypatch, "backfill", "daily", "--from", "2026-01-01",
                 "--to", "2026-01-03", "--parallel", "2", "--json")  # fmt: skip
    assert first.exit_code == 0, first.output
    assert [(r["partition"], r["status"]) for r in json.loads(first.output)] == [
        ("2026-01-01", "succeeded"),
        ("2026-01-02", "succeeded"),
        ("2026-01-03", "succeeded"),
    ]
    wider = _cli(workspace, monkeypatch, "backfill", "daily", "--from", "2026-01-02",
                 "--to", "2026-01-04", "--json")  # fmt: skip
    assert [(r["partition"], r["status"]) for r in json.loads(wider.output)] == [
        ("2026-01-02", "skipped"),
        ("2026-01-03", "skipped"),
        ("2026-01-04", "succeeded"),
    ]
    days = workspace.lake().table("gold.days").read().column("day").to_pylist()
    assert sorted(str(d) for d in days) == [f"2026-01-0{i}" for i in range(1, 5)]
    runs = [r for r in RunRepo(workspace.store).recent() if r.pipeline == "daily"]
    assert sorted(r.partition for r in runs) == [f"2026-01-0{i}" for i in range(1, 5)]
    refused = _cli(workspace, monkeypatch, "backfill", "daily", "--from", "2026-01-05",
                   "--to", "2026-01-01")  # fmt: skip
    assert refused.exit_code != 0 and "is before" in str(refused.exception)
