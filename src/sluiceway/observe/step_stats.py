"""What the metrics read about steps and runs: aggregates over the run records, in SQL.

Every read is one grouped query, so a scrape costs a handful of queries whatever the
number of pipelines. Durations for the histogram come from the ``step.duration_s`` metric
points recorded after each succeeded step (a float column the database can bucket
portably); a timestamp difference would need each database's own date arithmetic.

Everything is for one environment: runs carry theirs, and metric points are kept when
their run is of that environment (or they have none).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, and_, case, func, or_, select

from sluiceway.meta.models import MetricPointRow, RunRow, StepRunRow

if TYPE_CHECKING:
    from sluiceway.meta.store import MetaStore

_RUNS = cast(Table, RunRow.__table__)
_STEPS = cast(Table, StepRunRow.__table__)
_POINTS = cast(Table, MetricPointRow.__table__)

STEP_DURATION = "step.duration_s"
"""The metric point a succeeded step records (``sluiceway.quality.metrics.STEP_DURATION``)."""

FINISHED_STEP = ("succeeded", "failed", "skipped", "cancelled")
FINISHED_RUN = ("succeeded", "failed", "cancelled")

StepKey = tuple[str, str]
"""``(pipeline, step)``."""


@dataclass(frozen=True, slots=True)
class Attempt:
    """A step's latest finished attempt."""

    pipeline: str
    step: str
    status: str
    started_at: datetime | None
    finished_at: datetime
    rows_in: int | None
    rows_out: int | None
    rows_quarantined: int | None
    metrics: dict[str, Any]

    @property
    def duration_s(self) -> float | None:
        """Wall time of the attempt (None when it never recorded a start)."""
        if self.started_at is None:
            return None
        return max((self.finished_at - self.started_at).total_seconds(), 0.0)

    def measure(self, key: str) -> float | None:
        """A number the step recorded in its metrics (``cpu_s``…); None when absent."""
        value = self.metrics.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return float(value)


@dataclass(frozen=True, slots=True)
class StepTotals:
    """Finished attempts of one step with one outcome, and the rows they moved (None: no
    attempt recorded that count)."""

    pipeline: str
    step: str
    status: str
    attempts: int
    rows_in: int | None
    rows_out: int | None
    rows_quarantined: int | None


@dataclass(frozen=True, slots=True)
class Durations:
    """Cumulative counts of one step's durations per bucket bound, and their sum."""

    counts: tuple[int, ...]
    total: float


@dataclass(frozen=True, slots=True)
class QueueState:
    """Runs of one pipeline waiting or running, and since when the longest-waiting one could
    have started (its queue time, or the end of its debounce window)."""

    pipeline: str
    status: str
    runs: int
    ready_since: datetime | None


def last_attempts(store: MetaStore, env: str) -> list[Attempt]:
    """Each step's latest finished attempt (the highest id: the last to start)."""
    latest = (
        select(func.max(_STEPS.c.id))
        .select_from(_STEPS.join(_RUNS, _RUNS.c.id == _STEPS.c.run_id))
        .where(_RUNS.c.env == env, _STEPS.c.status.in_(FINISHED_STEP))
        .group_by(_RUNS.c.pipeline, _STEPS.c.step)
    )
    query = (
        select(_RUNS.c.pipeline, _STEPS)
        .select_from(_STEPS.join(_RUNS, _RUNS.c.id == _STEPS.c.run_id))
        .where(_STEPS.c.id.in_(latest))
    )
    with store.reader() as connection:
        rows = connection.execute(query).mappings().all()
    return [
        Attempt(
            pipeline=row["pipeline"],
            step=row["step"],
            status=row["status"],
            started_at=row["started_at"],
            finished_at=row["finished_at"] or row["started_at"],
            rows_in=row["rows_in"],
            rows_out=row["rows_out"],
            rows_quarantined=row["rows_quarantined"],
            metrics=dict(row["metrics"] or {}),
        )
        for row in rows
        if row["finished_at"] is not None or row["started_at"] is not None
    ]


