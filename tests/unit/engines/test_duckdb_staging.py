"""DuckDB computes, the lake commits the files DuckDB wrote: every fast and fallback path.

Each test reads the committed table back and compares it row for row with what the SQL
should produce, on a local lake and on the S3 endpoint.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from sluiceway.engines.duckdb.engine import DuckDBEngine
from sluiceway.engines.inputs import pin
from sluiceway.lake.commit import WriteContext
from sluiceway.lake.errors import SchemaPolicyError
from sluiceway.lake.registration import TableOptions
from sluiceway.lake.service import Lake
from sluiceway.spec.materializations import Merge, PartitionOverwrite
from unit.lake.lake_support import LOADED_AT, rows


def ctx(n: int) -> WriteContext:
    return WriteContext(
        run_id=f"run-{n}", app_id="p/s", batch=n, source="raw.src@0", loaded_at=LOADED_AT
    )


@pytest.fixture
def lake(lake_storage: Any) -> Lake:
    return Lake(lake_storage)


@pytest.fixture
def engine() -> Any:
    with DuckDBEngine() as engine:
        yield engine


def run(lake: Lake, engine: DuckDBEngine, sql: str, table: str, kind: Any, n: int, inputs=None):
    batch = ctx(n)
    with lake.staging(table, batch) as output:
        staged = engine.stage(sql, inputs or {}, output)
        return lake.commit_staged(table, staged, kind, batch)


def test_append_commits_duckdb_files_without_rewriting(lake, engine) -> None:
    first = run(lake, engine, "SELECT range AS id, 'a' AS s FROM range(5)", "silver.t", "append", 1)
    second = run(
        lake, engine, "SELECT range + 5 AS id, 'b' AS s FROM range(3)", "silver.t", "append", 2
    )
    assert (first.rows_added, second.rows_added) == (5, 3)
    table = lake.table("silver.t")
    data = table.read()
    assert sorted(data.column("id").to_pylist()) == list(range(8))
    assert set(data.column("_sw_run_id").to_pylist()) == {"run-1", "run-2"}
    assert set(data.column("_sw_loaded_at").to_pylist()) == {LOADED_AT}
    assert set(data.column("_sw_source").to_pylist()) == {"raw.src@0"}
    # The lineage strings are plain string columns, in the log and in the files.
    delta_schema = pa.schema(table.delta().schema().to_arrow())
    assert delta_schema.field("_sw_run_id").type == delta_schema.field("_sw_source").type
    assert pa.types.is_string(delta_schema.field("_sw_run_id").type)
    assert data.schema.field("_sw_run_id").type == pa.string()
    # The files are DuckDB's own: their names come from its FILENAME_PATTERN.
    assert all("/part-" in uri and "-c000" not in uri for uri in table.delta().file_uris())


def test_history_counts_the_rows_and_files_of_staged_commits(lake, engine) -> None:
    from sluiceway.lake.history import history

    run(lake, engine, "SELECT range AS id FROM range(5)", "silver.t", "append", 1)
    run(lake, engine, "SELECT range AS id FROM range(3)", "silver.t", "overwrite", 2)
    entries = history(lake.table("silver.t").delta())
    assert [(e.version, e.rows_added, e.rows_removed, e.files_added) for e in entries] == [
        (1, 3, 5, 1),
        (0, 5, 0, 1),
    ]
    assert entries[0].files_removed == 1


def test_rerun_of_a_committed_batch_is_skipped(lake, engine) -> None:
    run(lake, engine, "SELECT 1 AS id", "silver.t", "append", 1)
    again = run(lake, engine, "SELECT 1 AS id", "silver.t", "append", 1)
    assert again.skipped and lake.table("silver.t").count() == 1
    assert lake.already_committed("silver.t", ctx(1))


def test_stats_let_readers_skip_files(lake, engine) -> None:
    for n, start in enumerate((0, 100, 200), start=1):
        run(lake, engine, f"SELECT range + {start} AS id FROM range(100)", "silver.t", "append", n)
    delta = lake.table("silver.t").delta()
    actions = pa.table(delta.get_add_actions(flatten=True)).to_pylist()
    assert sorted((a["min.id"], a["max.id"]) for a in actions) == [(0, 99), (100, 199), (200, 299)]
    assert len(delta.file_uris(partition_filters=None)) == 3


def test_overwrite_replaces_every_row(lake, engine) -> None:
    run(lake, engine, "SELECT range AS id FROM range(10)", "silver.t", "overwrite", 1)
    result = run(lake, engine, "SELECT 42 AS id", "silver.t", "overwrite", 2)
    assert result.rows_deleted == 10
    assert lake.table("silver.t").read().column("id").to_pylist() == [42]
    assert lake.table("silver.t").count(version=0) == 10  # time travel still reads the old rows


def test_partition_overwrite_replaces_only_the_batchs_partitions(lake, engine) -> None:
    spec = PartitionOverwrite(type="partition_overwrite", partition_by=["day"])
    options = TableOptions(partition_by=("day",))
    lake.tables["silver.p"] = options
    sql = "SELECT range AS id, ['a/b', 'x y', NULL][range % 3 + 1] AS day FROM range(9)"
    run(lake, engine, sql, "silver.p", spec, 1)
    result = run(lake, engine, "SELECT 100 AS id, 'x y' AS day", "silver.p", spec, 2)
    assert result.rows_deleted == 3
    data = rows(lake.table("silver.p").read())
    assert data == sorted(
        [{"id": i, "day": "a/b"} for i in (0, 3, 6)]
        + [{"id": i, "day": None} for i in (2, 5, 8)]
        + [{"id": 100, "day": "x y"}],
        key=lambda r: [repr(r["id"]), repr(r["day"])],
    )


def test_new_column_goes_through_the_evolving_path(lake, engine) -> None:
    run(lake, engine, "SELECT 1 AS id", "silver.t", "append", 1)
    run(lake, engine, "SELECT 2 AS id, 'new' AS extra", "silver.t", "append", 2)
    data = lake.table("silver.t").read()
    assert rows(data) == [{"id": 1, "extra": None}, {"id": 2, "extra": "new"}]


def test_strict_table_refuses_and_commits_nothing(lake, engine) -> None:
    lake.tables["silver.s"] = TableOptions(schema_policy="strict")
    run(lake, engine, "SELECT 1 AS id", "silver.s", "append", 1)
    with pytest.raises(SchemaPolicyError, match="extra"):
        run(lake, engine, "SELECT 2 AS id, 'x' AS extra", "silver.s", "append", 2)
    assert lake.table("silver.s").version() == 0


def test_merge_streams_the_staged_rows_through_delta_merge(lake, engine) -> None:
    spec = Merge(type="merge", keys=["id"])
    run(lake, engine, "SELECT range AS id, 'v1' AS v FROM range(4)", "silver.m", spec, 1)
    result = run(
        lake, engine, "SELECT * FROM (VALUES (1, 'v2'), (9, 'v1')) t(id, v)", "silver.m", spec, 2
    )
    assert (result.rows_added, result.rows_updated) == (1, 1)
    data = rows(lake.table("silver.m").read())
    assert data == [
        {"id": 0, "v": "v1"},
        {"id": 1, "v": "v2"},
        {"id": 2, "v": "v1"},
        {"id": 3, "v": "v1"},
        {"id": 9, "v": "v1"},
    ]


def test_reads_pinned_inputs_at_their_version(lake, engine) -> None:
    run(lake, engine, "SELECT range AS id FROM range(10)", "raw.src", "append", 1)
    run(lake, engine, "SELECT range + 10 AS id FROM range(10)", "raw.src", "append", 2)
    pinned = {"raw.src": pin(lake.table("raw.src"), version=0)}
    result = engine.query("SELECT count(*) AS n, max(id) AS top FROM raw.src", pinned)
    assert result.to_pylist() == [{"n": 10, "top": 9}]
    latest = {"raw.src": pin(lake.table("raw.src"))}
    assert engine.query("SELECT count(*) AS n FROM raw.src", latest).to_pylist() == [{"n": 20}]


def test_arrow_rows_stage_while_the_connection_holds_an_unfinished_result(lake, engine) -> None:
    engine.connection.execute("SELECT 42").fetchone()  # one row read, the result not drained
    batch = ctx(1)
    data = pa.table({"id": pa.array([1, 2], pa.int64())})
    with lake.staging("silver.rows", batch) as output:
        staged = engine.stage_arrow(data.to_reader(), output)
        lake.commit_staged("silver.rows", staged, "append", batch)
    assert rows(lake.table("silver.rows").read()) == [{"id": 1}, {"id": 2}]
