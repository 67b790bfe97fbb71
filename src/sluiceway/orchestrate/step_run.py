"""One attempt of one step: record it, execute it, watch it — the same code in the run's
process and in a worker process.

The batch number is decided by the run, once per (run, step), and reused by every attempt
and every resume of that run: a step that committed before its process died is found in
the table's log by its batch and commits nothing twice.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sluiceway.errors import SluicewayError, TransientError
from sluiceway.logs import step_log
from sluiceway.orchestrate.steps import executor
from sluiceway.orchestrate.usage import Meter

if TYPE_CHECKING:
    from sluiceway.meta.step_runs import StepRun
    from sluiceway.orchestrate.context import StepContext
    from sluiceway.orchestrate.steps.base import StepOutcome

log = logging.getLogger(__name__)

RUNNABLE = ("ingest", "sql", "python", "check")


@dataclass
class StepReport:
    """How one step of a run ended (``transient``: a retry may succeed)."""

    step: str
    status: str
    outcome: StepOutcome | None = None
    error: str | None = None
    duration_s: float = 0.0
    transient: bool = False
    attempt: int = 1
    table: str | None = None
    version: int | None = None
    rows_out: int | None = None
    metrics: dict[str, Any] = field(default_factory=dict)


def execute_step(
    context: StepContext,
    step: Any,
    batch_number: int,
    attempt: int,
    *,
    watches: Watches | None = None,
) -> StepReport:
    """Run ``step`` once as batch ``batch_number``: records, events, outcome.

    Args:
        watches: where to profile and judge the step's commit in the background (None:
            here, before returning).
    """
    from sluiceway.events.log import staged
    from sluiceway.events.types import StepFailed, StepStarted, StepSucceeded
    from sluiceway.lake.commit import WriteContext
    from sluiceway.meta.runs import RunRepo

    assert context.store is not None
    store = context.store
    runs = RunRepo(store)
    run, pipeline = context.run, context.pipeline
    if step.type not in RUNNABLE:
        return StepReport(step.name, "skipped", error=f"{step.type} steps are not run here yet")
    where = {"run_id": run.id, "pipeline": pipeline.name, "step": step.name}
    events, appended = staged(store, StepStarted(**where, batch=batch_number, table=step.writes))
    record = runs.start_step(
        run.id, step.name, attempt=attempt, batch=batch_number, events=events, appended=appended
    )
    started = time.monotonic()
    meter = Meter()
    app_id = app_id_of(pipeline.name, step.name, run.partition)
    batch = WriteContext(run_id=run.id, app_id=app_id, batch=batch_number)
    try:
        with step_log(
            logs_folder(context.project),
            run_id=run.id,
            pipeline=pipeline.name,
            step=step.name,
            attempt=attempt,
            capture_prints=step.type == "python",
        ):
            try:
                outcome = executor(step.type).execute(step, context, batch)
            except Exception as exc:  # into the step's log: ours by message, others traced
                known = isinstance(exc, SluicewayError)
                log.error("step %s failed: %s", step.name, error_text(exc), exc_info=not known)
                raise
    except Exception as exc:
        error = error_text(exc)
        usage = asdict(meter.stop())
        events, appended = staged(store, StepFailed(**where, error=error, table=step.writes))
        runs.finish_step(
            record.id, "failed", error=error, metrics=usage, events=events, appended=appended
        )
        return StepReport(
            step.name,
            "failed",
            error=error,
            duration_s=time.monotonic() - started,
            transient=is_transient(exc),
            attempt=attempt,
        )
    duration = time.monotonic() - started
    usage = asdict(meter.stop())
    commit = outcome.commit
    metrics = {"engine": outcome.engine, "inputs": outcome.inputs, **outcome.metrics, **usage}
    if commit is not None and not commit.skipped:
        metrics["files_written"] = commit.files_added
        if commit.bytes_added is not None:
            metrics["bytes_written"] = commit.bytes_added
    events, appended = staged(
        store,
        StepSucceeded(**where, rows_out=outcome.rows_out, duration_s=duration, table=outcome.table),
    )
    runs.finish_step(
        record.id,
        "succeeded",
        table=outcome.table,
        table_version=commit.version if commit else None,
        rows_out=outcome.rows_out,
        metrics=metrics,
        events=events,
        appended=appended,
    )
    if watches is None:
        _watch(context, step, outcome, duration)
    else:
        watches.submit(lambda: _watch(context, step, outcome, duration))
    return StepReport(
        step.name,
        "succeeded",
        outcome=outcome,
        duration_s=duration,
        attempt=attempt,
        table=outcome.table,
        version=commit.version if commit else None,
        rows_out=outcome.rows_out,
        metrics=metrics,
    )


class Watches:
    """Profiles and anomaly checks of committed steps, one at a time on a background thread.

    Watching a commit reads its files and the metric history; none of it decides what runs
    next, so the run goes on with its next step meanwhile, and waits for the watches only
    before it reports its end (:meth:`settle`).
    """

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sluiceway-watch")
        self._pending: list[Future[None]] = []

    def submit(self, job: Callable[[], None]) -> None:
        """Run ``job`` after the watches already queued."""
        self._pending = [f for f in self._pending if not f.done()]
        self._pending.append(self._pool.submit(job))

    def settle(self) -> None:
        """Wait for every queued watch (they log their own failures)."""
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()

    def close(self) -> None:
        """Finish the queued watches and stop the thread."""
        self.settle()
        self._pool.shutdown(wait=True)


def logs_folder(project: Any) -> Path:
    """Where the project's step logs are kept: ``.sluiceway/logs`` beside its metadata."""
    return Path(project.root) / ".sluiceway" / "logs"


