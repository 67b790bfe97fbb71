"""Executing one claimed run: its steps in dependency order, side by side when they can be.

A step starts once every step it depends on succeeded; at most ``max_parallel`` run at a
time (in worker processes; in the run's own process they go one by one). A failing step is
retried when its error is transient (a commit conflict, a lost connection, a timeout), up
to its ``retries``, after ``retry_delay`` doubled each time with ±50% jitter; any other
failure fails it at once, and the steps downstream of it are skipped while independent ones
still run.

Steps that succeeded in an earlier attempt of the same run (a worker that died, a daemon
restarted) are not run again, and a step that started before keeps its batch number, so
whatever it committed is found in the table's log and not written twice. The run's lease is
renewed while it executes; a cancel request stops its running steps and queued ones.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sluiceway.orchestrate.order import downstream, step_order
from sluiceway.orchestrate.step_run import RUNNABLE, StepReport, batch_for, batches_of
from sluiceway.orchestrate.steps import executor
from sluiceway.orchestrate.workers import StepTask

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sluiceway.meta.runs import Run
    from sluiceway.meta.step_runs import StepRun
    from sluiceway.orchestrate.context import StepContext
    from sluiceway.orchestrate.workers import StepRunner

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)
"""How long a run's claim lasts without renewal: how soon another worker recovers it."""
MAX_RETRY_DELAY = timedelta(minutes=10)


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


class Lease:
    """Keeps a run's lease alive from a thread; notices cancel requests and a lost lease."""

    def __init__(self, context: StepContext, run: Run, owner: str, ttl: timedelta = LEASE):
        self.context, self.run_id, self.owner, self.ttl = context, run.id, owner, ttl
        self.cancelled = threading.Event()
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sw-lease", daemon=True)

    def __enter__(self) -> Lease:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        from sluiceway.meta.runs import RunRepo

        assert self.context.store is not None
        runs = RunRepo(self.context.store)
        while not self._stop.wait(min(1.0, self.ttl.total_seconds() / 3)):
            try:
                if not runs.renew_lease(self.run_id, self.owner, self.ttl):
                    self.lost.set()
                    return
                current = runs.get(self.run_id)
                if current is not None and current.cancel_requested:
                    self.cancelled.set()
            except Exception as exc:  # a store blip: try again at the next beat
                log.debug("renewing the lease of run %s failed: %s", self.run_id, exc)


