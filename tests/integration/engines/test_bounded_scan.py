"""Inputs reach DuckDB as datasets whose scans hold little memory, with nothing else lost:
DuckDB still builds the scanner through them (projection and filter pushed down), the
incremental watermark still filters, partition columns still come from the Delta log."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from sluiceway.engines.base import Input
from sluiceway.engines.duckdb.engine import DuckDBEngine
from sluiceway.engines.duckdb.scan import BoundedScanDataset, bounded_dataset
from sluiceway.engines.inputs import pin
from sluiceway.lake.commit import WriteContext
from sluiceway.lake.registration import TableOptions
from sluiceway.lake.service import Lake
from sluiceway.lake.storage import LakeStorage

ROWS = 10_000


def _input(tmp_path: Path, newer_than: tuple[str, Any] | None = None) -> Input:
    table = pa.table({"id": pa.array(range(ROWS), pa.int64()), "s": [f"v{i}" for i in range(ROWS)]})
    pq.write_table(table, tmp_path / "part-0.parquet", row_group_size=1000)

    def open_dataset() -> ds.Dataset:
        return ds.dataset(str(tmp_path / "part-0.parquet"), format="parquet")

    return Input(
        name="raw.t",
        uri=tmp_path.as_uri(),
        version=0,
        files=(),
        schema=table.schema,
        open_dataset=open_dataset,
        newer_than=newer_than,
    )


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every scanner DuckDB asks a bounded dataset for, with the options it was built with."""
    calls: list[dict[str, Any]] = []
    original = BoundedScanDataset.scanner

    def spy(self: BoundedScanDataset, columns: Any = None, filter: Any = None, **kw: Any) -> Any:
        calls.append({"columns": columns, "filter": filter})
        return original(self, columns=columns, filter=filter, **kw)

    monkeypatch.setattr(BoundedScanDataset, "scanner", spy)
    return calls


def test_duckdb_scans_through_the_bounded_scanner_with_pushdown(
    tmp_path: Path, scans: list[dict[str, Any]]
) -> None:
    with DuckDBEngine() as engine:
        result = engine.query(
            "SELECT count(*) AS n FROM raw.t WHERE id >= 9000", {"raw.t": _input(tmp_path)}
        )
    assert result.to_pylist() == [{"n": 1000}]
    assert len(scans) == 1  # DuckDB went through the override, not around it
    assert scans[0]["columns"] == ["id"]
    assert scans[0]["filter"] is not None


def test_the_scanner_reads_little_ahead_on_the_callers_thread(tmp_path: Path) -> None:
    dataset = bounded_dataset(_input(tmp_path))
    assert type(dataset) is BoundedScanDataset
    scanner = dataset.scanner(columns=["s"])
    batches = list(scanner.to_batches())
    assert sum(b.num_rows for b in batches) == ROWS
    assert scanner.projected_schema.names == ["s"]
    options = dataset.format.default_fragment_scan_options
    assert options.pre_buffer  # the lake's own format is left as it was


def test_the_watermark_still_filters(tmp_path: Path, scans: list[dict[str, Any]]) -> None:
    item = _input(tmp_path, newer_than=("id", ROWS - 11))
    assert type(bounded_dataset(item)) is BoundedScanDataset  # Dataset.filter keeps the class
    with DuckDBEngine() as engine:
        result = engine.query("SELECT count(*) AS n, min(id) AS low FROM raw.t", {"raw.t": item})
    assert result.to_pylist() == [{"n": 10, "low": ROWS - 10}]
    assert scans


def test_partition_values_come_from_the_delta_log(tmp_path: Path) -> None:
    lake = Lake(LakeStorage(root=str(tmp_path / "lake")))
    lake.tables["raw.p"] = TableOptions(partition_by=("day",))
    ctx = WriteContext(run_id="r", app_id="a", batch=1, loaded_at=datetime(2026, 1, 1, tzinfo=UTC))
    sql = "SELECT range AS id, ['a/b', 'x y', NULL][range % 3 + 1] AS day FROM range(9)"
    with DuckDBEngine() as engine:
        with lake.staging("raw.p", ctx) as output:
            lake.commit_staged("raw.p", engine.stage(sql, {}, output), "append", ctx)
        inputs = {"raw.p": pin(lake.table("raw.p"))}
        result = engine.query(
            "SELECT day, count(*) AS n, sum(id) AS s FROM raw.p GROUP BY day ORDER BY day", inputs
        )
    assert result.to_pylist() == [
        {"day": "a/b", "n": 3, "s": 9},
        {"day": "x y", "n": 3, "s": 12},
        {"day": None, "n": 3, "s": 15},
    ]
