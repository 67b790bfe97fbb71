"""Run a pipeline now (``sluiceway run``), or execute a run a worker claimed from the queue.

Every run goes through the queue: it is recorded as queued, claimed with a lease, executed
(:mod:`~sluiceway.orchestrate.execution`) and finished, and every step is announced on the
event log (``run.started`` … ``step.succeeded`` … ``run.succeeded``). Each step writes with a
batch number taken once per (run, step): a step re-run after a crash finds its batch already
in the table's log and commits nothing twice.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sluiceway.errors import UsageError
from sluiceway.logs import run_context
from sluiceway.orchestrate.context import Engines, RunContext, StepContext
from sluiceway.orchestrate.execution import LEASE, Lease, RunReport, auto_workers, execute_run
from sluiceway.orchestrate.step_run import StepReport, error_text

if TYPE_CHECKING:
    from sluiceway.meta.runs import Run
    from sluiceway.meta.store import MetaStore
    from sluiceway.orchestrate.workers import StepRunner
    from sluiceway.spec.project import Project

log = logging.getLogger(__name__)

__all__ = ["RunReport", "StepReport", "execute_claimed", "resume_run", "run_pipeline"]


def run_pipeline(
    project: Project,
    pipeline_name: str,
    store: MetaStore,
    *,
    steps: list[str] | None = None,
    engine: str | None = None,
    params: dict[str, Any] | None = None,
    partition: str | None = None,
    workers: int | None = 0,
    trigger: dict[str, Any] | None = None,
) -> RunReport:
    """Queue a run of ``pipeline_name`` (or only ``steps`` of it), run it now, report.

    Args:
        workers: 0 runs the steps one by one in this process; N runs them side by side in
            N worker processes (and enforces step timeouts); None starts as many as the
            steps can use, none for a chain.
    """
    from sluiceway.meta.runs import RunRepo

    pipeline = _pipeline(project, pipeline_name)
    selected = _selected(pipeline, steps)
    runs = RunRepo(store)
    run = runs.create(
        pipeline.name,
        project.env,
        trigger=trigger or {"kind": "manual"},
        params=params,
        partition=partition,
        steps=sorted(selected) if steps else None,
        writes=writes_of(pipeline, selected),
    )
    claimed = claim_when_free(store, run, owner_id("run"))
    return execute_claimed(project, store, claimed, engine=engine, workers=workers)


def writes_of(pipeline: Any, steps: Iterable[str] | None = None) -> list[str]:
    """The tables ``pipeline`` writes (only ``steps``' when given): what its runs lock."""
    selected = None if steps is None else set(steps)
    return sorted(
        {s.writes for s in pipeline.steps if s.writes and (selected is None or s.name in selected)}
    )


def claim_when_free(store: MetaStore, run: Run, owner: str, *, poll: float = 0.5) -> Run:
    """Claim ``run``, waiting first while another running run writes one of its tables.

    Raises:
        UsageError: the run was claimed by someone else, or is no longer queued.
    """
    from sluiceway.meta.runs import RunRepo
    from sluiceway.orchestrate.worker import owner_is_dead

    runs = RunRepo(store)
    announced: str | None = None
    while True:
        claimed = runs.claim(run.id, owner, LEASE)
        if claimed is not None:
            return claimed
        blocker = runs.blocker(run)
        if blocker is None:
            current = runs.require(run.id)
            raise UsageError(
                f"run {run.id} is {current.status}, taken by another worker",
                hint=f"`sluiceway run-info {run.id}`",
            )
        if blocker.lease_owner and owner_is_dead(blocker.lease_owner):
            # Its process is gone from this host: waiting for the lease to run out would
            # only delay this run. The blocker becomes an orphan, recovered as one.
            if runs.end_lease(blocker.id, blocker.lease_owner):
                log.info("run %s of %s lost its process %s; its lease ends now",
                         blocker.id, blocker.pipeline, blocker.lease_owner)  # fmt: skip
            continue
        if blocker.id != announced:
            shared = sorted(set(run.writes or ()) & set(blocker.writes or ()))
            log.info("run %s waits for run %s of %s, which writes %s", run.id, blocker.id,
                     blocker.pipeline, ", ".join(shared))  # fmt: skip
            announced = blocker.id
        time.sleep(poll)


def execute_claimed(
    project: Project,
    store: MetaStore,
    run: Run,
    *,
    engine: str | None = None,
    workers: int | None = 0,
    runner: StepRunner | None = None,
) -> RunReport:
    """Execute a run this process has claimed (its lease renewed while it runs).

    Args:
        workers: worker processes for the steps (0: in this process; None: as many as
            its steps can use, see :func:`~sluiceway.orchestrate.execution.auto_workers`).
        runner: run the steps there instead (a daemon's shared pool).
    """
    from sluiceway.events import emit
    from sluiceway.events.types import RunFailed, RunStarted
    from sluiceway.lake.service import Lake
    from sluiceway.meta.runs import RunRepo
    from sluiceway.orchestrate.workers import InProcessSteps, ProcessSteps

    runs = RunRepo(store)
    pipeline = _pipeline(project, run.pipeline)
    emit(store, RunStarted(run_id=run.id, pipeline=pipeline.name, attempt=run.attempt))
    context = StepContext(
        project=project,
        pipeline=pipeline,
        run=RunContext(
            id=run.id,
            pipeline=pipeline.name,
            env=project.env,
            started_at=run.started_at or datetime.now(UTC),
            partition=run.partition,
            params=dict(run.params or {}),
        ),
        lake=Lake.for_project(project, store),
        store=store,
        engines=Engines(project.settings.engines),
        engine_override=engine,
    )
    own_runner = runner is None
    if runner is None:
        if workers is None:
            try:
                workers = auto_workers(context, run)
            except Exception:  # planning errors are reported by the run itself
                workers = 0
        runner = ProcessSteps(workers) if workers > 0 else InProcessSteps(context)
    try:
        with (
            run_context(run.id, pipeline.name),
            Lease(context, run, run.lease_owner or owner_id("run")) as lease,
        ):
            return execute_run(context, run, runner, lease=lease)
    except Exception as exc:
        # Planning failed (bad SQL, an unknown table, a cycle): the run ends, recorded.
        message = error_text(exc)
        runs.transition(run.id, "failed", error=message)
        emit(store, RunFailed(run_id=run.id, pipeline=pipeline.name, error=message))
        raise
    finally:
        if own_runner:
            runner.close()
        context.engines.close()


def resume_run(
    project: Project,
    store: MetaStore,
    run_id: str,
    *,
    engine: str | None = None,
    workers: int | None = 0,
) -> RunReport:
    """Run again what a failed or cancelled run left undone, as a new run linked to it.

    Steps that succeeded (in it, or in a run it resumed) are not run again; a step that
    started keeps its batch number, so what it may have committed is not written twice.

    Raises:
        UsageError: the run is still queued or running, or it succeeded.
    """
    from sluiceway.meta.runs import RunRepo

    runs = RunRepo(store)
    original = runs.require(run_id)
    if original.status not in ("failed", "cancelled"):
        raise UsageError(
            f"run {run_id} is {original.status}; only a failed or cancelled run can be resumed",
            hint="`sluiceway run-info RUN_ID` shows it",
        )
    run = runs.create(
        original.pipeline,
        original.env,
        trigger={"kind": "resume", "resumes": original.id},
        params=original.params,
        partition=original.partition,
        steps=original.steps,
        dedup_key=f"resume:{original.id}",
        writes=original.writes,
    )
    if run.status != "queued":
        raise UsageError(
            f"run {run_id} was resumed already, as run {run.id}",
            hint=f"`sluiceway run-info {run.id}`",
        )
    claimed = claim_when_free(store, run, owner_id("run"))
    return execute_claimed(project, store, claimed, engine=engine, workers=workers)


def owner_id(role: str) -> str:
    """Who holds a lease: role, host and process (unique while the process lives)."""
    return f"{role}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


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