def execute_run(
    context: StepContext,
    run: Run,
    runner: StepRunner,
    *,
    lease: Lease | None = None,
    clock: Any = time,
) -> RunReport:
    """Run the claimed ``run``'s steps; record and announce how it ends."""
    from sluiceway.meta.runs import RunRepo

    assert context.store is not None
    runs = RunRepo(context.store)
    pipeline = context.pipeline
    started = time.monotonic()
    report = RunReport(run.id, pipeline.name)
    by_name = {s.name: s for s in pipeline.steps}
    selected = set(run.steps) if run.steps else set(by_name)

    def reads(step: Any) -> list[str]:
        if step.type not in RUNNABLE:
            return []
        return executor(step.type).dependencies(step, context)

    graph = step_order(pipeline, reads)
    history = [runs.steps(r) for r in lineage(runs, run)]  # this run's own records first
    done = {s.step for records in history for s in records if s.status == "succeeded"}
    batches = batches_of(history)
    recorded = _close_cut_short(runs, history[0])
    last_batches = runs.last_batches(pipeline.name, run.partition)
    for name in graph:
        if name in done and name in selected:
            report.steps.append(StepReport(name, "succeeded", error="done in an earlier attempt"))
    todo = [n for n in graph if n in selected and n not in done]
    waiting = set(todo)
    blocked: set[str] = set()
    running: dict[str, tuple[Future[StepReport], StepTask]] = {}
    retry_at: dict[str, float] = {}
    attempts: dict[str, int] = {}  # this execution's attempts of each step (for retries)
    policy = {name: _policy(context, by_name[name]) for name in todo}
    parallel = min(runner.parallel, context.project.settings.defaults.max_parallel)
    cancelled = False
    while waiting or running:
        if lease is not None and (lease.cancelled.is_set() or lease.lost.is_set()):
            cancelled = True
            for _, task in running.values():
                runner.cancel(task.task_id)
            for future, _ in list(running.values()):
                future.result()
            running.clear()
            for name in waiting:
                report.steps.append(StepReport(name, "cancelled", error="the run was cancelled"))
            waiting.clear()
            break
        now = clock.monotonic()
        for name in [n for n in todo if n in waiting]:
            if len(running) >= parallel:
                break
            upstream = graph[name] & selected
            if upstream & blocked:
                waiting.discard(name)
                blocked.add(name)
                report.steps.append(StepReport(name, "skipped", error="an upstream step failed"))
                continue
            if not upstream <= done or retry_at.get(name, 0.0) > now:
                continue
            waiting.discard(name)
            attempts[name] = attempts.get(name, 0) + 1
            batch = batches.get(name) or batch_for(context, by_name[name], batches, last_batches)
            batches[name] = batch
            number = recorded.get(name, 0) + attempts[name]
            task = _task(context, run, by_name[name], batch, number, policy[name])
            running[name] = (runner.submit(task), task)
        if not running:
            if waiting and not retry_at:
                # Nothing can start: the rest depend on steps outside the selection.
                for name in sorted(waiting):
                    report.steps.append(StepReport(name, "skipped", error="not selected"))
                break
            clock.sleep(0.05)
            continue
        finished, _ = wait(
            [f for f, _ in running.values()], timeout=0.5, return_when=FIRST_COMPLETED
        )
        for name in [n for n, (f, _) in running.items() if f in finished]:
            future, task = running.pop(name)
            step_report = future.result()
            retries, delay = policy[name][0], policy[name][1]
            if step_report.status == "succeeded":
                done.add(name)
                retry_at.pop(name, None)
                report.steps.append(step_report)
            elif (
                step_report.status == "failed"
                and step_report.transient
                and attempts[name] <= retries
            ):
                pause = _backoff(delay, attempts[name])
                retry_at[name] = clock.monotonic() + pause
                waiting.add(name)
                _announce_retry(context, name, task.attempt, pause, step_report.error)
            else:
                retry_at.pop(name, None)
                report.steps.append(step_report)
                blocked.add(name)
                blocked |= downstream(graph, name)
    runner.settle()  # the committed steps' profiles and anomaly checks are recorded
    report.duration_s = time.monotonic() - started
    _finish(context, run, report, cancelled=cancelled)
    return report


def auto_workers(context: StepContext, run: Run) -> int:
    """Worker processes worth starting for ``run``: 0 when its steps form a chain.

    As many as steps can run side by side (the widest level of its selected steps'
    graph), at most ``defaults.max_parallel``; a chain runs in the run's own process,
    which saves starting processes that would take turns.
    """
    selected = set(run.steps) if run.steps else {s.name for s in context.pipeline.steps}

    def reads(step: Any) -> list[str]:
        if step.type not in RUNNABLE:
            return []
        return executor(step.type).dependencies(step, context)

    graph = step_order(context.pipeline, reads)
    depth: dict[str, int] = {}
    for name, upstream in graph.items():  # keyed in execution order: upstream come first
        depth[name] = 1 + max((depth[u] for u in upstream if u in depth), default=-1)
    levels: dict[int, int] = {}
    for name in selected:
        levels[depth[name]] = levels.get(depth[name], 0) + 1
    width = max(levels.values(), default=0)
    return 0 if width <= 1 else min(width, context.project.settings.defaults.max_parallel)


def _close_cut_short(runs: Any, records: Sequence[StepRun]) -> dict[str, int]:
    """The highest attempt ``records`` (the run's own) hold of each step.

    A run recovered from a stopped worker already holds attempts of its steps: new ones
    are numbered after them, so each keeps its own record and log. An attempt still marked
    running was cut short with its worker: it is recorded as failed.
    """
    from sluiceway.meta.errors import InvalidTransitionError

    highest: dict[str, int] = {}
    for record in records:
        highest[record.step] = max(highest.get(record.step, 0), record.attempt)
        if record.status == "running":
            with contextlib.suppress(InvalidTransitionError):
                runs.finish_step(record.id, "failed", error="its worker stopped before it ended")
    return highest


