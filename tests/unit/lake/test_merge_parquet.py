"""The Parquet plumbing of copy-on-write merges: read-ahead, slicing, dictionary choice."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sluiceway.lake import merge_parquet
from sluiceway.lake.merge_parquet import ahead, dictionary_columns, row_numbers, slices


def test_read_ahead_yields_everything_in_order() -> None:
    assert list(ahead(iter(range(50)))) == list(range(50))


def test_read_ahead_raises_the_producers_error_and_stops() -> None:
    def failing() -> Iterator[int]:
        yield 1
        raise ValueError("corrupt file")

    with pytest.raises(ValueError, match="corrupt file"):
        list(ahead(failing()))
    assert not [t for t in threading.enumerate() if t.name == "merge-read-ahead"]


def test_a_consumer_that_stops_early_stops_the_producer() -> None:
    items = ahead(iter(range(1000)))
    assert next(items) == 0
    items.close()  # as when writing fails
    assert not [t for t in threading.enumerate() if t.name == "merge-read-ahead"]


def test_slices_cover_the_file_in_order_within_the_byte_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "f.parquet"
    pq.write_table(pa.table({"id": row_numbers(300_000)}), path, row_group_size=100_000)
    monkeypatch.setattr(merge_parquet, "READ_ROWS", 10_000)
    monkeypatch.setattr(merge_parquet, "SLICE_BYTES", 400_000)  # 50,000 int64 values
    parts = list(slices(pq.ParquetFile(path)))
    assert [p.num_rows for p in parts] == [50_000] * 6
    assert pa.concat_tables(parts)["id"].to_pylist() == list(range(300_000))


def test_dictionary_only_where_values_repeat() -> None:
    group = pa.table(
        {
            "status": ["new", "paid"] * 5_000,
            "id": row_numbers(10_000),
            "note": pa.nulls(10_000, pa.string()),
            "untyped": pa.nulls(10_000),
        }
    )
    assert dictionary_columns(group) == ["status", "note", "untyped"]
