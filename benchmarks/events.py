"""Event log benchmark: append throughput and delivery latency on SQLite and PostgreSQL.

Run: ``.venv/bin/python benchmarks/events.py [--rounds 5] [--postgres URL]``. Each figure
is the median of ``--rounds`` rounds on a fresh store. Writes
``benchmarks/results/events.md`` with the machine and the measured figures.

Measured:
* append throughput, events/s: single appends, and batches of 100 and 1,000;
* in-process delivery latency: append → a waiting thread woken → the event read back;
* cross-process latency: append in a child process → woken in this one (LISTEN/NOTIFY on
  PostgreSQL, ``PRAGMA data_version`` polling on SQLite) → event read.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sluiceway.events import EventLog, notify
from sluiceway.events.base import to_new_event
from sluiceway.events.notify import Subscription, wait_for
from sluiceway.events.types import StepFailed
from sluiceway.meta.store import MetaStore, open_store

RESULTS = Path(__file__).with_name("results") / "events.md"
PG_ADMIN = "host=127.0.0.1 port=5432 dbname=test user={user}"


@contextmanager
def sqlite_store() -> Iterator[MetaStore]:
    folder = tempfile.mkdtemp(prefix="sw-bench-")
    try:
        with open_store(f"sqlite:///{folder}/metadata.db") as store:
            yield store
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _pg_admin(sql: str) -> str:
    import psycopg

    for user in ("postgres", "root"):
        try:
            with psycopg.connect(PG_ADMIN.format(user=user), autocommit=True) as conn:
                conn.execute(sql)  # type: ignore[arg-type]
            return user
        except psycopg.OperationalError:
            continue
    raise RuntimeError("PostgreSQL on 127.0.0.1:5432 is not reachable")


@contextmanager
def postgres_store() -> Iterator[MetaStore]:
    name = f"sw_bench_{uuid.uuid4().hex[:12]}"
    user = _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        with open_store(f"postgresql+psycopg://{user}@127.0.0.1:5432/{name}") as store:
            yield store
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _events(n: int) -> list[StepFailed]:
    return [StepFailed(pipeline="bench", step="s", error="x" * 40, attempt=i) for i in range(n)]


def append_rate(store: MetaStore, batch: int, total: int) -> float:
    """Events per second appending ``total`` events in batches of ``batch``."""
    log = EventLog(store)
    batches = [_events(batch) for _ in range(total // batch)]
    started = time.perf_counter()
    for events in batches:
        if batch == 1:
            log.append(events[0])
        else:
            log.append_many(events)
    return total / (time.perf_counter() - started)


def in_process_latency(store: MetaStore, n: int) -> tuple[list[float], list[float]]:
    """Seconds to a waiting thread having read the event, ``n`` times: from the append call,
    and from the append's commit (what the wake-up itself costs)."""
    log = EventLog(store)
    latencies: list[float] = []
    after_commit: list[float] = []
    committed = [0.0]
    read_at = [0.0]
    ready, got = threading.Event(), threading.Event()
    position = [log.latest_id()]
    stop = [False]

    def subscriber() -> None:
        while not stop[0]:
            ready.set()
            if wait_for(store.key, position[0], timeout=1.0):
                events = log.read(after_id=position[0], limit=10)
                if events:
                    position[0] = events[-1].id or position[0]
                    read_at[0] = time.perf_counter()
                    got.set()

    thread = threading.Thread(target=subscriber, daemon=True)
    thread.start()
    for _ in range(n):
        ready.wait()
        ready.clear()
        got.clear()
        started = time.perf_counter()
        # EventLog.append, with the commit time taken between COMMIT and the announcement.
        [record] = store.events.append([to_new_event(StepFailed(error="latency"))])
        committed[0] = time.perf_counter()
        notify.announce(store.key, record.id)
        got.wait(5)
        latencies.append(read_at[0] - started)
        after_commit.append(read_at[0] - committed[0])
    stop[0] = True
    thread.join(2)
    return latencies, after_commit


CHILD = """
import sys, time
from sluiceway.events import EventLog
from sluiceway.events.types import StepFailed
from sluiceway.meta.store import open_store
with open_store(sys.argv[1]) as store:
    log = EventLog(store)
    for line in sys.stdin:
        if line.strip() == "go":
            log.append(StepFailed(error=str(time.time())))
            print("ok", flush=True)
"""


