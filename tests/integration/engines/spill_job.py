"""A child process for the spill test: seed a wide table, or run one heavy transform on it.

Usage::

    python spill_job.py seed LAKE_ROOT ROWS
    python spill_job.py run LAKE_ROOT QUERY MEMORY_LIMIT_MIB THREADS SPILL_DIR READER

``seed`` writes ``raw.wide`` through ``DuckDBEngine.stage`` and ``Lake.commit_staged`` with
DuckDB's default settings (as a step on a bigger machine would). Its rows are built so the
transforms' results can be checked without running them again: ``id`` is 0…ROWS-1, ``a``
(64 characters) takes each of ROWS/3 values on exactly 3 rows, ``b`` (64 characters) is
unique, ``g = id % 1000``.

``run`` stages ``QUERY`` (a name in :data:`QUERIES`) into ``silver.QUERY`` under a DuckDB
memory limit, the input read as the engine reads a local table (``READER`` ``duckdb``: its
own Parquet reader over the file list) or as it reads one on S3 (``arrow``: the pinned
pyarrow dataset, here without a file list to read directly), sampling the spill folder's
size while it runs, commits it, and prints one JSON line: ``baseline_rss`` (VmRSS with every
module imported, the engine open and the input registered, just before the query),
``stage_peak_rss`` (VmHWM once DuckDB has written the result), ``peak_rss`` (VmHWM after the
commit: the whole job), ``peak_spill`` (the largest size of the spill folder seen),
``retried`` (whether the engine ran out of memory with several threads and ran the query
again on one), ``rows`` and ``seconds``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import threading
import time
from pathlib import Path

TABLE = "raw.wide"

QUERIES = {
    # The first attempt's query: a hash aggregate over the whole input, its result sorted.
    "aggregate_sort": """
        SELECT a, count(*) AS n, max(b) AS top_b, sum(g) AS sum_g
        FROM raw.wide GROUP BY a ORDER BY top_b
    """,
    # A hash join of the input with itself: either side alone is about twice the limit.
    "join": """
        SELECT l.id, l.b, r.a FROM raw.wide AS l JOIN raw.wide AS r ON l.id = r.id
    """,
    # Window functions over hashed, sorted partitions.
    "window": """
        SELECT id, b,
               count(*) OVER (PARTITION BY a) AS n,
               max(b) OVER (PARTITION BY a) AS top_b,
               sum(g) OVER (PARTITION BY a) AS sum_g
        FROM raw.wide
    """,
}


def _status(field: str) -> int:
    """A ``/proc/self/status`` memory figure (``VmRSS``, ``VmHWM``) in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def _folder_size(folder: str) -> int:
    total = 0
    for parent, _, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):  # DuckDB deleted it meanwhile
                total += os.path.getsize(os.path.join(parent, name))
    return total


class _Collect(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__(logging.WARNING)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _lake(root: str):  # type: ignore[no-untyped-def]
    from sluiceway.lake.service import Lake
    from sluiceway.lake.storage import LakeStorage
    from sluiceway.spec.settings import TableDefaults

    # zstd level 1: the test is about memory, not file size; no compaction commits.
    defaults = TableDefaults(compression_level=1, autocompact_files=0)
    return Lake(LakeStorage(root=root), defaults=defaults)


def _context(batch: int, source: str):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from sluiceway.lake.commit import WriteContext

    return WriteContext(
        run_id=f"spill-{batch}",
        app_id="spill/test",
        batch=batch,
        source=source,
        loaded_at=datetime(2026, 11, 22, tzinfo=UTC),
    )


def seed(root: str, rows: int) -> None:
    from sluiceway.engines.duckdb.engine import DuckDBEngine

    lake = _lake(root)
    third = rows // 3
    sql = f"""
        SELECT range AS id,
               md5((range % {third})::VARCHAR) || md5((range % {third} + 1)::VARCHAR) AS a,
               md5(range::VARCHAR) || md5((range * 7)::VARCHAR) AS b,
               range % 1000 AS g
        FROM range({rows})
    """
    ctx = _context(1, "seed")
    with DuckDBEngine() as engine, lake.staging(TABLE, ctx) as output:
        staged = engine.stage(sql, {}, output)
        lake.commit_staged(TABLE, staged, "append", ctx)
    print(json.dumps({"rows": staged.rows}), flush=True)


def run(root: str, query: str, limit_mib: int, threads: int, spill: str, reader: str) -> None:
    import dataclasses
    import gc

    from sluiceway.engines.duckdb.engine import DuckDBEngine
    from sluiceway.engines.inputs import pin
    from sluiceway.spec.settings import DuckDBSettings

    lake = _lake(root)
    item = pin(lake.table(TABLE))
    if reader == "arrow":
        item = dataclasses.replace(item, files=())  # only the dataset: an Arrow scan
    inputs = {TABLE: item}
    settings = DuckDBSettings(
        memory_limit=limit_mib * 1024 * 1024, threads=threads, spill_directory=spill
    )
    retries: list[logging.LogRecord] = []
    write_log = logging.getLogger("sluiceway.engines.duckdb.write")
    write_log.addHandler(_Collect(retries))
    engine = DuckDBEngine(settings)
    engine.register(inputs)
    gc.collect()
    baseline = _status("VmRSS")

    peak_spill = 0
    done = threading.Event()

    def watch() -> None:
        nonlocal peak_spill
        while not done.wait(0.05):
            peak_spill = max(peak_spill, _folder_size(spill))

    watcher = threading.Thread(target=watch, daemon=True)
    started = time.monotonic()
    watcher.start()
    ctx = _context(1, f"{TABLE}@{inputs[TABLE].version}")
    target = f"silver.{query}"
    try:
        with lake.staging(target, ctx) as output:
            staged = engine.stage(QUERIES[query], inputs, output)
            stage_peak = _status("VmHWM")
            lake.commit_staged(target, staged, "append", ctx)
    finally:
        done.set()
        watcher.join()
        engine.close()
    seconds = time.monotonic() - started
    result = {
        "baseline_rss": baseline,
        "stage_peak_rss": stage_peak,
        "peak_rss": _status("VmHWM"),
        "peak_spill": peak_spill,
        "retried": bool(retries),
        "rows": staged.rows,
        "seconds": round(seconds, 2),
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "seed":
        seed(sys.argv[2], int(sys.argv[3]))
    else:
        run(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], sys.argv[7])
