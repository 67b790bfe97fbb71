"""After each commit: profile the new data, record its metrics, and look for anomalies.

Called by the runner once a step committed (and, for step durations, once it finished):

1. the files the commit added are profiled (:mod:`sluiceway.quality.profile`) and the
   profile stored as the table's history;
2. metric points are recorded — rows added, each column's null fraction, the time since the
   table's previous commit (its freshness lag), the step's duration;
3. each new point is judged against its own series (:mod:`sluiceway.quality.anomaly`), and an
   ``anomaly.detected`` event names every point out of its normal range.

None of this can fail a step: the data is committed by then, and a profile or a detector
that breaks is logged and skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import pyarrow as pa

from sluiceway.lake.lineage import is_lineage
from sluiceway.quality import metrics
from sluiceway.quality.anomaly import Point, detect

if TYPE_CHECKING:
    from sluiceway.events.types import AnomalyDetected
    from sluiceway.lake.commit import CommitResult
    from sluiceway.lake.service import Lake
    from sluiceway.meta.metrics import MetricPoint
    from sluiceway.meta.store import MetaStore
    from sluiceway.quality.profile import Profile

log = logging.getLogger(__name__)

DETECTOR = "median-mad"
"""The ``detector`` named in ``anomaly.detected`` events."""


def after_commit(
    lake: Lake,
    store: MetaStore,
    table: str,
    commit: CommitResult,
    *,
    run_id: str | None,
    pipeline: str | None = None,
    step: str | None = None,
    step_seconds: float | None = None,
) -> list[AnomalyDetected]:
    """Profile the commit's new files, record the table's metrics, report anomalies.

    Args:
        step_seconds: the duration of the step that committed, judged with the table's
            metrics (one history read, one write for all of them).
    """
    from sluiceway.meta.metrics import MetricPoint, MetricRepo

    duration = (
        MetricPoint(metrics.STEP_DURATION, f"{pipeline}.{step}", step_seconds, run_id=run_id)
        if step_seconds is not None and pipeline and step
        else None
    )
    if commit.skipped or commit.version is None:
        extra = [duration] if duration is not None else []
        return judge_points(store, extra, pipeline=pipeline, step=step)
    try:
        profile = profile_commit(lake, table, commit.version, commit.schema)
    except Exception as exc:  # never fail a committed step for its profile
        log.warning("profile of %s version %s failed: %s", table, commit.version, exc)
        profile = None
    if profile is not None:
        _store_profile(store, lake.env, profile, commit.version, run_id)
    columns = [c.name for c in profile.columns] if profile is not None and profile.rows else []
    series = [
        (metrics.ROWS_ADDED, table),
        (metrics.COMMIT_LAG, table),
        *((metrics.NULL_FRACTION, f"{table}.{c}") for c in columns),
        *([(duration.name, duration.subject)] if duration is not None else []),
    ]
    history = MetricRepo(store).recent_many(
        [(name, subject, metrics.sensitivity(name).window) for name, subject in series]
    )
    points = _table_points(table, commit, profile, run_id, history)
    if duration is not None:
        points.append(duration)
    return judge_points(store, points, table=table, pipeline=pipeline, step=step, history=history)


def after_step(
    store: MetaStore, pipeline: str, step: str, seconds: float, *, run_id: str | None
) -> list[AnomalyDetected]:
    """Record a step's duration and report it if it is out of its normal range."""
    from sluiceway.meta.metrics import MetricPoint

    point = MetricPoint(metrics.STEP_DURATION, f"{pipeline}.{step}", seconds, run_id=run_id)
    return judge_points(store, [point], pipeline=pipeline, step=step)


