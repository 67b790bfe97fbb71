"""Where a run's steps execute: in the run's own process, or in warm worker processes.

Worker processes are started with ``spawn`` (delta-rs panics in a forked child) and kept
alive across steps and runs: each holds its loaded project, its metadata store and its
engines (a DuckDB connection, a Spark session) between tasks, so a step costs a message,
not a process start. A slot whose step overruns its timeout, or whose run is cancelled, has
its process killed and replaced; the step is reported failed (timed out or cancelled).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sluiceway.orchestrate.step_run import StepReport

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from sluiceway.orchestrate.context import StepContext


@dataclass(frozen=True)
class StepTask:
    """Everything a worker needs to run one step attempt of a run."""

    task_id: str
    project_root: str
    env: str
    run_id: str
    pipeline: str
    step: str
    batch: int
    attempt: int
    started_at: datetime
    params: dict[str, Any] = field(default_factory=dict)
    partition: str | None = None
    engine_override: str | None = None
    timeout_s: float | None = None


class StepRunner(Protocol):
    """Executes step tasks; a future per task."""

    parallel: int

    def submit(self, task: StepTask) -> Future[StepReport]:
        """Start ``task``; its future resolves to the step's report."""
        ...

    def cancel(self, task_id: str) -> None:
        """Stop ``task_id`` if it is running (its future resolves as cancelled)."""
        ...

    def settle(self) -> None:
        """Wait for the background work of finished steps (profiles, anomaly checks)."""
        ...

    def close(self) -> None:
        """Release what the runner holds."""
        ...


class InProcessSteps:
    """Steps run one at a time in the run's own process, on the run's context.

    The cheapest way to run (no message, no process); a step's timeout cannot be enforced
    here (Python cannot stop a thread), and steps never run side by side. A committed
    step's profile and anomaly checks run on a background thread while the next step runs.
    """

    parallel = 1

    def __init__(self, context: StepContext) -> None:
        from sluiceway.orchestrate.step_run import Watches

        self.context = context
        self.watches = Watches()

    def submit(self, task: StepTask) -> Future[StepReport]:
        """Run ``task`` now, in this thread."""
        from sluiceway.orchestrate.step_run import execute_step

        future: Future[StepReport] = Future()
        step = next(s for s in self.context.pipeline.steps if s.name == task.step)
        report = execute_step(self.context, step, task.batch, task.attempt, watches=self.watches)
        future.set_result(report)
        return future

    def cancel(self, task_id: str) -> None:
        """Nothing runs in the background to cancel."""

    def settle(self) -> None:
        """Wait for the watches of the steps run so far."""
        self.watches.settle()

    def close(self) -> None:
        """Finish the watches (the run's engines are closed by the run)."""
        self.watches.close()


class ProcessSteps:
    """A pool of warm worker processes; steps of one or many runs run side by side."""

    def __init__(self, size: int, *, log_format: str | None = None) -> None:
        """Args:
        log_format: how the workers log to stderr (``json``/``text``; None: they only
            write each step's own log file).
        """
        self.parallel = max(1, size)
        self._tasks: queue.Queue[tuple[StepTask, Future[StepReport]] | None] = queue.Queue()
        self._slots = [_Slot(self._tasks, log_format) for _ in range(self.parallel)]
        self._lock = threading.Lock()

    def submit(self, task: StepTask) -> Future[StepReport]:
        """Queue ``task`` for the next free worker."""
        future: Future[StepReport] = Future()
        self._tasks.put((task, future))
        return future

    def cancel(self, task_id: str) -> None:
        """Kill the worker running ``task_id`` (a new one takes its place)."""
        for slot in self._slots:
            slot.cancel(task_id)

    def settle(self) -> None:
        """A worker watches a step's commit before it reports the step: nothing to wait for."""

    def warm(self) -> None:
        """Start every worker process now (instead of on first use)."""
        for slot in self._slots:
            slot.ensure()

    def close(self) -> None:
        """Stop the workers once they finish their current steps."""
        for _ in self._slots:
            self._tasks.put(None)
        for slot in self._slots:
            slot.join()


