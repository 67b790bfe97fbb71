"""Parquet files staged against a contract: every row staged or quarantined."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sluiceway.engines.duckdb.connection import connect
from sluiceway.ingest.files.contract import Column, Contract
from sluiceway.ingest.files.formats import stage_file
from sluiceway.ingest.files.landing import LandingFile
from sluiceway.ingest.files.result import FileResult, FileUnreadable, NewColumns
from sluiceway.lake.commit import WriteContext
from sluiceway.lake.lineage import lineage_constants
from sluiceway.lake.staged import Output
from sluiceway.spec.settings import DuckDBSettings
from sluiceway.spec.sources import ParquetFormat

PARQUET = ParquetFormat(type="parquet")
ORDERS = Contract(
    (
        Column("id", "BIGINT", required=True),
        Column("amount", "DECIMAL(10,2)"),
        Column("note", "VARCHAR"),
    ),
    keep_new=False,
    origin="declared",
)


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection, _ = connect(DuckDBSettings())
    yield connection
    connection.close()


def stage(
    con: duckdb.DuckDBPyConnection,
    tmp_path: Path,
    name: str,
    data: pa.Table | bytes,
    contract: Contract | None = ORDERS,
    *,
    first: bool = True,
    row_group_size: int | None = None,
) -> tuple[FileResult, list[dict[str, Any]]]:
    path = tmp_path / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        pq.write_table(data, path, row_group_size=row_group_size)
    staged = tmp_path / f"staged-{name}"
    staged.mkdir()
    ctx = WriteContext(run_id="r1", app_id="test", batch=1, source="test")
    output = Output(directory=str(staged), constants=lineage_constants(ctx))
    file = LandingFile(f"orders/{name}", str(path), path.stat().st_size, None)
    result = stage_file(con, path, file, PARQUET, contract, output, f"orders/{name}", first=first)
    rows = [r for f in sorted(staged.rglob("*.parquet")) for r in pq.read_table(f).to_pylist()]
    return result, sorted(rows, key=lambda r: r["id"])


def test_rows_are_cast_and_bad_ones_quarantined_with_row_numbers(con, tmp_path):
    data = pa.table(
        {
            "id": pa.array([1, 2, None, 4, 5], pa.int64()),
            "amount": ["1.50", "oops", "3", "99999999999", None],
            "note": ["a", "b", "c", "d", "e"],
        }
    )
    result, rows = stage(con, tmp_path, "o.parquet", data, row_group_size=2)
    assert [(r["id"], str(r["amount"]), r["note"]) for r in rows] == [
        (1, "1.50", "a"),
        (5, "None", "e"),
    ]
    assert rows[0]["_sw_source"] == "orders/o.parquet"
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (5, 2, 3)
    bad = {q.line: q for q in result.quarantine}
    assert sorted(bad) == [2, 3, 4]
    assert (
        bad[2].column == "amount"
        and '"oops"' in bad[2].reason
        and bad[2].reason.startswith("row 2")
    )
    assert json.loads(bad[2].raw or "") == {"id": 2, "amount": "oops", "note": "b"}
    assert bad[3].column == "id" and "required" in bad[3].reason
    assert bad[4].column == "amount"  # does not fit DECIMAL(10,2)


def test_missing_optional_is_null_and_missing_required_fails(con, tmp_path):
    result, rows = stage(con, tmp_path, "n.parquet", pa.table({"id": [1, 2]}))
    assert [r["note"] for r in rows] == [None, None] and result.rows_loaded == 2
    with pytest.raises(FileUnreadable, match="required column id"):
        stage(con, tmp_path, "m.parquet", pa.table({"note": ["x"]}))


def test_no_contract_keeps_the_files_types(con, tmp_path):
    data = pa.table({"id": pa.array([1], pa.int32()), "at": pa.array([0], pa.timestamp("us"))})
    result, rows = stage(con, tmp_path, "i.parquet", data, contract=None)
    assert result.contract is not None
    assert [(c.name, c.type) for c in result.contract.columns] == [
        ("id", "INTEGER"),
        ("at", "TIMESTAMP"),
    ]
    assert rows[0]["id"] == 1


def test_new_columns_follow_keep_new(con, tmp_path):
    keep = Contract((Column("id", "BIGINT"),), keep_new=True, origin="frozen")
    _, rows = stage(con, tmp_path, "k.parquet", pa.table({"id": [1], "extra": ["x"]}), keep)
    assert rows[0]["extra"] == "x"
    with pytest.raises(NewColumns):
        stage(con, tmp_path, "k2.parquet", pa.table({"id": [1], "extra": ["x"]}), keep, first=False)
    strict = Contract((Column("id", "BIGINT"),), keep_new=False, origin="frozen", strict=True)
    with pytest.raises(FileUnreadable, match=r"column extra \(varchar\) is not in the table"):
        stage(con, tmp_path, "s.parquet", pa.table({"id": [1], "extra": ["x"]}), strict)


def test_a_file_that_is_not_parquet_is_unreadable(con, tmp_path):
    whole = tmp_path / "whole.parquet"
    pq.write_table(pa.table({"id": list(range(1000))}), whole)
    data = whole.read_bytes()
    for name, bad in [("bad.parquet", b"id,amount\n1,2\n"), ("cut.parquet", data[:-100])]:
        with pytest.raises(FileUnreadable) as caught:
            stage(con, tmp_path, name, bad)
        assert caught.value.message == (
            f"orders/{name} is not a Parquet file (it does not end with a Parquet footer)"
        )
        assert "change format:" in str(caught.value.hint)
    damaged = data[:200] + b"x" * 50 + data[250:]  # the footer is whole, a page is not
    with pytest.raises(FileUnreadable) as caught:
        stage(con, tmp_path, "damaged.parquet", damaged)
    assert caught.value.message.startswith("orders/damaged.parquet: its Parquet data cannot be")
    assert "deliver it again" in str(caught.value.hint)
    assert str(tmp_path) not in str(caught.value)  # the local copy's path is not shown
