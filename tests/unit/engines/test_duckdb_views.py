"""Tables whose files store string view types (what delta-rs MERGE/DELETE write) read right.

pyarrow cannot evaluate a string filter on such a file; the engine scans those files apart
and lets DuckDB filter them, while the other files keep their pushed-down filters.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sluiceway.engines.duckdb.engine import DuckDBEngine
from sluiceway.engines.duckdb.views import split_views
from sluiceway.engines.inputs import pin
from sluiceway.lake.commit import WriteContext
from sluiceway.lake.service import Lake

NAME = "silver.events"


@pytest.fixture
def lake(lake_storage: Any) -> Lake:
    """A table of two appends, then a delta-rs DELETE that rewrites one file with views."""
    lake = Lake(lake_storage)
    for batch, (ids, kind) in enumerate([([1, 2, 3], "click"), ([4, 5, 6], "view")], start=1):
        data = pa.table({"id": pa.array(ids, pa.int64()), "kind": [kind] * 3})
        lake.write(NAME, data, "append", WriteContext(run_id="r", app_id="a", batch=batch))
    lake.table(NAME).delta().delete("id = 1")
    return lake


def _stores_views(lake: Lake) -> bool:
    table = lake.table(NAME)
    filesystem = lake.storage.filesystem(table.uri)
    for action in pa.table(table.delta().get_add_actions(flatten=True)).to_pylist():
        with filesystem.open_input_file(action["path"]) as handle:
            if pa.string_view() in pq.read_schema(handle).types:
                return True
    return False


def test_string_filters_read_every_file_right(lake: Lake) -> None:
    assert _stores_views(lake), "delta-rs DELETE no longer writes view types: drop this module"
    item = pin(lake.table(NAME))
    assert split_views(item.dataset(), item.uri).viewed is not None
    with DuckDBEngine() as engine:
        for sql, expected in [
            ("SELECT count(*) AS n FROM silver.events WHERE kind = 'click'", 2),
            ("SELECT count(*) AS n FROM silver.events WHERE kind NOT IN ('view')", 2),
            ("SELECT count(*) AS n FROM silver.events WHERE kind >= 'd' AND id > 2", 3),
            ("SELECT count(*) AS n FROM silver.events", 5),
        ]:
            assert engine.query(sql, {NAME: item}).column("n").to_pylist() == [expected], sql


def test_an_incremental_watermark_applies_to_both_scans(lake: Lake) -> None:
    item = dataclasses.replace(pin(lake.table(NAME)), newer_than=("id", 2))
    with DuckDBEngine() as engine:
        result = engine.query("SELECT id FROM silver.events ORDER BY id", {NAME: item})
    assert result.column("id").to_pylist() == [3, 4, 5, 6]


def test_tables_without_view_files_are_one_scan(lake_storage: Any) -> None:
    lake = Lake(lake_storage)
    data = pa.table({"id": pa.array([1], pa.int64()), "kind": ["click"]})
    lake.write(NAME, data, "append", WriteContext(run_id="r", app_id="a", batch=1))
    item = pin(lake.table(NAME))
    assert split_views(item.dataset(), item.uri).viewed is None
