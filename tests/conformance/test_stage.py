"""Staging on every engine: same rows, constants appended, Hive partition folders, zstd files.

The lake commits whatever an engine staged without rewriting it, so the files themselves
are what must agree: read back, DuckDB's and Spark's staged rows are the same.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conformance.compare import assert_same_result, family
from sluiceway.engines.base import Engine, Input, Output, Staged
from sluiceway.engines.errors import QueryError

LOADED_AT = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
CONSTANTS = (
    ("_sw_run_id", pa.scalar("run-7")),
    ("_sw_loaded_at", pa.scalar(LOADED_AT, pa.timestamp("us", tz="UTC"))),
    ("_sw_source", pa.scalar(None, pa.string())),
)
# ``_sw_run_id`` of the query is replaced by the constant of the same name.
SQL = (
    "SELECT order_id, amount, ordered_at, tags, address, 'from-query' AS _sw_run_id, region "
    "FROM raw.orders"
)
COLUMNS = ["order_id", "amount", "ordered_at", "tags", "address", *(n for n, _ in CONSTANTS)]

ENGINES = [
    pytest.param("duckdb_engine", id="duckdb"),
    pytest.param("spark_engine", id="spark", marks=pytest.mark.spark),
    pytest.param("connect_engine", id="spark-connect", marks=[pytest.mark.spark, pytest.mark.slow]),
]


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> Engine:
    """Each engine in turn (Spark ones start once per test session)."""
    found: Engine = request.getfixturevalue(request.param)
    return found


def stage(
    engine: Engine, inputs: dict[str, Input], folder: Path, sql: str = SQL, **kw: object
) -> Staged:
    folder.mkdir(parents=True)
    output = Output(directory=str(folder), constants=CONSTANTS, **kw)  # type: ignore[arg-type]
    return engine.stage(sql, inputs, output)


def test_staged_files(engine: Engine, conformance_inputs: dict[str, Input], tmp_path: Path) -> None:
    staged = stage(engine, conformance_inputs, tmp_path / "out", partition_by=("region",))

    assert staged.schema.names == [*COLUMNS, "region"]
    assert staged.rows == 10
    assert {f.partition_values["region"] for f in staged.files} == {"eu", "us", None}
    for file in staged.files:
        folder = Path(file.path).parent.name
        value = file.partition_values["region"]
        assert folder == f"region={value if value is not None else '__HIVE_DEFAULT_PARTITION__'}"
        metadata = pq.read_metadata(tmp_path / "out" / file.path)
        assert metadata.row_group(0).column(0).compression == "ZSTD"
        assert "region" not in metadata.schema.names
    everything = sorted(
        p.relative_to(tmp_path / "out").as_posix()
        for p in (tmp_path / "out").rglob("*")
        if p.is_file()
    )
    assert everything == sorted(f.path for f in staged.files), "only data files are staged"

    rows = pa.Table.from_batches(list(staged.reader()), staged.schema).to_pylist()
    assert {r["_sw_run_id"] for r in rows} == {"run-7"}
    assert {r["_sw_loaded_at"] for r in rows} == {LOADED_AT}
    assert {r["_sw_source"] for r in rows} == {None}
    assert sorted(r["order_id"] for r in rows if r["region"] is None) == [107, 110]


@pytest.mark.spark
def test_spark_stages_what_duckdb_stages(
    duckdb_engine: Engine,
    spark_engine: Engine,
    conformance_inputs: dict[str, Input],
    tmp_path: Path,
) -> None:
    ours = stage(spark_engine, conformance_inputs, tmp_path / "spark", partition_by=("region",))
    theirs = stage(duckdb_engine, conformance_inputs, tmp_path / "duckdb", partition_by=("region",))

    assert [family(f.type) for f in ours.schema] == [family(f.type) for f in theirs.schema]
    assert ours.rows == theirs.rows
    read = [pa.Table.from_batches(list(s.reader()), s.schema) for s in (theirs, ours)]
    assert_same_result(read[0], read[1], ordered=False)


@pytest.mark.spark
def test_spark_cuts_files_by_target_size(
    spark_engine: Engine, conformance_inputs: dict[str, Input], tmp_path: Path
) -> None:
    # 8-byte rows and a 16-byte target: two rows per file.
    staged = stage(
        spark_engine,
        conformance_inputs,
        tmp_path / "out",
        "SELECT order_id FROM raw.orders",
        target_file_size=16,
    )

    counts = [pq.read_metadata(tmp_path / "out" / f.path).num_rows for f in staged.files]
    assert sum(counts) == 10
    assert max(counts) <= 3
    assert len(counts) >= 4


def test_empty_result_stages_a_schema(
    engine: Engine, conformance_inputs: dict[str, Input], tmp_path: Path
) -> None:
    staged = stage(
        engine,
        conformance_inputs,
        tmp_path / "out",
        "SELECT order_id, region FROM raw.orders WHERE false",
        partition_by=("region",),
    )

    assert staged.rows == 0
    assert staged.schema.names == ["order_id", *(n for n, _ in CONSTANTS), "region"]


def test_missing_partition_column_is_refused(
    engine: Engine, conformance_inputs: dict[str, Input], tmp_path: Path
) -> None:
    with pytest.raises(QueryError, match="partition by"):
        stage(
            engine,
            conformance_inputs,
            tmp_path / "out",
            "SELECT order_id FROM raw.orders",
            partition_by=("region",),
        )


def test_bad_value_while_staging_is_a_query_error(
    engine: Engine, conformance_inputs: dict[str, Input], tmp_path: Path
) -> None:
    sql = "SELECT CAST(status AS INTEGER) AS n, region FROM raw.orders"
    with pytest.raises(QueryError):
        stage(engine, conformance_inputs, tmp_path / "out", sql, partition_by=("region",))
    assert not [p for p in (tmp_path / "out").rglob("*") if p.is_file()], "nothing staged"


# Connect stages through the same code as local Spark (test_staged_files covers it).
@pytest.mark.parametrize("engine", ENGINES[:2], indirect=True)
def test_staged_files_commit_and_read_back(
    engine: Engine,
    duckdb_engine: Engine,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    """Awkward partition values survive stage → lake commit → read, whoever reads."""
    from sluiceway.engines.inputs import pin
    from sluiceway.lake.commit import WriteContext
    from sluiceway.lake.registration import TableOptions
    from sluiceway.lake.service import Lake
    from sluiceway.lake.storage import LakeStorage

    lake = Lake(
        LakeStorage(root=str(tmp_path / "lake")),
        tables={"silver.parts": TableOptions(partition_by=("p",))},
    )
    values = ["y=/ z", None, "a b", "é", "50%", "x#1"]
    source = pa.table({"id": list(range(len(values))), "p": values})
    lake.write("raw.parts", source, "append", WriteContext("r0", "test/load", 1))
    ctx = WriteContext("r1", "test/stage", 1)
    with lake.staging("silver.parts", ctx) as output:
        staged = engine.stage(
            "SELECT id, p FROM raw.parts", {"raw.parts": pin(lake.table("raw.parts"))}, output
        )
        lake.commit_staged("silver.parts", staged, "append", ctx)

    inputs = {"silver.parts": pin(lake.table("silver.parts"))}
    readers = [duckdb_engine]
    if "spark" in request.node.callspec.id:
        readers.append(engine)
    for reader in readers:
        rows = reader.query("SELECT id, p FROM silver.parts ORDER BY id", inputs).to_pylist()
        assert rows == source.to_pylist(), reader.name