class _Slot:
    """One worker process and the thread that feeds it tasks."""

    def __init__(
        self,
        tasks: queue.Queue[tuple[StepTask, Future[StepReport]] | None],
        log_format: str | None = None,
    ) -> None:
        self._tasks = tasks
        self._log_format = log_format
        self._process: Any = None
        self._conn: Connection | None = None
        self._current: str | None = None
        self._kill = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="sw-step-slot", daemon=True)
        self._thread.start()

    def ensure(self) -> None:
        with self._lock:
            if self._process is None or not self._process.is_alive():
                context = multiprocessing.get_context("spawn")
                parent, child = context.Pipe()
                self._process = context.Process(
                    target=worker_main,
                    args=(child, self._log_format),
                    name="sluiceway-worker",
                    daemon=True,
                )
                self._process.start()
                child.close()
                self._conn = parent

    def cancel(self, task_id: str) -> None:
        if self._current == task_id:
            self._kill.set()

    def join(self) -> None:
        self._thread.join(timeout=60)
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(OSError):
                    self._conn.send(None)
            if self._process is not None:
                self._process.join(timeout=10)
                if self._process.is_alive():
                    self._process.kill()

    def _loop(self) -> None:
        while True:
            item = self._tasks.get()
            if item is None:
                return
            task, future = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(self._run(task))
            except BaseException as exc:  # report the slot's own failure as the step's
                future.set_result(StepReport(task.step, "failed", error=f"worker failed: {exc}"))

    def _run(self, task: StepTask) -> StepReport:
        self.ensure()
        assert self._conn is not None
        self._current, started = task.task_id, time.monotonic()
        self._kill.clear()
        try:
            self._conn.send(task)
            while True:
                if self._conn.poll(0.05):
                    report: StepReport = self._conn.recv()
                    return report
                if self._kill.is_set():
                    self._replace()
                    return StepReport(
                        task.step, "cancelled", error="cancelled", attempt=task.attempt
                    )
                if task.timeout_s is not None and time.monotonic() - started > task.timeout_s:
                    self._replace()
                    return StepReport(
                        task.step,
                        "failed",
                        error=f"timed out after {task.timeout_s:g} s (its worker was stopped)",
                        transient=True,
                        attempt=task.attempt,
                    )
                if self._process is not None and not self._process.is_alive():
                    self._replace()
                    return StepReport(
                        task.step,
                        "failed",
                        error="its worker process died",
                        transient=True,
                        attempt=task.attempt,
                    )
        finally:
            self._current = None

    def _replace(self) -> None:
        with self._lock:
            if self._process is not None and self._process.is_alive():
                self._process.kill()
                self._process.join(timeout=10)
            self._process = None
            self._conn = None


# ---------------------------------------------------------------- in the worker process


def worker_main(conn: Connection, log_format: str | None = None) -> None:
    """A worker process: run step tasks until told to stop, keeping its state warm."""
    if log_format is not None:
        from sluiceway.logs import configure

        configure(log_format)
    state = _WorkerState()
    try:
        while True:
            try:
                task = conn.recv()
            except EOFError:
                return
            if task is None:
                return
            conn.send(state.run(task))
    finally:
        state.close()


class _WorkerState:
    """What a worker keeps between tasks: projects, stores and engines, by project."""

    def __init__(self) -> None:
        self._projects: dict[tuple[str, str], tuple[float, Any]] = {}
        self._stores: dict[tuple[str, str], Any] = {}
        self._engines: dict[tuple[str, str], Any] = {}

    def run(self, task: StepTask) -> StepReport:
        from sluiceway.orchestrate.step_run import error_text, execute_step

        try:
            context = self._context(task)
            step = next(s for s in context.pipeline.steps if s.name == task.step)
            return execute_step(context, step, task.batch, task.attempt)
        except Exception as exc:
            return StepReport(task.step, "failed", error=error_text(exc), attempt=task.attempt)

    def _context(self, task: StepTask) -> StepContext:
        from sluiceway.lake.service import Lake
        from sluiceway.meta.store import open_project_store
        from sluiceway.orchestrate.context import Engines, RunContext, StepContext

        project = self._project(task.project_root, task.env)
        key = (task.project_root, task.env)  # a relative store URL means one per project
        if key not in self._stores:
            self._stores[key] = open_project_store(project)
        store = self._stores[key]
        if key not in self._engines:
            self._engines[key] = Engines(project.settings.engines)
        return StepContext(
            project=project,
            pipeline=project.pipelines[task.pipeline],
            run=RunContext(
                id=task.run_id,
                pipeline=task.pipeline,
                env=task.env,
                started_at=task.started_at,
                partition=task.partition,
                params=dict(task.params),
            ),
            lake=Lake.for_project(project, store),
            store=store,
            engines=self._engines[key],
            engine_override=task.engine_override,
        )

    def _project(self, root: str, env: str) -> Any:
        """The project, loaded again only when one of its files changed."""
        from pathlib import Path

        from sluiceway.spec.project import load_project

        base = Path(root)
        files = [base / "sluiceway.yaml"]
        for folder in _SPEC_FOLDERS:
            files += [p for p in (base / folder).rglob("*") if p.suffix in _SPEC_FILES]
        latest = max((p.stat().st_mtime for p in files if p.exists()), default=0.0)
        cached = self._projects.get((root, env))
        if cached is None or cached[0] < latest:
            self._projects[(root, env)] = (latest, load_project(Path(root), env=env))
        return self._projects[(root, env)][1]

    def close(self) -> None:
        for engines in self._engines.values():
            engines.close()
        for store in self._stores.values():
            store.close()


_SPEC_FILES = frozenset({".yaml", ".yml", ".sql", ".csv", ".py"})
_SPEC_FOLDERS = ("pipelines", "sql", "python", "params", "contracts")
"""Where a project's definition lives (never the lake or the landing zone, which are big)."""
