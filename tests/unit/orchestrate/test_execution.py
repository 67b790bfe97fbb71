"""Executing runs: steps side by side in worker processes, retries of transient failures,
timeouts, cancelling, resuming a failed run, and recovering a run whose worker died."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from sluiceway.events import EventLog
from sluiceway.meta.runs import RunRepo
from sluiceway.orchestrate.runner import execute_claimed, resume_run, run_pipeline

pytestmark = pytest.mark.slow

MODULE = """
import os
import time
from pathlib import Path

import pyarrow as pa


def slow(context):
    marks = Path(os.environ["SW_TEST_MARKS"])
    marks.joinpath(context.params["name"] + ".start").write_text(str(time.time()))
    time.sleep(float(context.params.get("seconds", 1)))
    marks.joinpath(context.params["name"] + ".end").write_text(str(time.time()))
    return pa.table({"x": [1]})


def slow_b(context):
    return slow(type(context)(**{**context.__dict__, "params": {**context.params, "name": "b"}}))


def flaky(context):
    marks = Path(os.environ["SW_TEST_MARKS"])
    tries = marks / "flaky"
    seen = int(tries.read_text()) if tries.exists() else 0
    tries.write_text(str(seen + 1))
    if seen == 0:
        raise ConnectionError("the database went away")
    return pa.table({"x": [seen]})


def broken(context):
    raise ValueError("a bug in the step")


def fixed_later(context):
    if not Path(os.environ["SW_TEST_MARKS"], "fixed").exists():
        raise ValueError("not fixed yet")
    return pa.table({"x": [2]})
