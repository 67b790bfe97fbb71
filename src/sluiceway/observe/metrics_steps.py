"""The per-step and per-run series of ``/metrics``.

Two views of each step, because they answer different questions:

- ``sluiceway_step_last_*`` gauges describe the step's latest finished attempt, whatever
  its outcome — "what did last night's load do": rows in and out, rows quarantined, bytes
  and files written, wall time, CPU time, peak memory. A figure the attempt did not record
  (a failed attempt wrote no rows; an older version recorded no CPU time) is left out
  rather than reported as zero.
- ``sluiceway_step_runs_total``, ``sluiceway_step_rows_*_total`` counters and the
  ``sluiceway_step_duration_seconds`` histogram accumulate over every attempt, for
  ``rate()``, ``increase()`` and ``histogram_quantile()`` over any window.

Only the project's current pipelines and steps are reported, so a deleted step's series
end instead of lingering.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING

from sluiceway.observe import step_stats
from sluiceway.observe.prometheus import Family

if TYPE_CHECKING:
    from sluiceway.meta.store import MetaStore
    from sluiceway.spec.project import Project

DURATION_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
"""Upper bounds (seconds) of the step duration histogram: sub-second SQL to hour-long loads."""

_MIB = 1024 * 1024

# (family name, help, key in the step run's metrics JSON, scale) for recorded costs.
_COSTS = (
    ("sluiceway_step_last_bytes_written", "Bytes of data files the latest attempt committed.",
     "bytes_written", 1.0),
    ("sluiceway_step_last_files_written", "Data files the latest attempt committed.",
     "files_written", 1.0),
    ("sluiceway_step_last_cpu_seconds", "CPU time (user + system) of the latest attempt.",
     "cpu_s", 1.0),
    ("sluiceway_step_last_peak_memory_bytes",
     "Peak resident memory of the process during the latest attempt.", "peak_rss_mb", _MIB),
)  # fmt: skip


def step_families(project: Project, store: MetaStore) -> list[Family]:
    """The per-step series of ``project``'s steps in its environment."""
    wanted = {(p.name, s.name) for p, s in project.steps()}
    env = project.env
    rows_in = Family("sluiceway_step_last_rows_in", "gauge", "Rows the latest attempt read.")
    rows_out = Family("sluiceway_step_last_rows_out", "gauge", "Rows the latest attempt wrote.")
    quarantined = Family(
        "sluiceway_step_last_rows_quarantined", "gauge", "Rows the latest attempt quarantined."
    )
    costs = [(Family(name, "gauge", text), key, scale) for name, text, key, scale in _COSTS]
    duration = Family(
        "sluiceway_step_last_duration_seconds", "gauge", "Wall time of the latest attempt."
    )
    success = Family(
        "sluiceway_step_last_success", "gauge", "1 if the latest attempt succeeded, else 0."
    )
    finished = Family(
        "sluiceway_step_last_finished_timestamp_seconds",
        "gauge",
        "When the latest attempt finished (Unix time).",
    )
    for attempt in step_stats.last_attempts(store, env):
        if (attempt.pipeline, attempt.step) not in wanted:
            continue
        labels = {"pipeline": attempt.pipeline, "step": attempt.step}
        rows_in.add(attempt.rows_in, **labels)
        rows_out.add(attempt.rows_out, **labels)
        quarantined.add(attempt.rows_quarantined, **labels)
        for family, key, scale in costs:
            value = attempt.measure(key)
            family.add(None if value is None else value * scale, **labels)
        duration.add(attempt.duration_s, **labels)
        success.add(1 if attempt.status == "succeeded" else 0, **labels)
        finished.add(_unix(attempt.finished_at), **labels)

    succeeded = Family(
        "sluiceway_step_last_success_timestamp_seconds",
        "gauge",
        "When the step last succeeded (Unix time).",
    )
    for (pipeline, step), moment in sorted(step_stats.last_successes(store, env).items()):
        if (pipeline, step) in wanted:
            succeeded.add(_unix(moment), pipeline=pipeline, step=step)

    return [
        rows_in,
        rows_out,
        quarantined,
        *(family for family, _, _ in costs),
        duration,
        success,
        finished,
        succeeded,
        *_totals(store, env, wanted),
        _durations(store, env, wanted),
    ]


def run_families(project: Project, store: MetaStore, now: datetime) -> list[Family]:
    """The run queue and run outcomes of ``project``'s pipelines."""
    env = project.env
    queued = Family("sluiceway_runs_queued", "gauge", "Runs waiting to start.")
    running = Family("sluiceway_runs_running", "gauge", "Runs executing now.")
    oldest = Family(
        "sluiceway_run_queue_oldest_seconds",
        "gauge",
        "How long the longest-waiting run has been ready to start.",
    )
    state = {(q.pipeline, q.status): q for q in step_stats.run_queue(store, env)}
    for pipeline in sorted(project.pipelines):
        waiting = state.get((pipeline, "queued"))
        queued.add(waiting.runs if waiting else 0, pipeline=pipeline)
        active = state.get((pipeline, "running"))
        running.add(active.runs if active else 0, pipeline=pipeline)
        if waiting is not None and waiting.ready_since is not None:
            age = max((now - waiting.ready_since).total_seconds(), 0.0)
            oldest.add(age, pipeline=pipeline)
    total = Family("sluiceway_runs", "counter", "Finished runs by outcome.")
    for (pipeline, status), count in sorted(step_stats.run_totals(store, env).items()):
        if pipeline in project.pipelines:
            total.add(count, pipeline=pipeline, status=status)
    return [queued, running, oldest, total]


def _totals(store: MetaStore, env: str, wanted: set[tuple[str, str]]) -> list[Family]:
    attempts = Family("sluiceway_step_runs", "counter", "Finished step attempts by outcome.")
    rows_in = Family("sluiceway_step_rows_in", "counter", "Rows read by step attempts.")
    rows_out = Family("sluiceway_step_rows_out", "counter", "Rows written by step attempts.")
    quarantined = Family(
        "sluiceway_step_rows_quarantined", "counter", "Rows quarantined by step attempts."
    )
    moved: dict[tuple[str, str], list[int | None]] = {}
    for totals in step_stats.step_totals(store, env):
        key = (totals.pipeline, totals.step)
        if key not in wanted:
            continue
        attempts.add(totals.attempts, pipeline=key[0], step=key[1], status=totals.status)
        sums = moved.setdefault(key, [None, None, None])
        for index, count in enumerate((totals.rows_in, totals.rows_out, totals.rows_quarantined)):
            if count is not None:
                sums[index] = (sums[index] or 0) + count
    for (pipeline, step), (read, written, held) in sorted(moved.items()):
        rows_in.add(read, pipeline=pipeline, step=step)
        rows_out.add(written, pipeline=pipeline, step=step)
        quarantined.add(held, pipeline=pipeline, step=step)
    return [attempts, rows_in, rows_out, quarantined]


def _durations(store: MetaStore, env: str, wanted: set[tuple[str, str]]) -> Family:
    family = Family(
        "sluiceway_step_duration_seconds", "histogram", "Wall time of succeeded step attempts."
    )
    bounds = (*DURATION_BUCKETS, math.inf)
    found = step_stats.step_durations(store, env, DURATION_BUCKETS)
    for (pipeline, step), durations in sorted(found.items()):
        if (pipeline, step) in wanted:
            family.add_histogram(
                bounds, durations.counts, durations.total, pipeline=pipeline, step=step
            )
    return family


def _unix(moment: datetime) -> float:
    return moment.timestamp()
