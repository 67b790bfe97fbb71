"""What a ``/metrics`` scrape and an SLA watchdog round cost on a store with a long history.

Run: ``.venv/bin/python benchmarks/metrics.py [--pipelines 50] [--steps 4] [--runs 500]
[--url postgresql+psycopg://…] [--rounds 5]``. Writes ``benchmarks/results/metrics.md``
(``--no-write`` to only print).

The history is inserted directly into the metadata store, as a year of runs would leave it:
``--pipelines`` × ``--runs`` succeeded runs of ``--steps`` steps each, every step attempt
with its record (rows, CPU time, peak memory, bytes and files), its ``step.duration_s``
metric point and three events (``step.started``, ``table.committed``,
``step.succeeded``). Every step writes its own table, each a real one-commit Delta table
in the lake and each with a ``fresh_within`` SLA.

- cold scrape: a new collector (what ``sluiceway metrics`` pays): the event log's per-table
  aggregates and every table's Delta log read.
- warm scrape: the daemon's collector on its next scrapes: the event log read from its
  cursor, table statistics from the cache.
- after a commit: one more ``table.committed``; the next scrape reads that table again.
- watchdog: the first round (aggregates) and the following ones (incremental).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _machine import describe  # noqa: E402

RESULTS = HERE / "results" / "metrics.md"
CHUNK = 5000


def make_project(root: Path, pipelines: int, steps: int) -> None:
    (root / "pipelines").mkdir(parents=True)
    (root / "sluiceway.yaml").write_text("name: bench\n")
    for p in range(pipelines):
        lines = [f"name: p{p:03d}", "tables:"]
        for s in range(steps):
            lines += [f"  silver.p{p:03d}_s{s}:", "    sla: {fresh_within: 1d}"]
        lines.append("steps:")
        for s in range(steps):
            lines.append(
                f"  - {{name: s{s}, type: sql, query: SELECT 1 AS x, table: silver.p{p:03d}_s{s}}}"
            )
        (root / "pipelines" / f"p{p:03d}.yaml").write_text("\n".join(lines) + "\n")


def make_tables(lake: Path, pipelines: int, steps: int) -> None:
    import pyarrow as pa
    from deltalake import write_deltalake

    data = pa.table({"x": list(range(100))})
    for p in range(pipelines):
        for s in range(steps):
            write_deltalake(str(lake / "prod" / "silver" / f"p{p:03d}_s{s}"), data)


def chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def seed_history(store: Any, pipelines: int, steps: int, runs: int) -> int:
    """Insert the runs, step runs, metric points and events; returns the step attempts."""
    from sqlalchemy import insert

    from sluiceway.meta.models import EventRow, MetricPointRow, RunRow, StepRunRow

    rng = random.Random(7)
    start = datetime.now(UTC) - timedelta(days=365)
    run_rows: list[dict[str, Any]] = []
    step_rows: list[dict[str, Any]] = []
    points: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for r in range(runs):
        for p in range(pipelines):
            pipeline = f"p{p:03d}"
            queued = start + timedelta(minutes=r * 17 + p)
            run_id = str(uuid.uuid4())
            run_rows.append(
                {"id": run_id, "pipeline": pipeline, "env": "prod", "status": "succeeded",
                 "trigger": {}, "params": {}, "attempt": 1, "queued_at": queued,
                 "started_at": queued, "finished_at": queued + timedelta(seconds=steps),
                 "cancel_requested": False}
            )  # fmt: skip
            for s in range(steps):
                began = queued + timedelta(seconds=s)
                took = rng.lognormvariate(-1, 1)
                ended = began + timedelta(seconds=took)
                table = f"silver.{pipeline}_s{s}"
                step_rows.append(
                    {"run_id": run_id, "step": f"s{s}", "status": "succeeded", "attempt": 1,
                     "started_at": began, "finished_at": ended, "batch": r + 1,
                     "table_name": table, "table_version": r, "rows_out": 100,
                     "metrics": {"cpu_s": took / 2, "peak_rss_mb": 300.0,
                                 "bytes_written": 1000, "files_written": 1}}
                )  # fmt: skip
                points.append(
                    {"name": "step.duration_s", "subject": f"{pipeline}.s{s}", "labels": {},
                     "value": took, "run_id": run_id, "time": ended}
                )  # fmt: skip
                common = {"run_id": run_id, "pipeline": pipeline, "step": f"s{s}",
                          "dedup_key": None}  # fmt: skip
                events += [
                    {**common, "type": "step.started", "time": began, "table_name": None,
                     "payload": {"attempt": 1}},
                    {**common, "type": "table.committed", "time": ended, "table_name": table,
                     "payload": {"version": r, "operation": "append", "rows": 100}},
                    {**common, "type": "step.succeeded", "time": ended, "table_name": table,
                     "payload": {"rows_out": 100}},
                ]  # fmt: skip
    with store.connection(write=True) as connection:
        for table, rows in (
            (RunRow.__table__, run_rows),
            (StepRunRow.__table__, step_rows),
            (MetricPointRow.__table__, points),
            (EventRow.__table__, events),
        ):
            for part in chunks(rows):
                connection.execute(insert(table), part)
    return len(step_rows)


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pipelines", type=int, default=50)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--runs", type=int, default=500, help="runs per pipeline")
    parser.add_argument("--url", default=None, help="metadata store (default: SQLite)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    from sluiceway.events import emit
    from sluiceway.events.types import TableCommitted
    from sluiceway.meta.store import open_store
    from sluiceway.observe.metrics_export import MetricsCollector
    from sluiceway.observe.sla import SlaWatchdog
    from sluiceway.spec.project import load_project

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "project"
        make_project(root, args.pipelines, args.steps)
        make_tables(root / "lake", args.pipelines, args.steps)
        url = args.url or f"sqlite:///{Path(folder) / 'metadata.db'}"
        store = open_store(url)
        attempts = seed_history(store, args.pipelines, args.steps, args.runs)
        project = load_project(root, environ={})
        tables = args.pipelines * args.steps

        cold = [timed(lambda: MetricsCollector(project, store).render()) for _ in range(3)]
        collector = MetricsCollector(project, store)
        collector.render()
        warm = [timed(collector.render) for _ in range(args.rounds)]
        parts = {
            s.labels["collector"]: s.value
            for f in collector.collect()
            if f.name == "sluiceway_collector_seconds"
            for s in f.samples
        }
        after = []
        for i in range(args.rounds):
            table = f"silver.p{i % args.pipelines:03d}_s0"
            emit(store, TableCommitted(table=table, version=1, operation="append"))
            after.append(timed(collector.render))
        size = len(collector.render().encode())

        dog = SlaWatchdog(project, store)
        first_round = timed(dog.check)
        rounds = [timed(dog.check) for _ in range(args.rounds)]
        store.close()

    backend = url.split(":", 1)[0].split("+")[0]
    median = statistics.median
    lines = [
        "# /metrics scrape and SLA watchdog cost",
        "",
        f"Machine: {describe()}. Metadata store: {backend}. History: {args.pipelines} pipelines "
        f"× {args.steps} steps × {args.runs} runs = {attempts:,} step attempts, as many "
        f"duration points and {3 * attempts:,} events; {tables} Delta tables, each with a "
        f"`fresh_within` SLA. Exposition: {size:,} bytes. Medians.",
        "",
        "| | seconds |",
        "|---|---|",
        f"| cold scrape (`sluiceway metrics`: aggregates, every Delta log) | {median(cold):.3f} |",
        f"| warm scrape (the daemon's next scrapes) | {median(warm):.3f} |",
        f"| … of which steps / runs / tables | {parts['steps']:.3f} / {parts['runs']:.3f} / "
        f"{parts['tables']:.3f} |",
        f"| warm scrape after one table changed | {median(after):.3f} |",
        f"| SLA watchdog, first round | {first_round:.3f} |",
        f"| SLA watchdog, next rounds | {median(rounds):.3f} |",
        "",
        "The step series are grouped queries over every step attempt: they grow with the "
        "history, the rest does not.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        RESULTS.write_text(text)


if __name__ == "__main__":
    main()
