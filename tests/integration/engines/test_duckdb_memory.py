"""How the DuckDB engine shares out its memory limit: row groups cut by bytes, a COPY that
runs out of memory retried on one thread, and an error that says what to change."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from sqlglot import exp

from sluiceway.engines.duckdb.connection import connect
from sluiceway.engines.duckdb.engine import DuckDBEngine
from sluiceway.engines.duckdb.memory import MIN_ROW_GROUP_BYTES, MemoryBudget, parse_bytes
from sluiceway.engines.duckdb.write import write_parquet
from sluiceway.engines.errors import QueryError
from sluiceway.lake.staged import Output
from sluiceway.spec.settings import DuckDBSettings

MIB = 1024 * 1024


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("64.0 MiB", 64 * MIB),
        ("953.6 MiB", int(953.6 * MIB)),
        ("1.5 GiB", 3 * 512 * MIB),
        ("2 KB", 2000),
        ("512 bytes", 512),
        ("0", 0),
    ],
)
def test_parses_the_amounts_duckdb_shows(text: str, value: int) -> None:
    assert parse_bytes(text) == value


def test_refuses_what_is_not_an_amount() -> None:
    with pytest.raises(ValueError, match="not an amount"):
        parse_bytes("90% of available disk space")


@pytest.mark.parametrize(
    ("limit", "threads", "row_group"),
    [(64 * MIB, 2, MIN_ROW_GROUP_BYTES), (1024 * MIB, 2, 16 * MIB), (1024 * MIB, 8, 4 * MIB)],
)
def test_the_budget_is_read_from_the_connection(limit: int, threads: int, row_group: int) -> None:
    connection, _ = connect(DuckDBSettings(memory_limit=limit, threads=threads))
    try:
        budget = MemoryBudget.of(connection)
    finally:
        connection.close()
    assert (budget.memory_limit, budget.threads) == (limit, threads)
    assert budget.row_group_bytes == row_group


def test_row_groups_are_cut_by_bytes_under_a_small_limit(tmp_path: Path) -> None:
    output = Output(directory=str(tmp_path))
    settings = DuckDBSettings(memory_limit=64 * MIB, threads=2)
    sql = "SELECT range AS id, repeat(md5(range::VARCHAR), 3) AS s FROM range(100000)"
    with DuckDBEngine(settings) as engine:
        staged = engine.stage(sql, {}, output)
    assert staged.rows == 100_000
    sizes = [
        group.total_byte_size
        for f in staged.files
        for metadata in [pq.read_metadata(tmp_path / f.path)]
        for group in (metadata.row_group(i) for i in range(metadata.num_row_groups))
    ]
    # ~10 MiB of rows: DuckDB's default (122,880 rows) would make one row group.
    assert len(sizes) >= 5
    assert max(sizes) <= 2 * MIN_ROW_GROUP_BYTES


class _FailsOnce:
    """A connection whose first COPY leaves a file behind and runs out of memory."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, directory: Path) -> None:
        self.connection = connection
        self.directory = directory
        self.statements: list[str] = []

    def execute(self, sql: str, *args: Any) -> Any:
        self.statements.append(sql)
        if sql.startswith("COPY") and sum(s.startswith("COPY") for s in self.statements) == 1:
            (self.directory / "part-half-written.parquet").write_bytes(b"PAR1")
            raise duckdb.OutOfMemoryException("Out of Memory Error: failed to allocate data")
        return self.connection.execute(sql, *args)


def test_a_copy_out_of_memory_runs_again_on_one_thread(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    connection, _ = connect(DuckDBSettings(memory_limit=256 * MIB, threads=2))
    fake = _FailsOnce(connection, tmp_path)
    select = exp.select("range AS id").from_("range(10)")
    try:
        with caplog.at_level(logging.WARNING):
            write_parquet(fake, select, Output(directory=str(tmp_path)))  # type: ignore[arg-type]
        threads = connection.execute("SELECT current_setting('threads')").fetchall()[0][0]
    finally:
        connection.close()
    assert "running the query again on one thread" in caplog.text
    copies = [s for s in fake.statements if s.startswith("COPY")]
    assert len(copies) == 2
    assert fake.statements[fake.statements.index(copies[1]) - 1] == "SET threads = 1"
    assert threads == 2  # restored
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) == 1 and files[0] != "part-half-written.parquet"
    assert pq.read_table(tmp_path / files[0]).num_rows == 10


def test_out_of_memory_on_one_thread_says_what_to_change(tmp_path: Path) -> None:
    settings = DuckDBSettings(memory_limit=16 * MIB, threads=1)
    one_value_of_100_mib = "SELECT string_agg(repeat('x', 1000), '') AS s FROM range(100000)"
    with DuckDBEngine(settings) as engine, pytest.raises(QueryError) as raised:
        engine.stage(one_value_of_100_mib, {}, Output(directory=str(tmp_path)))
    assert "ran out of memory in DuckDB under a 16 MiB limit (1 thread)" in str(raised.value)
    assert "engines.duckdb.memory_limit" in str(raised.value.hint)
