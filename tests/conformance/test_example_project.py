"""The example project's transforms (``sluiceway init``'s ``sql/``) on DuckDB and on Spark.

Each file is read from the scaffold as shipped, run over small tables shaped like the
example's (:mod:`conformance.example_data`), checked against the rows it should give on
DuckDB, and compared row for row with Spark's answer. A real difference would be declared
``notimpl`` here with its reason; today there is none.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pyarrow as pa
import pytest

from conformance.cases import Case, params
from conformance.compare import assert_same_result, is_ordered
from conformance.example_data import SCAFFOLD_SQL, build_example_lake, example_sql
from sluiceway.engines.base import Engine, Input
from sluiceway.engines.duckdb.engine import DuckDBEngine

FILES = [
    "silver/orders.sql",
    "silver/customers.sql",
    "silver/products.sql",
    "gold/daily_revenue.sql",
]
CASES = [Case(f"example-{name.removesuffix('.sql')}", example_sql(name)) for name in FILES]

D = date
EXPECTED: dict[str, tuple[tuple[str, ...], list[tuple[object, ...]]]] = {
    "silver/orders.sql": (
        ("order_id", "status", "amount", "order_date"),
        [
            (1, "shipped", Decimal("19.98"), D(2026, 5, 1)),
            (2, "delivered", Decimal("120.00"), D(2026, 5, 1)),
            (3, "cancelled", Decimal("49.95"), D(2026, 5, 2)),
            (4, "placed", Decimal("360.00"), D(2026, 5, 2)),
            (5, "returned", Decimal("0.50"), D(2026, 5, 3)),
            (6, "shipped", Decimal("2.00"), D(2026, 5, 3)),
        ],
    ),
    "silver/customers.sql": (
        ("customer_id", "email", "country", "segment"),
        [
            (10, "ada@example.org", "DE", "retail"),
            (20, "bob@example.com", "DE", "unknown"),
            (30, None, "BE", "b2b"),
        ],
    ),
    "silver/products.sql": (
        ("product_id", "category", "price"),
        [
            (100, "kitchen", Decimal("9.99")),
            (200, "home", Decimal("120.00")),
            (300, "stationery", Decimal("0.50")),
        ],
    ),
    "gold/daily_revenue.sql": (
        ("order_date", "country", "category", "orders", "units", "revenue"),
        [
            (D(2026, 5, 1), "DE", "home", 1, 1, Decimal("120.00")),
            (D(2026, 5, 1), "FR", "kitchen", 1, 2, Decimal("19.98")),
            (D(2026, 5, 3), "DE", "stationery", 1, 4, Decimal("2.00")),
        ],
    ),
}
"""What each file should give on DuckDB: the columns shown, and their rows in any order."""


@pytest.fixture(scope="session")
def example_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Input]:
    return build_example_lake(tmp_path_factory.mktemp("example") / "lake")


@pytest.fixture(scope="session")
def example_reference(example_inputs: dict[str, Input]) -> Iterator[dict[str, pa.Table]]:
    """DuckDB's answer to each example file."""
    with DuckDBEngine() as engine:
        yield {case.sql: engine.query(case.sql, example_inputs) for case in CASES}


def test_every_transform_of_the_example_is_covered() -> None:
    shipped = sorted(p.relative_to(SCAFFOLD_SQL).as_posix() for p in SCAFFOLD_SQL.rglob("*.sql"))
    assert shipped == sorted(FILES)


@pytest.mark.parametrize("name", FILES)
def test_duckdb_gives_the_rows_the_example_means(
    name: str, example_reference: dict[str, pa.Table]
) -> None:
    result = example_reference[example_sql(name)]
    columns, wanted = EXPECTED[name]
    shown = [tuple(row.values()) for row in result.select(list(columns)).to_pylist()]
    assert sorted(shown, key=repr) == sorted(wanted, key=repr)


@pytest.mark.spark
@pytest.mark.parametrize("case", params(CASES, "spark"))
def test_spark_gives_duckdbs_rows(
    case: Case,
    spark_engine: Engine,
    example_inputs: dict[str, Input],
    example_reference: dict[str, pa.Table],
) -> None:
    expected = example_reference[case.sql]
    assert expected.num_rows > 0, "the reference answer has no rows"
    actual = spark_engine.query(case.sql, example_inputs)
    assert_same_result(expected, actual, ordered=is_ordered(case.sql))
