"""Run one pipeline now, in this process: steps in dependency order, each one batch.

Every run and step attempt is recorded in the metadata store and announced on the event
log (``run.started`` … ``step.succeeded`` … ``run.succeeded``). Each step writes with a batch
number taken once per (run, step): a step re-run after a crash finds its batch already in
the table's log and commits nothing twice. A failed step fails the run; steps downstream
of it are skipped, independent ones still run.
"""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sluiceway.errors import SluicewayError, UsageError
from sluiceway.orchestrate.context import Engines, RunContext, StepContext
from sluiceway.orchestrate.order import downstream, step_order
from sluiceway.orchestrate.steps import executor

if TYPE_CHECKING:
    from sluiceway.meta.store import MetaStore
    from sluiceway.orchestrate.steps.base import StepOutcome
    from sluiceway.spec.project import Project

log = logging.getLogger(__name__)

RUNNABLE = ("ingest", "sql", "python", "check")


@dataclass
class StepReport:
    """How one step of a run ended."""

    step: str
    status: str
    outcome: StepOutcome | None = None
    error: str | None = None
    duration_s: float = 0.0


@dataclass
class RunReport:
    """How a run ended, step by step."""

    run_id: str
    pipeline: str
    status: str = "running"
    steps: list[StepReport] = field(default_factory=list)
    duration_s: float = 0.0

    @property
    def failed(self) -> bool:
        """True unless every step succeeded (or was skipped as already done)."""
        return self.status != "succeeded"


def run_pipeline(
    project: Project,
    pipeline_name: str,
    store: MetaStore,
    *,
    steps: list[str] | None = None,
    engine: str | None = None,
    params: dict[str, Any] | None = None,
    partition: str | None = None,
) -> RunReport:
    """Run ``pipeline_name`` (or only ``steps`` of it) and return what happened."""
    from sluiceway.events import emit
    from sluiceway.events.types import RunFailed, RunStarted, RunSucceeded
    from sluiceway.lake.service import Lake
    from sluiceway.meta.runs import RunRepo

    pipeline = _pipeline(project, pipeline_name)
    selected = _selected(pipeline, steps)
    runs = RunRepo(store)
    run = runs.create(
        pipeline.name, project.env, trigger={"kind": "manual"}, params=params, partition=partition
    )
    runs.transition(run.id, "running")
    started = time.monotonic()
    emit(store, RunStarted(run_id=run.id, pipeline=pipeline.name))
    context = StepContext(
        project=project,
        pipeline=pipeline,
        run=RunContext(
            id=run.id,
            pipeline=pipeline.name,
            env=project.env,
            started_at=datetime.now(UTC),
            partition=partition,
            params=dict(params or {}),
        ),
        lake=Lake.for_project(project, store),
        store=store,
        engines=Engines(project.settings.engines),
        engine_override=engine,
    )
    report = RunReport(run.id, pipeline.name)
    try:
        _run_steps(context, selected, report)
    except Exception as exc:
        # Planning failed (bad SQL, an unknown table, a cycle): the run ends, recorded.
        message = _error_text(exc)
        runs.transition(run.id, "failed", error=message)
        emit(store, RunFailed(run_id=run.id, pipeline=pipeline.name, error=message))
        raise
    finally:
        context.engines.close()
    report.duration_s = time.monotonic() - started
    failed = [s for s in report.steps if s.status == "failed"]
    if failed:
        report.status = "failed"
        message = f"step {failed[0].step} failed: {failed[0].error}"
        runs.transition(run.id, "failed", error=message)
        emit(store, RunFailed(run_id=run.id, pipeline=pipeline.name, error=message))
    else:
        report.status = "succeeded"
        runs.transition(run.id, "succeeded")
        emit(
            store,
            RunSucceeded(run_id=run.id, pipeline=pipeline.name, duration_s=report.duration_s),
        )
    return report


def _run_steps(context: StepContext, selected: set[str], report: RunReport) -> None:
    pipeline = context.pipeline
    by_name = {s.name: s for s in pipeline.steps}

    def reads(step: Any) -> list[str]:
        if step.type not in RUNNABLE:
            return []
        return executor(step.type).dependencies(step, context)

    graph = step_order(pipeline, reads)
    blocked: set[str] = set()
    for name in graph:
        if name not in selected:
            continue
        if name in blocked:
            report.steps.append(StepReport(name, "skipped", error="an upstream step failed"))
            continue
        step_report = _run_step(context, by_name[name])
        report.steps.append(step_report)
        if step_report.status == "failed":
            blocked |= downstream(graph, name)