def cross_process_latency(store: MetaStore, n: int) -> list[float]:
    """Seconds from the child's append (wall clock in the payload) to our read, ``n`` times."""
    log = EventLog(store)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, store.url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    latencies: list[float] = []
    try:
        with Subscription(store) as subscription:
            time.sleep(0.3)  # let the watcher connect
            for _ in range(n):
                position = log.latest_id()
                child.stdin.write("go\n")
                child.stdin.flush()
                while not subscription.wait(position, timeout=5):
                    pass
                event = log.read(after_id=position, limit=1)[0]
                latencies.append(time.time() - float(event.error))  # type: ignore[attr-defined]
                child.stdout.readline()
                time.sleep(0.003)
    finally:
        child.stdin.close()
        child.wait(10)
    return latencies


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(
    open_: Callable[[], AbstractContextManager[MetaStore]], rounds: int
) -> dict[str, float]:
    results: dict[str, list[float]] = {}

    def add(key: str, value: float) -> None:
        results.setdefault(key, []).append(value)

    for _ in range(rounds):
        with open_() as store:
            add("append single (ev/s)", append_rate(store, 1, 500))
            add("append batch 100 (ev/s)", append_rate(store, 100, 10_000))
            add("append batch 1000 (ev/s)", append_rate(store, 1000, 20_000))
            lat, woken = in_process_latency(store, 1000)
            add("in-process p50 (ms)", pct(lat, 0.50) * 1000)
            add("in-process p95 (ms)", pct(lat, 0.95) * 1000)
            add("  of which after commit p50 (ms)", pct(woken, 0.50) * 1000)
            add("  of which after commit p95 (ms)", pct(woken, 0.95) * 1000)
            cross = cross_process_latency(store, 200)
            add("cross-process p50 (ms)", pct(cross, 0.50) * 1000)
            add("cross-process p95 (ms)", pct(cross, 0.95) * 1000)
    return {key: statistics.median(values) for key, values in results.items()}


def machine() -> dict[str, str]:
    import sqlite3

    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    try:
        command = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-Atc"]
        pg = subprocess.run(
            [*command, "SHOW server_version"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        pg = "unknown"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "ram": f"{mem_kb / 1024 / 1024:.0f} GiB",
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="do not write the results file")
    args = parser.parse_args()

    figures = {
        "SQLite": measure(sqlite_store, args.rounds),
        "PostgreSQL": measure(postgres_store, args.rounds),
    }
    keys = list(figures["SQLite"])
    width = max(len(k) for k in keys)
    lines = [f"| {'metric':<{width}} | {'SQLite':>10} | {'PostgreSQL':>10} |"]
    lines.append(f"|{'-' * (width + 2)}|{'-' * 12}:|{'-' * 12}:|")
    for key in keys:
        row = [f"{figures[db][key]:,.0f}" if "ev/s" in key else f"{figures[db][key]:.2f}"
               for db in ("SQLite", "PostgreSQL")]  # fmt: skip
        lines.append(f"| {key:<{width}} | {row[0]:>10} | {row[1]:>10} |")
    table = "\n".join(lines)
    print(table)

    info = machine()
    sqlite_batch = figures["SQLite"]["append batch 100 (ev/s)"]
    p50 = max(figures[db]["in-process p50 (ms)"] for db in figures)
    verdict = [
        f"- SQLite batched appends ≥ 5,000 events/s: {'met' if sqlite_batch >= 5000 else 'NOT met'}"
        f" ({sqlite_batch:,.0f} events/s in batches of 100).",
        f"- In-process delivery p50 ≤ 5 ms: {'met' if p50 <= 5 else 'NOT met'}"
        f" (worst p50 {p50:.2f} ms, append included).",
    ]  # fmt: skip
    print("\n".join(verdict))
    if args.no_write:
        return
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        "# Event log benchmark\n\n"
        "Produced by `.venv/bin/python benchmarks/events.py` "
        f"(medians of {args.rounds} rounds, each on a fresh store).\n\n"
        "## Machine\n\n" + "\n".join(f"- {k}: {v}" for k, v in info.items()) + "\n\n"
        "## Figures\n\n" + table + "\n\n"
        "- append single: 500 events, one transaction each. Batches: 10,000 events in batches"
        " of 100, 20,000 in batches of 1,000.\n"
        "- in-process: 1,000 times, from the append call to a waiting thread having read the"
        ' event (includes the append\'s transaction and commit); "of which after commit" is'
        " the part from COMMIT returning to the event having been read by the waiter.\n"
        "- cross-process: 200 times, from a child process's append (wall clock in the payload)"
        " to this process having read it: LISTEN/NOTIFY on PostgreSQL, 50 ms `PRAGMA"
        " data_version` polling on SQLite.\n\n"
        "## Targets\n\n" + "\n".join(verdict) + "\n"
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