def profile_commit(
    lake: Lake, table: str, version: int, schema: pa.Schema | None = None
) -> Profile | None:
    """The profile of the files commit ``version`` of ``table`` added (None if none).

    Args:
        schema: the table's schema at ``version`` when the caller has it (else read from
            the table's log).
    """
    from sluiceway.lake.history import commit_files
    from sluiceway.lake.maintenance.common import TableRef
    from sluiceway.lake.names import TableName
    from sluiceway.quality.profile import ParquetPart, profile_files

    ref = TableRef(lake.storage, lake.env, TableName.parse(table))
    files = commit_files(ref, version)
    if not files:
        return None
    parts = [ParquetPart(f.path, f.partition_values) for f in files]
    if schema is None:
        schema = pa.schema(ref.open(version).schema().to_arrow())
    skip = [name for name in schema.names if is_lineage(name)]
    filesystem = lake.storage.filesystem(ref.uri)
    return profile_files(parts, schema, table=table, filesystem=filesystem, skip=skip)


def judge_points(
    store: MetaStore,
    points: Sequence[MetricPoint],
    *,
    table: str | None = None,
    pipeline: str | None = None,
    step: str | None = None,
    history: Mapping[tuple[str, str], Sequence[MetricPoint]] | None = None,
) -> list[AnomalyDetected]:
    """Record ``points``, each judged first against its series; emit and return anomalies.

    Args:
        history: each series' recent points, when the caller read them already.
    """
    from sluiceway.events import emit
    from sluiceway.events.types import AnomalyDetected
    from sluiceway.meta.metrics import MetricRepo

    if not points:
        return []
    repo = MetricRepo(store)
    if history is None:
        history = repo.recent_many(
            [(p.name, p.subject, metrics.sensitivity(p.name).window) for p in points]
        )
    found: list[AnomalyDetected] = []
    for point in points:
        try:
            sensitivity = metrics.sensitivity(point.name)
            recent = list(history.get((point.name, point.subject), ()))[-sensitivity.window :]
            series = [Point(p.time, p.value) for p in recent]
            verdict = detect(series, Point(point.time, point.value), sensitivity)
        except Exception as exc:  # a detector must never fail the run it watches
            log.warning("anomaly detection on %s failed: %s", point.name, exc)
            continue
        if verdict.anomalous:
            event = AnomalyDetected(
                run_id=point.run_id,
                pipeline=pipeline,
                step=step,
                table=table,
                metric=point.name,
                subject=point.subject,
                value=point.value,
                expected=verdict.expected,
                expected_low=verdict.low,
                expected_high=verdict.high,
                detector=DETECTOR,
                message=verdict.reason,
            )
            found.append(emit(store, event))
    repo.record(list(points))
    return found


def _store_profile(
    store: MetaStore, env: str, profile: Profile, version: int, run_id: str | None
) -> None:
    from sluiceway.meta.profiles import ProfileRepo, StoredProfile

    ProfileRepo(store).record(
        StoredProfile(
            env=env,
            table=profile.table,
            rows=profile.rows,
            sampled_rows=profile.sampled_rows,
            columns=[c.to_json() for c in profile.columns],
            delta_version=version,
            run_id=run_id,
        )
    )


def _table_points(
    table: str,
    commit: CommitResult,
    profile: Profile | None,
    run_id: str | None,
    history: Mapping[tuple[str, str], Sequence[MetricPoint]],
) -> list[MetricPoint]:
    from sluiceway.meta.metrics import MetricPoint

    now = _now()
    points = [MetricPoint(metrics.ROWS_ADDED, table, commit.rows_added, run_id=run_id, time=now)]
    previous = history.get((metrics.ROWS_ADDED, table))
    if previous:
        lag = (now - previous[-1].time).total_seconds()
        points.append(MetricPoint(metrics.COMMIT_LAG, table, lag, run_id=run_id, time=now))
    for column in profile.columns if profile is not None and profile.rows else ():
        points.append(
            MetricPoint(
                metrics.NULL_FRACTION,
                f"{table}.{column.name}",
                column.null_fraction,
                run_id=run_id,
                time=now,
            )
        )
    return points


def _now() -> datetime:
    from sluiceway.meta.models import utcnow

    return utcnow()