def lineage(runs: Any, run: Run) -> list[str]:
    """The run and the runs it resumes, newest first (``trigger.resumes`` links them)."""
    found = [run.id]
    parent = (run.trigger or {}).get("resumes")
    while parent and parent not in found:
        found.append(parent)
        previous = runs.get(parent)
        parent = (previous.trigger or {}).get("resumes") if previous is not None else None
    return found


def _policy(context: StepContext, step: Any) -> tuple[int, timedelta, timedelta]:
    """(retries, retry delay, timeout): the step's, else the pipeline's, else the project's."""
    defaults = context.project.settings.defaults
    pipeline = context.pipeline

    def pick(name: str) -> Any:
        for source in (step, pipeline):
            value = getattr(source, name, None)
            if value is not None:
                return value
        return getattr(defaults, name)

    return int(pick("retries")), pick("retry_delay"), pick("timeout")


def _task(
    context: StepContext,
    run: Run,
    step: Any,
    batch: int,
    attempt: int,
    policy: tuple[int, Any, Any],
) -> StepTask:
    return StepTask(
        task_id=uuid.uuid4().hex,
        project_root=str(context.project.root),
        env=context.project.env,
        run_id=run.id,
        pipeline=context.pipeline.name,
        step=step.name,
        batch=batch,
        attempt=attempt,
        started_at=context.run.started_at,
        params=dict(context.run.params),
        partition=context.run.partition,
        engine_override=context.engine_override,
        timeout_s=policy[2].total_seconds(),
    )


def _backoff(delay: timedelta, attempt: int) -> float:
    """``delay`` × 2^(attempt-1), capped, with ±50% jitter (retries of many runs spread)."""
    base = min(delay * 2 ** (attempt - 1), MAX_RETRY_DELAY).total_seconds()
    return base * (0.5 + random.random())  # noqa: S311 - jitter, not secrecy


def _announce_retry(
    context: StepContext, step: str, attempt: int, pause: float, error: str | None
) -> None:
    from sluiceway.events import emit
    from sluiceway.events.types import StepRetrying

    assert context.store is not None
    emit(
        context.store,
        StepRetrying(
            run_id=context.run.id,
            pipeline=context.pipeline.name,
            step=step,
            attempt=attempt + 1,
            delay_s=round(pause, 3),
            error=error or "",
        ),
    )


def _finish(context: StepContext, run: Run, report: RunReport, *, cancelled: bool) -> None:
    from sluiceway.events import emit
    from sluiceway.events.types import RunCancelled, RunFailed, RunSucceeded
    from sluiceway.meta.errors import InvalidTransitionError
    from sluiceway.meta.runs import RunRepo

    assert context.store is not None
    runs = RunRepo(context.store)
    failed = [s for s in report.steps if s.status == "failed"]
    try:
        if cancelled:
            report.status = "cancelled"
            runs.transition(run.id, "cancelled", error="cancelled")
            emit(context.store, RunCancelled(run_id=run.id, pipeline=run.pipeline))
        elif failed:
            report.status = "failed"
            message = f"step {failed[0].step} failed: {failed[0].error}"
            runs.transition(run.id, "failed", error=message)
            emit(context.store, RunFailed(run_id=run.id, pipeline=run.pipeline, error=message))
        else:
            report.status = "succeeded"
            runs.transition(run.id, "succeeded")
            emit(
                context.store,
                RunSucceeded(run_id=run.id, pipeline=run.pipeline, duration_s=report.duration_s),
            )
    except InvalidTransitionError:
        # Another worker took the run over (this one's lease ran out): it finishes it.
        report.status = "abandoned"


def now_utc() -> datetime:
    """The current instant, UTC."""
    return datetime.now(UTC)
