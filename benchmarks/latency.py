"""Event latency: a file dropped in the landing zone → raw committed → silver committed.

Run: ``.venv/bin/python benchmarks/latency.py [--drops 50] [--step-workers 2]``. Writes
``benchmarks/results/latency.md``.

Target (issue: event-driven orchestration): over 50 drops, the downstream silver table
commits within p50 ≤ 1 s and p95 ≤ 2 s of the file landing, on local disk. For scale:
Dagster's default sensor interval alone is 30 s.

- platform: ``sluiceway serve`` embedded (:class:`Daemon` with its default settings: two
  run workers, two warm step-worker processes) on a project whose ``ingest`` pipeline is
  triggered by ``files: orders/*.csv`` and whose ``silver`` pipeline by
  ``tables: [raw.orders]`` (no debounce). Each drop writes one small CSV (10 rows) into the
  landing zone; the latencies are the times of the ``table.committed`` events of
  ``raw.orders`` and ``silver.totals`` minus the moment the file was closed.
- baseline: the floor an orchestrator cannot beat — the same two pipelines run directly
  (``run_pipeline`` in this process, one after the other) the instant the file is closed,
  on a second copy of the project no daemon watches, timed by the same commit events. What
  the platform adds over it is noticing the file, queueing, claiming and handing over
  between the two pipelines.

Drops alternate between the two sides; figures are medians and 95th percentiles.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _machine import describe  # noqa: E402

RESULTS = HERE / "results" / "latency.md"
INGEST = """\
name: ingest
on:
  - {type: files, glob: "orders/*.csv"}
steps:
  - name: load
    type: ingest
    table: raw.orders
    source: {type: files, glob: "orders/*.csv", format: csv}
"""
SILVER = """\
name: silver
on:
  - {type: tables, tables: [raw.orders]}
steps:
  - name: totals
    type: sql
    query: SELECT count(*) AS orders, sum(amount) AS amount FROM raw.orders
    table: silver.totals
"""


def make_project(root: Path) -> Path:
    """The two-pipeline project (ingest on files, silver on raw's commits)."""
    (root / "pipelines").mkdir(parents=True)
    (root / "landing" / "orders").mkdir(parents=True)
    (root / "sluiceway.yaml").write_text("name: latency\n")
    (root / "pipelines" / "ingest.yaml").write_text(INGEST)
    (root / "pipelines" / "silver.yaml").write_text(SILVER)
    return root


def drop(root: Path, index: int) -> float:
    """Write one small CSV into the landing zone; the epoch second it was closed."""
    lines = ["id,amount", *(f"{index * 10 + i},{i + 0.5}" for i in range(10))]
    path = root / "landing" / "orders" / f"drop-{index:04d}.csv"
    with path.open("w") as handle:
        handle.write("\n".join(lines) + "\n")
    return time.time()


def wait_commits(store: Any, after_id: int, timeout: float = 60.0) -> tuple[float, float, int]:
    """Epoch seconds of the next raw.orders and silver.totals commits, and the last id."""
    from sluiceway.events.log import EventLog

    log = EventLog(store)
    raw = silver = None
    cursor = after_id
    deadline = time.monotonic() + timeout
    while silver is None:
        if time.monotonic() > deadline:
            raise TimeoutError("silver did not commit within a minute of the drop")
        for event in log.read(cursor, types=["table.committed"]):
            cursor = max(cursor, event.id or cursor)
            if event.table == "raw.orders" and raw is None:
                raw = event.time.timestamp()
            elif event.table == "silver.totals" and raw is not None:
                silver = event.time.timestamp()
        time.sleep(0.01)
    assert raw is not None
    return raw, silver, cursor


def run_direct(project: Any, store: Any, after_id: int) -> tuple[float, float, int]:
    """The baseline: both pipelines run now, in order; their commits as for the platform."""
    from sluiceway.orchestrate.runner import run_pipeline

    for pipeline in ("ingest", "silver"):
        report = run_pipeline(project, pipeline, store)
        assert not report.failed, report
    return wait_commits(store, after_id)


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0–1) by linear interpolation."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drops", type=int, default=50)
    parser.add_argument("--step-workers", type=int, default=2)
    args = parser.parse_args()

    from sluiceway.events.log import EventLog
    from sluiceway.meta.store import open_project_store
    from sluiceway.orchestrate.daemon import Daemon, DaemonSettings
    from sluiceway.spec import load_project

    platform: dict[str, list[float]] = {"raw": [], "silver": []}
    direct: dict[str, list[float]] = {"raw": [], "silver": []}
    with tempfile.TemporaryDirectory() as tmp:
        served = make_project(Path(tmp) / "served")
        plain = make_project(Path(tmp) / "plain")
        project = load_project(served)
        store = open_project_store(project)
        daemon = Daemon(project, store, DaemonSettings(step_workers=args.step_workers))
        thread = threading.Thread(target=daemon.run, kwargs={"install_signals": False})
        thread.start()
        plain_project = load_project(plain)
        plain_store = open_project_store(plain_project)
        try:
            cursor = EventLog(store).latest_id()
            plain_cursor = EventLog(plain_store).latest_id()
            # Warm-up on both sides: first commits create the tables, imports load.
            for index in range(2):
                drop(served, index)
                _, _, cursor = wait_commits(store, cursor)
                drop(plain, index)
                _, _, plain_cursor = run_direct(plain_project, plain_store, plain_cursor)
            for index in range(2, args.drops + 2):
                landed = drop(served, index)
                raw, silver, cursor = wait_commits(store, cursor)
                platform["raw"].append(raw - landed)
                platform["silver"].append(silver - landed)
                landed = drop(plain, index)
                raw, silver, plain_cursor = run_direct(plain_project, plain_store, plain_cursor)
                direct["raw"].append(raw - landed)
                direct["silver"].append(silver - landed)
                print(
                    f"drop {index - 1}: served {platform['silver'][-1]:.3f} s, "
                    f"direct {direct['silver'][-1]:.3f} s"
                )
        finally:
            daemon.stop_event.set()
            thread.join()
            store.close()
            plain_store.close()

    def row(label: str, side: dict[str, list[float]]) -> str:
        return (
            f"| {label} | {statistics.median(side['raw']):.3f} s | "
            f"{percentile(side['raw'], 0.95):.3f} s | {statistics.median(side['silver']):.3f} s | "
            f"{percentile(side['silver'], 0.95):.3f} s |"
        )

    p50 = statistics.median(platform["silver"]) / statistics.median(direct["silver"])
    lines = [
        "# Event latency: file → raw → silver",
        "",
        f"Machine: {describe()}. {args.drops} drops of a 10-row CSV on local disk, "
        f"alternating between the served project and the direct baseline; measured "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        "| side | raw p50 | raw p95 | silver p50 | silver p95 |",
        "|---|---|---|---|---|",
        row(f"platform: `sluiceway serve` ({args.step_workers} step workers)", platform),
        row("baseline: both pipelines run directly at the drop", direct),
        "",
        f"Silver p50, platform / baseline: {p50:.2f}×. Target: silver p50 ≤ 1 s, p95 ≤ 2 s.",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    RESULTS.write_text(report)


if __name__ == "__main__":
    main()