def batch_for(
    context: StepContext,
    step: Any,
    earlier: dict[str, int] | None = None,
    last: dict[str, int] | None = None,
) -> int:
    """The step's batch in this run: the one an earlier attempt used, else the next free.

    Reusing an attempt's batch is what makes a retry or a resume exactly-once: if that
    attempt committed, the lake finds the batch in the table's log and skips it.

    Args:
        earlier: the batches this run's attempts (and the runs it resumes) recorded, by
            step, when the caller already read them (None: read here).
        last: the highest batch each of the pipeline's steps ever used, by step, when the
            caller already read them (None: read here).
    """
    from sluiceway.meta.runs import RunRepo

    assert context.store is not None
    runs = RunRepo(context.store)
    if earlier is None:
        earlier = earlier_batches(runs, runs.require(context.run.id))
    if step.name in earlier:
        return earlier[step.name]
    if last is None:
        last = runs.last_batches(context.pipeline.name, context.run.partition)
    used = last.get(step.name)
    if used is None:
        used = _committed_batch(context, step)
    return used + 1


def earlier_batches(runs: Any, run: Any) -> dict[str, int]:
    """The batch each step was given by ``run``'s attempts or by the runs it resumes."""
    from sluiceway.orchestrate.execution import lineage

    return batches_of([runs.steps(run_id) for run_id in lineage(runs, run)])


def batches_of(history: Sequence[Sequence[StepRun]]) -> dict[str, int]:
    """The batch each step was given, from the step records of a run's lineage (newest run
    first, as :func:`~sluiceway.orchestrate.execution.lineage` lists them)."""
    found: dict[str, int] = {}
    for records in reversed(history):  # oldest first: the newest batch wins
        for record in records:
            if record.batch:
                found[record.step] = int(record.batch)
    return found


def _committed_batch(context: StepContext, step: Any) -> int:
    """The last batch the step committed, by the table's own log.

    Asked only when the metadata store has no record of the step (a new step, or a store
    started afresh beside an existing lake): each attempt records its batch before it
    runs, so once a record exists the store knows every batch the table can hold.
    """
    from sluiceway.lake.commit import committed_batch
    from sluiceway.lake.names import TableName
    from sluiceway.lake.table import open_delta

    if not step.writes:
        return 0
    storage = context.lake.storage
    uri = storage.table_uri(context.lake.env, TableName.parse(step.writes))
    table = open_delta(uri, storage.storage_options())
    app_id = app_id_of(context.pipeline.name, step.name, context.run.partition)
    return committed_batch(table, app_id) or 0


def app_id_of(pipeline: str, step: str, partition: str | None = None) -> str:
    """The Delta app-transaction id of a step's commits: ``pipeline/step[@partition]``.

    Each partition numbers its batches apart, so runs of different partitions (a backfill
    with ``--parallel``) commit to one table side by side without one's batch number
    hiding another's.
    """
    return f"{pipeline}/{step}" if partition is None else f"{pipeline}/{step}@{partition}"


def is_transient(exc: BaseException) -> bool:
    """Whether a retry may succeed: our transient errors, lost connections, timeouts."""
    if isinstance(exc, TransientError):
        return True
    if isinstance(exc, SluicewayError):
        return False
    return isinstance(exc, ConnectionError | TimeoutError)


def error_text(exc: BaseException) -> str:
    """The error as a user should read it: ours by message, anything else with its type."""
    if isinstance(exc, SluicewayError):
        return str(exc)
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


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
                step_seconds=duration,
            )
        else:
            after_step(context.store, pipeline.name, step.name, duration, run_id=run.id)
    except Exception as exc:  # the step is committed: watching it must not fail the run
        log.warning("watching step %s of run %s failed: %s", step.name, run.id, exc)
