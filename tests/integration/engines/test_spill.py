"""Acceptance: a transform over 3x DuckDB's memory limit completes by spilling, and the
process stays within the limit plus a stated margin.

A child process (``spill_job.py``) seeds ``raw.wide`` (1.65M rows of two 64-character
strings and two integers, DuckDB's default 122,880-row groups), then another child runs
one transform through ``DuckDBEngine.stage`` and ``Lake.commit_staged`` under a 64 MiB
limit with 2 threads and reports its memory. The transforms: a hash aggregate over every
row with its result sorted (the query that first failed), a hash join whose build side is
about twice the limit, and window functions over hashed partitions, each reading the input
as the engine reads a local table (DuckDB's own Parquet reader); the join also reads it as
the engine reads a table on S3 (an Arrow scan of the pinned dataset). For each, it checks:

* the input it reads is at least 3x the limit, from the Parquet footers' uncompressed sizes
  of the columns the query reads (projection pushdown means the others are never read);
* the job completed and its rows are right: counts and sums known from how the input was
  built, and a sample of groups recomputed here with ``hashlib`` (no DuckDB involved);
* DuckDB spilled: its spill folder held at least the whole limit at some point;
* VmHWM of the whole job <= VmRSS just before the query + the limit + :func:`margin`.

The margin is what the engine knowingly keeps outside DuckDB's limit (see
``engines/duckdb/scan.py`` and ``memory.py``): 32 MiB of DuckDB's own memory outside its
buffer pool (vectors, string heaps, the writer's scratch, allocator slack), measured at
26-30 MiB with no Arrow involved; and with an Arrow scan, what Arrow decodes outside the
limit: a whole row group at a time, each DuckDB thread holding one batch (which keeps its
row group alive) while the scanner decodes the next and reads one ahead, so
``(threads + 2)`` row groups of the columns read.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

pytestmark = pytest.mark.slow

JOB = Path(__file__).with_name("spill_job.py")
MIB = 1024 * 1024
LIMIT_MIB, THREADS = 64, 2
ROWS = 1_650_000  # a multiple of 3: each value of ``a`` is on exactly 3 rows
GROUPS = ROWS // 3
OUTSIDE_POOL = 32 * MIB
SAMPLE = range(0, GROUPS, GROUPS // 97)  # groups recomputed here

COLUMNS = {
    "aggregate_sort": ("a", "b", "g"),
    "join": ("id", "a", "b"),
    "window": ("id", "a", "b", "g"),
}
"""The columns of ``raw.wide`` each query reads."""


def _md5(value: int) -> str:
    return hashlib.md5(str(value).encode()).hexdigest()


def _a(group: int) -> str:
    return _md5(group) + _md5(group + 1)


def _b(row: int) -> str:
    return _md5(row) + _md5(row * 7)


def _top_b(group: int) -> str:
    return max(_b(group + k * GROUPS) for k in range(3))


def _sum_g(group: int) -> int:
    return sum((group + k * GROUPS) % 1000 for k in range(3))


SUM_G = ROWS // 1000 * sum(range(1000)) + sum(range(ROWS % 1000))
"""The sum of ``g = id % 1000`` over every row."""


def _child(*args: object, timeout: float) -> dict[str, object]:
    command = [sys.executable, str(JOB), *map(str, args)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _lake(root: Path):  # type: ignore[no-untyped-def]
    from sluiceway.lake.service import Lake
    from sluiceway.lake.storage import LakeStorage

    return Lake(LakeStorage(root=str(root)))


def _local_files(lake, table: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [uri.removeprefix("file://") for uri in lake.table(table).delta().file_uris()]


def input_size(paths: list[str], columns: tuple[str, ...]) -> tuple[int, int]:
    """Uncompressed bytes of ``columns`` in all row groups, and in the largest one."""
    total = largest = 0
    for path in paths:
        metadata = pq.read_metadata(path)
        for index in range(metadata.num_row_groups):
            group = metadata.row_group(index)
            size = sum(
                group.column(c).total_uncompressed_size
                for c in range(group.num_columns)
                if group.column(c).path_in_schema in columns
            )
            total += size
            largest = max(largest, size)
    return total, largest


def margin(reader: str, largest_row_group: int) -> int:
    """Resident memory allowed above the limit (see the module's notes)."""
    if reader == "arrow":
        return (THREADS + 2) * largest_row_group + OUTSIDE_POOL
    return OUTSIDE_POOL


@pytest.fixture(scope="module")
def lake_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("spill") / "lake"
    assert _child("seed", root, ROWS, timeout=120) == {"rows": ROWS}
    return root


@pytest.mark.parametrize(
    ("query", "reader"),
    [*((query, "duckdb") for query in COLUMNS), ("join", "arrow")],
)
def test_transform_over_three_times_the_limit_spills_within_the_limit(
    lake_root: Path, tmp_path: Path, query: str, reader: str
) -> None:
    lake = _lake(lake_root)
    read, largest = input_size(_local_files(lake, "raw.wide"), COLUMNS[query])
    limit = LIMIT_MIB * MIB
    assert read >= 3 * limit, f"input {read / MIB:.0f} MiB is not 3x the limit"

    spill = tmp_path / "spill"
    spill.mkdir()
    result = _child("run", lake_root, query, LIMIT_MIB, THREADS, spill, reader, timeout=180)

    CHECKS[query](lake)
    assert int(result["peak_spill"]) >= limit  # it had more than its whole limit on disk
    used = int(result["peak_rss"]) - int(result["baseline_rss"])
    allowed = limit + margin(reader, largest)
    print(
        f"\n{query} ({reader} reader): limit {LIMIT_MIB} MiB x {THREADS} threads, input read "
        f"{read / MIB:.0f} MiB ({read / limit:.1f}x, largest row group {largest / MIB:.1f} MiB),"
        f" baseline RSS {int(result['baseline_rss']) / MIB:.0f} MiB, peak RSS +"
        f"{used / MIB:.0f} MiB (allowed +{allowed / MIB:.0f}), spilled up to "
        f"{int(result['peak_spill']) / MIB:.0f} MiB, retried on one thread: "
        f"{result['retried']}, {result['seconds']} s"
    )
    assert used <= allowed, f"peak RSS {used / MIB:.0f} MiB above the baseline"


def _check_aggregate_sort(lake) -> None:  # type: ignore[no-untyped-def]
    table = "silver.aggregate_sort"
    data = lake.table(table).read(columns=["a", "n", "top_b", "sum_g"])
    assert data.num_rows == GROUPS
    assert pc.min_max(data["n"]).as_py() == {"min": 3, "max": 3}
    assert pc.sum(data["sum_g"]).as_py() == SUM_G
    assert pc.count_distinct(data["a"]).as_py() == GROUPS
    expected = {_a(g): (_top_b(g), _sum_g(g)) for g in SAMPLE}
    found = data.filter(pc.is_in(data["a"], value_set=pa.array(list(expected))))
    got = {r["a"]: (r["top_b"], r["sum_g"]) for r in found.to_pylist()}
    assert got == expected
    for path in _local_files(lake, table):  # ORDER BY top_b holds within every file
        top_b = pq.read_table(path, columns=["top_b"])["top_b"].to_pylist()
        assert top_b == sorted(top_b)


def _check_join(lake) -> None:  # type: ignore[no-untyped-def]
    data = lake.table("silver.join").read(columns=["id", "b", "a"])
    assert data.num_rows == ROWS
    assert pc.count_distinct(data["id"]).as_py() == ROWS
    assert pc.sum(data["id"]).as_py() == ROWS * (ROWS - 1) // 2
    rows = [g + k * GROUPS for g in SAMPLE for k in range(3)]
    expected = {i: (_b(i), _a(i % GROUPS)) for i in rows}
    found = data.filter(pc.is_in(data["id"], value_set=pa.array(rows, pa.int64())))
    assert {r["id"]: (r["b"], r["a"]) for r in found.to_pylist()} == expected


def _check_window(lake) -> None:  # type: ignore[no-untyped-def]
    data = lake.table("silver.window").read(columns=["id", "b", "n", "top_b", "sum_g"])
    assert data.num_rows == ROWS
    assert pc.count_distinct(data["id"]).as_py() == ROWS
    assert pc.sum(data["id"]).as_py() == ROWS * (ROWS - 1) // 2
    assert pc.min_max(data["n"]).as_py() == {"min": 3, "max": 3}
    assert pc.sum(data["sum_g"]).as_py() == 3 * SUM_G  # each row carries its group's sum
    assert pc.sum(pc.equal(data["b"], data["top_b"])).as_py() == GROUPS  # one max per group
    rows = [g + k * GROUPS for g in SAMPLE for k in range(3)]
    expected = {i: (_b(i), _top_b(i % GROUPS), _sum_g(i % GROUPS)) for i in rows}
    found = data.filter(pc.is_in(data["id"], value_set=pa.array(rows, pa.int64())))
    got = {r["id"]: (r["b"], r["top_b"], r["sum_g"]) for r in found.to_pylist()}
    assert got == expected


CHECKS = {"aggregate_sort": _check_aggregate_sort, "join": _check_join, "window": _check_window}
