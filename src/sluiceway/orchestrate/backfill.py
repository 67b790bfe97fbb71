"""Backfills: one run per partition over a range, resumable, several at a time.

Each partition's run is queued under ``backfill:<pipeline>:<partition>``, so running the
same backfill again queues nothing twice: partitions whose run succeeded are left alone, a
failed one is resumed (its committed steps are not redone), a queued or running one (from a
backfill interrupted earlier) is executed or waited for. ``{{ run.partition }}`` gives each
run its partition.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal

from sluiceway.errors import UsageError

if TYPE_CHECKING:
    from sluiceway.meta.store import MetaStore
    from sluiceway.spec.project import Project

Every = Literal["day", "month"]


@dataclass(frozen=True)
class PartitionResult:
    """How one partition of a backfill ended (``skipped``: it had succeeded before)."""

    partition: str
    run_id: str
    status: str
    error: str | None = None


def partitions(start: date, end: date, every: Every = "day") -> list[str]:
    """The partitions from ``start`` to ``end``, both included (``2026-01-05``, ``2026-01``).

    Raises:
        UsageError: ``end`` is before ``start``.
    """
    if end < start:
        raise UsageError(f"--to {end} is before --from {start}")
    return list(dict.fromkeys(_partitions(start, end, every)))


def _partitions(start: date, end: date, every: Every) -> Iterator[str]:
    day = start
    while day <= end:
        yield day.isoformat() if every == "day" else day.strftime("%Y-%m")
        day += timedelta(days=1)


def backfill(
    project: Project,
    store: MetaStore,
    pipeline: str,
    names: list[str],
    *,
    parallel: int = 1,
    engine: str | None = None,
    params: dict[str, object] | None = None,
    progress: Callable[[PartitionResult], None] | None = None,
) -> list[PartitionResult]:
    """Run ``pipeline`` once per partition in ``names``, ``parallel`` at a time."""
    from sluiceway.meta.runs import RunRepo
    from sluiceway.orchestrate.execution import LEASE
    from sluiceway.orchestrate.runner import (
        claim_when_free,
        execute_claimed,
        owner_id,
        resume_run,
        writes_of,
    )

    if pipeline not in project.pipelines:
        raise UsageError(f"no pipeline {pipeline!r}", hint="`sluiceway pipelines` lists them")
    runs = RunRepo(store)

    def one(partition: str) -> PartitionResult:
        run = runs.create(
            pipeline,
            project.env,
            trigger={"kind": "backfill", "partition": partition},
            params=params,
            partition=partition,
            dedup_key=f"backfill:{pipeline}:{partition}",
            writes=writes_of(project.pipelines[pipeline]),
        )
        while (later := runs.by_dedup_key(f"resume:{run.id}")) is not None:
            run = later  # the partition was resumed before: its latest run decides
        if run.status == "succeeded":
            return PartitionResult(partition, run.id, "skipped")
        if run.status in ("failed", "cancelled"):
            report = resume_run(project, store, run.id, engine=engine)
            return PartitionResult(partition, report.run_id, report.status, _error(report))
        if run.status == "running":  # from a backfill interrupted elsewhere: its lease decides
            claimed = runs.claim(run.id, owner_id("backfill"), LEASE)
            if claimed is None:
                return PartitionResult(partition, run.id, run.status, "being run elsewhere")
        else:
            claimed = claim_when_free(store, run, owner_id("backfill"))
        report = execute_claimed(project, store, claimed, engine=engine)
        return PartitionResult(partition, run.id, report.status, _error(report))

    results: list[PartitionResult] = []
    with ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="sw-backfill") as pool:
        futures = [pool.submit(one, name) for name in names]
        for future in as_completed(futures):
            result = future.result()
            results.append(result)
            if progress is not None:
                progress(result)
    order = {name: i for i, name in enumerate(names)}
    return sorted(results, key=lambda r: order[r.partition])


def _error(report: object) -> str | None:
    failed = [s for s in getattr(report, "steps", []) if s.status == "failed"]
    return None if not failed else f"step {failed[0].step}: {failed[0].error}"
