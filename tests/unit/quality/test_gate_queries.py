"""The gate's cost in queries: one scan for a dozen checks, a row-level pass only on failure."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pydantic import TypeAdapter

from sluiceway.engines.base import Output
from sluiceway.engines.duckdb.engine import DuckDBEngine
from sluiceway.engines.staging import list_staged
from sluiceway.lake.commit import WriteContext
from sluiceway.lake.service import Lake
from sluiceway.lake.storage import LakeStorage
from sluiceway.quality.gate import Where, audit
from sluiceway.spec.checks import Check

ROWS = pa.table(
    {
        "order_id": pa.array(range(1, 101), pa.int64()),
        "line": pa.array([1, 2] * 50, pa.int32()),
        "status": ["paid", "open", "void", "paid"] * 25,
        "channel": ["web", "shop"] * 50,
        "country": ["fr", "de", "es", "it", "fr"] * 20,
        "quantity": pa.array(range(1, 101), pa.int32()),
        "price": [float(i) for i in range(100)],
        "sku": [f"SKU-{i:04d}" for i in range(100)],
    }
)
TWELVE = [
    {"type": "not_null", "columns": [column]}
    for column in ("order_id", "line", "status", "country")
] + [
    {"type": "unique", "columns": ["order_id", "line"]},
    {"type": "accepted_values", "column": "status", "values": ["paid", "open", "void"]},
    {"type": "accepted_values", "column": "channel", "values": ["web", "shop"]},
    {"type": "accepted_values", "column": "country", "values": ["fr", "de", "es", "it"]},
    {"type": "range", "column": "quantity", "min": 1, "max": 100},
    {"type": "range", "column": "price", "min": 0},
    {"type": "regex", "column": "sku", "pattern": "SKU-[0-9]{4}"},
    {"type": "row_count", "min": 1},
]


class Counting:
    """The engine, counting what the gate asks of it."""

    def __init__(self, engine: DuckDBEngine) -> None:
        self.engine = engine
        self.queries: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)

    def query(self, sql: str, inputs: Any, *, limit: int | None = None) -> pa.Table:
        self.queries.append(sql)
        return self.engine.query(sql, inputs, limit=limit)

    def stage(self, sql: str, inputs: Any, output: Output) -> Any:
        self.queries.append(sql)
        return self.engine.stage(sql, inputs, output)


@pytest.fixture
def engine() -> Iterator[Counting]:
    with DuckDBEngine() as engine:
        yield Counting(engine)


def run_gate(
    engine: Counting, tmp_path: Path, changes: dict[str, Any], rows: pa.Table = ROWS
) -> Any:
    folder = tmp_path / "staged"
    folder.mkdir()
    pq.write_table(rows, folder / "part-0.parquet")
    output = Output(directory=str(folder))
    checks = [TypeAdapter(Check).validate_python({**spec}) for spec in TWELVE]
    checks = [c.model_copy(update=changes.get(str(c.name), {})) for c in checks]
    return audit(
        engine,  # type: ignore[arg-type]
        list_staged(output, rows.schema),
        checks,
        table="silver.lines",
        where=Where(Lake(LakeStorage(root=str(tmp_path / "lake")))),
        batch=WriteContext("r", "p/s", 1),
        output=output,
    )


def test_twelve_passing_checks_are_one_scan(engine: Counting, tmp_path: Path) -> None:
    result = run_gate(engine, tmp_path, {})
    assert [r.status for r in result.results] == ["passed"] * 12
    assert len(engine.queries) == 1 and engine.queries[0].upper().startswith("SELECT COUNT")


def test_a_failing_warn_check_adds_one_bounded_row_pass(engine: Counting, tmp_path: Path) -> None:
    result = run_gate(engine, tmp_path, {"range_price": {"min": 50.0, "severity": "warn"}})
    warned = {r.check_name: r for r in result.results}["range_price"]
    assert (warned.status, warned.failing_rows) == ("warned", 50)
    assert len(engine.queries) == 2  # the scan, then up to 5 sample rows
    assert result.staged.rows == 100 and result.quarantined == 0


def test_a_failing_error_check_routes_its_rows(engine: Counting, tmp_path: Path) -> None:
    result = run_gate(engine, tmp_path, {"range_price": {"min": 50.0}})
    # The scan, the failing rows (to quarantine), the passing rows staged again.
    assert len(engine.queries) == 3
    assert (result.quarantined, result.staged.rows) == (50, 50)


def test_a_key_the_files_show_null_free_is_counted_without_null_guards(
    engine: Counting, tmp_path: Path
) -> None:
    run_gate(engine, tmp_path, {})
    [scan] = engine.queries
    assert 'COUNT(*) - COUNT(DISTINCT ("order_id", "line"))' in scan  # as written by hand


def test_a_key_column_holding_nulls_keeps_its_guard_and_nulls_are_not_duplicates(
    engine: Counting, tmp_path: Path
) -> None:
    lines = [None, None] + [1, 2] * 49  # two rows with a null line: not duplicates
    rows = ROWS.set_column(1, "line", pa.array(lines, pa.int32()))
    found = run_gate(engine, tmp_path, {"not_null_line": {"severity": "warn"}}, rows)
    scan = engine.queries[0]
    assert 'NOT "line" IS NULL' in scan and 'NOT "order_id" IS NULL' not in scan
    unique = next(r for r in found.results if r.check_type == "unique")
    assert unique.status == "passed"
