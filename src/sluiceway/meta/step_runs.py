"""Step runs: each attempt of each step of a run, its batch and what it wrote.

Every attempt has its own record (``run_id``, ``step``, ``attempt`` are unique together),
so a retried or recovered step keeps the history of the attempts before it. The batch an
attempt records before it runs is its Delta app-transaction version: an attempt that runs
again reuses it, and whatever it committed already is found in the table's log.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import func, select

from sluiceway.meta.errors import InvalidTransitionError, NotFoundError
from sluiceway.meta.models import RunRow, StepRunRow, utcnow

if TYPE_CHECKING:
    from sluiceway.meta.events import EventRecord, NewEvent
    from sluiceway.meta.store import MetaStore

StepStatus = Literal["pending", "running", "succeeded", "failed", "skipped", "cancelled"]


@dataclass(frozen=True, slots=True)
class StepRun:
    """One attempt of one step; ``batch`` is the Delta app-transaction version it used."""

    id: int
    run_id: str
    step: str
    status: str
    attempt: int
    started_at: datetime | None
    finished_at: datetime | None
    batch: int | None
    table: str | None
    table_version: int | None
    rows_in: int | None
    rows_out: int | None
    rows_quarantined: int | None
    error: str | None
    metrics: dict[str, Any]


class StepRunRecords:
    """The step-run half of :class:`~sluiceway.meta.runs.RunRepo`, which inherits it."""

    _store: MetaStore

    def start_step(
        self,
        run_id: str,
        step: str,
        *,
        attempt: int = 1,
        batch: int | None = None,
        events: Sequence[NewEvent] = (),
        appended: Callable[[list[EventRecord]], None] | None = None,
    ) -> StepRun:
        """Record that a step attempt started; ``batch`` is its app-transaction version.

        Args:
            events: appended in the same transaction (``step.started``).
            appended: called with the stored events once the transaction committed.
        """
        row = StepRunRow(
            run_id=run_id,
            step=step,
            status="running",
            attempt=attempt,
            started_at=utcnow(),
            batch=batch,
            metrics={},
        )
        with self._store.session(write=True) as session:
            session.add(row)
            session.flush()
            records = self._store.events.append_in(session.connection(), events)
            result = _step(row)
        if records and appended is not None:
            appended(records)
        return result

    def finish_step(
        self,
        step_run_id: int,
        status: StepStatus,
        *,
        batch: int | None = None,
        table: str | None = None,
        table_version: int | None = None,
        rows_in: int | None = None,
        rows_out: int | None = None,
        rows_quarantined: int | None = None,
        error: str | None = None,
        metrics: Mapping[str, Any] | None = None,
        events: Sequence[NewEvent] = (),
        appended: Callable[[list[EventRecord]], None] | None = None,
    ) -> StepRun:
        """Record a running step attempt's outcome (only fields given are changed).

        Args:
            events: appended in the same transaction (``step.succeeded``, ``step.failed``).
            appended: called with the stored events once the transaction committed.
        """
        with self._store.session(write=True) as session:
            row = session.get(StepRunRow, step_run_id)
            if row is None:
                raise NotFoundError(f"no step run with id {step_run_id}")
            if row.status != "running":
                raise InvalidTransitionError(
                    f"step {row.step} of run {row.run_id} is {row.status}; cannot become {status}"
                )
            row.status = status
            row.finished_at = utcnow()
            for name, value in (
                ("batch", batch),
                ("table_name", table),
                ("table_version", table_version),
                ("rows_in", rows_in),
                ("rows_out", rows_out),
                ("rows_quarantined", rows_quarantined),
                ("error", error),
            ):
                if value is not None:
                    setattr(row, name, value)
            if metrics is not None:
                row.metrics = {**row.metrics, **metrics}
            session.flush()
            records = self._store.events.append_in(session.connection(), events)
            result = _step(row)
        if records and appended is not None:
            appended(records)
        return result

    def steps(self, run_id: str) -> list[StepRun]:
        """The run's step attempts, in the order they started."""
        query = select(StepRunRow).where(StepRunRow.run_id == run_id).order_by(StepRunRow.id)
        with self._store.session() as session:
            return [_step(row) for row in session.scalars(query)]

    def last_batches(self, pipeline: str, partition: str | None = None) -> dict[str, int]:
        """The highest batch each step of ``pipeline`` has used, by step (one query).

        Runs of a partition number their batches apart from the pipeline's other runs.
        """
        in_partition = (
            RunRow.partition.is_(None) if partition is None else RunRow.partition == partition
        )
        query = (
            select(StepRunRow.step, func.max(StepRunRow.batch))
            .join(RunRow, RunRow.id == StepRunRow.run_id)
            .where(RunRow.pipeline == pipeline, in_partition, StepRunRow.batch.is_not(None))
            .group_by(StepRunRow.step)
        )
        with self._store.session() as session:
            return {step: int(batch) for step, batch in session.execute(query) if batch}

    def last_batch(self, pipeline: str, step: str) -> int | None:
        """The highest batch any attempt of ``pipeline``/``step`` has used, or ``None``.

        A step re-run after a crash reuses an uncommitted batch; a new run takes this + 1.
        """
        query = (
            select(func.max(StepRunRow.batch))
            .join(RunRow, RunRow.id == StepRunRow.run_id)
            .where(RunRow.pipeline == pipeline, StepRunRow.step == step)
        )
        with self._store.session() as session:
            value = session.execute(query).scalar()
        return None if value is None else int(value)


def _step(row: StepRunRow) -> StepRun:
    return StepRun(
        id=row.id,
        run_id=row.run_id,
        step=row.step,
        status=row.status,
        attempt=row.attempt,
        started_at=row.started_at,
        finished_at=row.finished_at,
        batch=row.batch,
        table=row.table_name,
        table_version=row.table_version,
        rows_in=row.rows_in,
        rows_out=row.rows_out,
        rows_quarantined=row.rows_quarantined,
        error=row.error,
        metrics=dict(row.metrics or {}),
    )