def last_successes(store: MetaStore, env: str) -> dict[StepKey, datetime]:
    """When each step last succeeded."""
    query = (
        select(_RUNS.c.pipeline, _STEPS.c.step, func.max(_STEPS.c.finished_at))
        .select_from(_STEPS.join(_RUNS, _RUNS.c.id == _STEPS.c.run_id))
        .where(_RUNS.c.env == env, _STEPS.c.status == "succeeded")
        .group_by(_RUNS.c.pipeline, _STEPS.c.step)
    )
    with store.reader() as connection:
        return {(p, s): t for p, s, t in connection.execute(query) if t is not None}


def step_totals(store: MetaStore, env: str) -> list[StepTotals]:
    """Finished attempts per step and outcome, with the rows they read, wrote, quarantined.

    SQL's ``sum`` skips nulls and is null when every value is: a count no attempt recorded
    stays unknown instead of becoming zero.
    """
    query = (
        select(
            _RUNS.c.pipeline,
            _STEPS.c.step,
            _STEPS.c.status,
            func.count(),
            func.sum(_STEPS.c.rows_in),
            func.sum(_STEPS.c.rows_out),
            func.sum(_STEPS.c.rows_quarantined),
        )
        .select_from(_STEPS.join(_RUNS, _RUNS.c.id == _STEPS.c.run_id))
        .where(_RUNS.c.env == env, _STEPS.c.status.in_(FINISHED_STEP))
        .group_by(_RUNS.c.pipeline, _STEPS.c.step, _STEPS.c.status)
    )
    with store.reader() as connection:
        return [
            StepTotals(p, s, status, int(n), _int(i), _int(o), _int(q))
            for p, s, status, n, i, o, q in connection.execute(query)
        ]


def step_durations(store: MetaStore, env: str, bounds: Sequence[float]) -> dict[StepKey, Durations]:
    """Per step, how many recorded durations fall at or under each of ``bounds`` (finite,
    ascending), how many there are in all (the ``+Inf`` bucket), and their sum."""
    buckets = [func.sum(case((_POINTS.c.value <= bound, 1), else_=0)) for bound in bounds]
    query = (
        select(
            _POINTS.c.subject, *buckets, func.count(), func.coalesce(func.sum(_POINTS.c.value), 0)
        )
        .select_from(_POINTS.outerjoin(_RUNS, _RUNS.c.id == _POINTS.c.run_id))
        .where(_POINTS.c.name == STEP_DURATION, or_(_RUNS.c.env.is_(None), _RUNS.c.env == env))
        .group_by(_POINTS.c.subject)
    )
    found: dict[StepKey, Durations] = {}
    with store.reader() as connection:
        for subject, *values in connection.execute(query):
            pipeline, _, step = str(subject).rpartition(".")  # a step name has no dot
            *counts, everything, total = values
            found[(pipeline, step)] = Durations(
                (*(int(c or 0) for c in counts), int(everything)), float(total or 0.0)
            )
    return found


def run_queue(store: MetaStore, env: str) -> list[QueueState]:
    """Queued and running runs per pipeline, with the earliest instant one was ready.

    A debounced run is not late while its window is open: it is ready from ``not_before``.
    """
    ready = func.coalesce(_RUNS.c.not_before, _RUNS.c.queued_at)
    query = (
        select(_RUNS.c.pipeline, _RUNS.c.status, func.count(), func.min(ready))
        .where(_RUNS.c.env == env, _RUNS.c.status.in_(("queued", "running")))
        .group_by(_RUNS.c.pipeline, _RUNS.c.status)
    )
    with store.reader() as connection:
        return [QueueState(p, s, int(n), t) for p, s, n, t in connection.execute(query)]


def run_totals(store: MetaStore, env: str) -> dict[tuple[str, str], int]:
    """Finished runs per ``(pipeline, status)``."""
    query = (
        select(_RUNS.c.pipeline, _RUNS.c.status, func.count())
        .where(and_(_RUNS.c.env == env, _RUNS.c.status.in_(FINISHED_RUN)))
        .group_by(_RUNS.c.pipeline, _RUNS.c.status)
    )
    with store.reader() as connection:
        return {(p, s): int(n) for p, s, n in connection.execute(query)}


def _int(value: Any) -> int | None:
    return None if value is None else int(value)