def _run_step(context: StepContext, step: Any) -> StepReport:
    from sluiceway.events import emit
    from sluiceway.events.types import StepFailed, StepStarted, StepSucceeded
    from sluiceway.lake.commit import WriteContext
    from sluiceway.meta.runs import RunRepo

    assert context.store is not None
    runs = RunRepo(context.store)
    run, pipeline = context.run, context.pipeline
    if step.type not in RUNNABLE:
        return StepReport(step.name, "skipped", error=f"{step.type} steps are not run here yet")
    batch_number = _next_batch(context, step)
    attempt = runs.start_step(run.id, step.name, batch=batch_number)
    where = {"run_id": run.id, "pipeline": pipeline.name, "step": step.name}
    emit(context.store, StepStarted(**where, batch=batch_number, table=step.writes))
    started = time.monotonic()
    batch = WriteContext(run_id=run.id, app_id=f"{pipeline.name}/{step.name}", batch=batch_number)
    try:
        outcome = executor(step.type).execute(step, context, batch)
    except Exception as exc:
        error = _error_text(exc)
        runs.finish_step(attempt.id, "failed", error=error)
        emit(context.store, StepFailed(**where, error=error, table=step.writes))
        return StepReport(step.name, "failed", error=error, duration_s=time.monotonic() - started)
    duration = time.monotonic() - started
    commit = outcome.commit
    runs.finish_step(
        attempt.id,
        "succeeded",
        table=outcome.table,
        table_version=commit.version if commit else None,
        rows_out=outcome.rows_out,
        metrics={"engine": outcome.engine, "inputs": outcome.inputs, **outcome.metrics},
    )
    emit(
        context.store,
        StepSucceeded(**where, rows_out=outcome.rows_out, duration_s=duration, table=outcome.table),
    )
    _watch(context, step, outcome, duration)
    return StepReport(step.name, "succeeded", outcome=outcome, duration_s=duration)


def _watch(context: StepContext, step: Any, outcome: Any, duration: float) -> None:
    """Profile the step's commit, record its metrics and report anomalies (never fails)."""
    from sluiceway.quality.watch import after_commit, after_step

    assert context.store is not None
    run, pipeline = context.run, context.pipeline
    try:
        if outcome.commit is not None and outcome.table is not None:
            after_commit(
                context.lake,
                context.store,
                outcome.table,
                outcome.commit,
                run_id=run.id,
                pipeline=pipeline.name,
                step=step.name,
            )
        after_step(context.store, pipeline.name, step.name, duration, run_id=run.id)
    except Exception as exc:  # the step is committed: watching it must not fail the run
        log.warning("watching step %s of run %s failed: %s", step.name, run.id, exc)


def _next_batch(context: StepContext, step: Any) -> int:
    """One more than any batch this step used, in the store or in the table's log."""
    from sluiceway.lake.commit import committed_batch
    from sluiceway.meta.runs import RunRepo

    assert context.store is not None
    used = RunRepo(context.store).last_batch(context.pipeline.name, step.name) or 0
    if step.writes:
        table = context.lake.table(step.writes)
        if table.exists():
            app_id = f"{context.pipeline.name}/{step.name}"
            used = max(used, committed_batch(table.delta(), app_id) or 0)
    return used + 1


def _error_text(exc: BaseException) -> str:
    """The error as a user should read it: ours by message, anything else with its type."""
    if isinstance(exc, SluicewayError):
        return str(exc)
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _pipeline(project: Project, name: str) -> Any:
    from sluiceway.spec.problems import did_you_mean

    if name in project.pipelines:
        return project.pipelines[name]
    suggestion = did_you_mean(name, project.pipelines)
    raise UsageError(
        f"no pipeline {name!r}" + (f" — {suggestion}" if suggestion else ""),
        hint="`sluiceway pipelines` lists them",
    )


def _selected(pipeline: Any, steps: list[str] | None) -> set[str]:
    names = {s.name for s in pipeline.steps}
    unknown = sorted(set(steps or ()) - names)
    if unknown:
        raise UsageError(
            f"pipeline {pipeline.name} has no step {unknown[0]!r}",
            hint="steps: " + ", ".join(s.name for s in pipeline.steps),
        )
    return set(steps) if steps else names