"""


@pytest.fixture
def marks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "marks"
    folder.mkdir()
    monkeypatch.setenv("SW_TEST_MARKS", str(folder))
    return folder


def _pipeline(workspace: Any, steps: str, settings: str = "") -> None:
    workspace.write("python/jobs.py", MODULE)
    (workspace.root / "sluiceway.yaml").write_text("name: shop\n" + settings, encoding="utf-8")
    workspace.write("pipelines/jobs.yaml", "name: jobs\nsteps:\n" + steps)


def _step(name: str, function: str, table: str, **more: Any) -> str:
    extra = "".join(f"    {k}: {v}\n" for k, v in more.items())
    return (
        f"  - name: {name}\n    type: python\n    function: jobs.py:{function}\n"
        f"    table: {table}\n{extra}"
    )


def test_independent_steps_run_side_by_side_in_worker_processes(
    workspace: Any, marks: Path
) -> None:
    _pipeline(
        workspace,
        _step("a", "slow", "raw.a") + _step("b", "slow_b", "raw.b"),
    )
    project = workspace.project()
    report = run_pipeline(
        project, "jobs", workspace.store, params={"name": "a", "seconds": 1.5}, workers=2
    )
    assert report.status == "succeeded", [s.error for s in report.steps]
    a_start, a_end = (float((marks / f"a.{k}").read_text()) for k in ("start", "end"))
    b_start, b_end = (float((marks / f"b.{k}").read_text()) for k in ("start", "end"))
    assert a_start < b_end and b_start < a_end  # the two steps overlapped


def test_a_transient_failure_is_retried_with_the_same_batch(workspace: Any, marks: Path) -> None:
    _pipeline(workspace, _step("load", "flaky", "raw.flaky", retries=2, retry_delay="0.1s"))
    report = run_pipeline(workspace.project(), "jobs", workspace.store)
    assert report.status == "succeeded", [s.error for s in report.steps]
    attempts = RunRepo(workspace.store).steps(report.run_id)
    assert [(s.attempt, s.status) for s in attempts] == [(1, "failed"), (2, "succeeded")]
    assert attempts[0].batch == attempts[1].batch
    assert "the database went away" in str(attempts[0].error)
    [retrying] = EventLog(workspace.store).read(types=["step.retrying"], limit=10)
    assert retrying.payload()["attempt"] == 2


def test_a_terminal_failure_is_not_retried(workspace: Any, marks: Path) -> None:
    _pipeline(workspace, _step("load", "broken", "raw.broken", retries=3, retry_delay="0.1s"))
    report = run_pipeline(workspace.project(), "jobs", workspace.store)
    assert report.status == "failed"
    assert len(RunRepo(workspace.store).steps(report.run_id)) == 1


def test_a_step_over_its_timeout_is_stopped_in_worker_processes(
    workspace: Any, marks: Path
) -> None:
    _pipeline(workspace, _step("load", "slow", "raw.slow", timeout="1s", retries=0))
    started = time.monotonic()
    report = run_pipeline(
        workspace.project(), "jobs", workspace.store, params={"name": "a", "seconds": 30}, workers=1
    )
    assert report.status == "failed"
    assert "timed out after 1 s" in str(report.steps[0].error)
    assert time.monotonic() - started < 20
    assert not (marks / "a.end").exists()


def test_a_running_run_is_cancelled_on_request(workspace: Any, marks: Path) -> None:
    _pipeline(workspace, _step("load", "slow", "raw.slow") + _step("after", "broken", "raw.x"))
    runs = RunRepo(workspace.store)
    run = runs.create("jobs", params={"name": "a", "seconds": 30})
    claimed = runs.claim(run.id, "test", timedelta(seconds=30))
    assert claimed is not None

    def cancel_soon() -> None:
        while not (marks / "a.start").exists():
            time.sleep(0.05)
        runs.request_cancel(run.id)

    threading.Thread(target=cancel_soon, daemon=True).start()
    report = execute_claimed(workspace.project(), workspace.store, claimed, workers=1)
    assert report.status == "cancelled"
    assert runs.require(run.id).status == "cancelled"
    assert not (marks / "a.end").exists()
    [event] = EventLog(workspace.store).read(types=["run.cancelled"], limit=5)
    assert event.run_id == run.id


def test_resume_runs_only_what_the_failed_run_left_undone(workspace: Any, marks: Path) -> None:
    _pipeline(
        workspace,
        _step("first", "flaky", "raw.first", retries=0)
        + _step("second", "fixed_later", "raw.second", depends_on="[first]"),
    )
    (marks / "flaky").write_text("1")  # first succeeds at once
    failed = run_pipeline(workspace.project(), "jobs", workspace.store)
    assert failed.status == "failed"
    (marks / "fixed").write_text("yes")
    resumed = resume_run(workspace.project(), workspace.store, failed.run_id)
    assert resumed.status == "succeeded", [s.error for s in resumed.steps]
    runs = RunRepo(workspace.store)
    assert [s.step for s in runs.steps(resumed.run_id)] == ["second"]  # first not run again
    assert (marks / "flaky").read_text() == "2"
    second = [
        s for s in runs.steps(failed.run_id) + runs.steps(resumed.run_id) if s.step == "second"
    ]
    assert second[0].batch == second[1].batch
    with pytest.raises(Exception, match="succeeded; only a failed or cancelled run"):
        resume_run(workspace.project(), workspace.store, resumed.run_id)


def test_a_run_whose_worker_died_is_recovered_without_redoing_commits(
    workspace: Any, marks: Path
) -> None:
    _pipeline(
        workspace,
        _step("first", "flaky", "raw.first", retries=0)
        + _step("second", "fixed_later", "raw.second", depends_on="[first]"),
    )
    (marks / "flaky").write_text("1")
    (marks / "fixed").write_text("yes")
    runs = RunRepo(workspace.store)
    run = runs.create("jobs")
    # A worker claimed it, ran "first", and died before "second": its lease ran out.
    claimed = runs.claim(run.id, "dead-worker", timedelta(seconds=-1))
    assert claimed is not None
    from sluiceway.orchestrate.context import Engines, RunContext, StepContext
    from sluiceway.orchestrate.step_run import execute_step

    project = workspace.project()
    pipeline = project.pipelines["jobs"]
    context = StepContext(
        project=project,
        pipeline=pipeline,
        run=RunContext(id=run.id, pipeline="jobs", env="prod", started_at=claimed.started_at),
        lake=workspace.lake(),
        store=workspace.store,
        engines=Engines(project.settings.engines),
    )
    execute_step(context, pipeline.steps[0], 1, 1)
    context.engines.close()
    recovered = runs.claim(run.id, "new-worker", timedelta(seconds=30))
    assert recovered is not None and recovered.attempt == 2
    report = execute_claimed(project, workspace.store, recovered)
    assert report.status == "succeeded", [s.error for s in report.steps]
    assert [s.step for s in runs.steps(run.id)] == ["first", "second"]  # first ran once
    assert (marks / "flaky").read_text() == "2"


def test_a_step_a_dead_worker_left_running_runs_again_as_its_next_attempt(
    workspace: Any, marks: Path
) -> None:
    _pipeline(workspace, _step("only", "flaky", "raw.only", retries=0))
    (marks / "flaky").write_text("1")
    runs = RunRepo(workspace.store)
    run = runs.create("jobs")
    claimed = runs.claim(run.id, "dead-worker", timedelta(seconds=-1))
    assert claimed is not None
    # The worker recorded the step's first attempt, then was killed inside it.
    runs.start_step(run.id, "only", attempt=1, batch=1)
    recovered = runs.claim(run.id, "new-worker", timedelta(seconds=30))
    assert recovered is not None

    report = execute_claimed(workspace.project(), workspace.store, recovered)

    assert report.status == "succeeded", [s.error for s in report.steps]
    attempts = [(s.attempt, s.status) for s in runs.steps(run.id)]
    assert attempts == [(1, "failed"), (2, "succeeded")]  # the cut-short one is not left running


def test_a_run_starts_as_many_workers_as_its_steps_can_use(workspace: Any) -> None:
    from sluiceway.orchestrate.analysis import placeholder_contexts
    from sluiceway.orchestrate.execution import auto_workers

    workspace.write(
        "pipelines/wide.yaml",
        """
        name: wide
        steps:
          - {name: a, type: sql, query: SELECT 1 AS x, table: silver.a}
          - {name: b, type: sql, query: SELECT 2 AS x, table: silver.b}
          - {name: c, type: sql, query: SELECT 3 AS x, table: silver.c}
          - {name: d, type: sql, query: SELECT * FROM silver.a, table: gold.d}
        """,
    )
    workspace.write(
        "pipelines/chain.yaml",
        """
        name: chain
        steps:
          - {name: a, type: sql, query: SELECT 1 AS x, table: silver.ca}
          - {name: b, type: sql, query: SELECT * FROM silver.ca, table: silver.cb}
        """,
    )
    contexts = {c.pipeline.name: c for c in placeholder_contexts(workspace.project(), None)}
    runs = RunRepo(workspace.store)
    wide = runs.create("wide", "prod")
    assert auto_workers(contexts["wide"], wide) == 3  # a, b and c side by side
    only_two = runs.create("wide", "prod", steps=["a", "d"])
    assert auto_workers(contexts["wide"], only_two) == 0  # a then d: a chain
    assert auto_workers(contexts["chain"], runs.create("chain", "prod")) == 0
