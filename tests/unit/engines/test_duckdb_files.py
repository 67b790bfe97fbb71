"""Local snapshots read by DuckDB's own Parquet reader give what the Delta log says.

The engine reads a local table's pinned file list with ``read_parquet`` instead of an Arrow
scan; these tests pin what must not change with it: the snapshot's schema (columns added
later, columns no file has, types wider than a file's), typed partition values, the pinned
version, the watermark, and the cases left to the Arrow scan.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable, Field

from sluiceway.engines.base import Input
from sluiceway.engines.duckdb.engine import DuckDBEngine
from sluiceway.engines.duckdb.files import file_scan
from sluiceway.engines.inputs import pin
from sluiceway.lake.commit import WriteContext
from sluiceway.lake.registration import TableOptions
from sluiceway.lake.service import Lake
from sluiceway.lake.storage import LakeStorage

NAME = "raw.t"


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return Lake(LakeStorage(root=str(tmp_path / "lake")))


@pytest.fixture
def engine() -> DuckDBEngine:
    with DuckDBEngine() as engine:
        yield engine


def _append(lake: Lake, data: pa.Table, batch: int) -> None:
    lake.write(NAME, data, "append", WriteContext(run_id=f"r{batch}", app_id="a", batch=batch))


def _read_directly(item: Input) -> bool:
    with duckdb.connect() as connection:
        return file_scan(connection, item) is not None


def test_a_local_snapshot_is_read_by_duckdb_with_the_tables_columns(
    lake: Lake, engine: DuckDBEngine
) -> None:
    _append(lake, pa.table({"id": pa.array([1, 2], pa.int64())}), 1)
    _append(lake, pa.table({"id": pa.array([3], pa.int64()), "note": ["added later"]}), 2)
    item = pin(lake.table(NAME))
    assert _read_directly(item)
    result = engine.query("SELECT id, note FROM raw.t ORDER BY id", {NAME: item})
    assert result.to_pylist() == [
        {"id": 1, "note": None},
        {"id": 2, "note": None},
        {"id": 3, "note": "added later"},
    ]
    every = engine.query("SELECT * FROM raw.t", {NAME: item})
    assert every.schema.names == item.schema.names  # lineage columns too, in the log's order


def test_a_column_no_file_holds_yet_is_a_typed_null(lake: Lake, engine: DuckDBEngine) -> None:
    _append(lake, pa.table({"id": pa.array([1, 2], pa.int64())}), 1)
    DeltaTable(lake.table(NAME).uri).alter.add_columns([Field("amount", "decimal(10,2)")])
    item = pin(lake.table(NAME))
    assert _read_directly(item)
    result = engine.query("SELECT id, amount FROM raw.t ORDER BY id", {NAME: item})
    assert result.column("amount").to_pylist() == [None, None]
    assert result.schema.field("amount").type == pa.decimal128(10, 2)


def test_the_pinned_version_reads_only_its_own_files(lake: Lake, engine: DuckDBEngine) -> None:
    _append(lake, pa.table({"id": pa.array([1], pa.int64())}), 1)
    first = pin(lake.table(NAME))
    _append(lake, pa.table({"id": pa.array([2], pa.int64())}), 2)
    result = engine.query("SELECT id FROM raw.t", {NAME: first})
    assert result.column("id").to_pylist() == [1]


def test_partition_values_are_typed_as_the_table_says(lake: Lake, engine: DuckDBEngine) -> None:
    lake.tables[NAME] = TableOptions(partition_by=("day", "shard"))
    data = pa.table(
        {
            "id": pa.array([1, 2, 3], pa.int64()),
            "day": pa.array([date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 2)]),
            "shard": pa.array([7, 7, 8], pa.int32()),
        }
    )
    _append(lake, data, 1)
    item = pin(lake.table(NAME))
    assert _read_directly(item)
    sql = "SELECT day, shard, count(*) AS n FROM raw.t WHERE day > DATE '2026-01-01' GROUP BY ALL"
    result = engine.query(sql + " ORDER BY shard", {NAME: item})
    assert result.to_pylist() == [
        {"day": date(2026, 1, 2), "shard": 7, "n": 1},
        {"day": date(2026, 1, 2), "shard": 8, "n": 1},
    ]
    assert result.schema.field("shard").type == pa.int32()


def test_partition_values_a_folder_name_escapes_are_left_to_the_arrow_scan(
    lake: Lake, engine: DuckDBEngine
) -> None:
    lake.tables[NAME] = TableOptions(partition_by=("day",))
    data = pa.table({"id": pa.array([1, 2, 3], pa.int64()), "day": ["a:b", "x y", None]})
    _append(lake, data, 1)
    item = pin(lake.table(NAME))
    assert not _read_directly(item)
    result = engine.query("SELECT day, id FROM raw.t ORDER BY id", {NAME: item})
    assert result.column("day").to_pylist() == ["a:b", "x y", None]


def test_the_watermark_filters_a_direct_read(lake: Lake, engine: DuckDBEngine) -> None:
    _append(lake, pa.table({"id": pa.array(range(10), pa.int64())}), 1)
    item = dataclasses.replace(pin(lake.table(NAME)), newer_than=("id", 6))
    assert _read_directly(item)
    result = engine.query("SELECT id FROM raw.t ORDER BY id", {NAME: item})
    assert result.column("id").to_pylist() == [7, 8, 9]


def test_a_file_narrower_than_the_table_is_read_at_the_tables_type(
    tmp_path: Path, engine: DuckDBEngine
) -> None:
    path = tmp_path / "part-0.parquet"
    pq.write_table(pa.table({"id": pa.array([1, 2], pa.int32())}), path)
    schema = pa.schema([pa.field("id", pa.int64())])
    item = Input(
        name=NAME,
        uri=tmp_path.as_uri(),
        version=0,
        files=(str(path),),
        schema=schema,
        open_dataset=lambda: ds.dataset(str(path), schema=schema),
    )
    result = engine.query("SELECT id FROM raw.t ORDER BY id", {NAME: item})
    assert result.schema.field("id").type == pa.int64()
    assert result.column("id").to_pylist() == [1, 2]


@pytest.mark.parametrize(
    "change",
    [
        {"files": ("s3://bucket/t/part-0.parquet",), "uri": "s3://bucket/t"},
        {"features": ("deletionVectors",)},
        {"features": ("columnMapping",)},
        {"files": ()},
    ],
    ids=["object-store", "deletion-vectors", "column-mapping", "no-files"],
)
def test_what_a_file_list_cannot_honour_is_left_to_the_arrow_scan(
    lake: Lake, change: dict[str, object]
) -> None:
    _append(lake, pa.table({"id": pa.array([1], pa.int64())}), 1)
    item = pin(lake.table(NAME))
    assert _read_directly(item)
    assert not _read_directly(dataclasses.replace(item, **change))  # type: ignore[arg-type]


def test_reader_arrow_scans_every_input_as_an_arrow_dataset(lake: Lake) -> None:
    from sluiceway.spec.settings import DuckDBSettings

    _append(lake, pa.table({"id": pa.array(range(5), pa.int64())}), 1)
    item = pin(lake.table(NAME))
    sql = "SELECT count(*) AS n FROM raw.t WHERE id > 1"
    plans = {}
    for reader in ("auto", "arrow"):
        with DuckDBEngine(DuckDBSettings(reader=reader)) as engine:
            assert engine.query(sql, {NAME: item}).to_pylist() == [{"n": 3}]
            plan = engine.query("EXPLAIN " + sql, {NAME: item}).column("explain_value")[0]
            plans[reader] = plan.as_py()
    assert "READ_PARQUET" in plans["auto"] and "ARROW" not in plans["auto"]
    assert "ARROW_SCAN" in plans["arrow"] and "READ_PARQUET" not in plans["arrow"]
