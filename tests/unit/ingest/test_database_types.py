"""Database column types → Arrow types, and chunks of rows → record batches."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import pyarrow as pa
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from sluiceway.ingest.database.types import (
    ColumnValueError,
    column_type,
    described_types,
    schema_of,
    to_batch,
)


@pytest.mark.parametrize(
    ("sql_type", "arrow"),
    [
        (sa.SmallInteger(), pa.int64()),
        (sa.Integer(), pa.int64()),
        (sa.BigInteger(), pa.int64()),
        (sa.Numeric(12, 2), pa.decimal128(12, 2)),
        (sa.Numeric(10), pa.decimal128(10, 0)),
        (sa.Numeric(), pa.decimal128(38, 9)),
        (sa.Numeric(50, 2), pa.string()),  # wider than a Delta decimal
        (sa.Float(), pa.float64()),
        (postgresql.DOUBLE_PRECISION(), pa.float64()),
        (postgresql.REAL(), pa.float64()),
        (sa.Text(), pa.string()),
        (sa.String(20), pa.string()),
        (sa.Enum("a", "b", name="e"), pa.string()),
        (sa.Boolean(), pa.bool_()),
        (sa.Date(), pa.date32()),
        (sa.DateTime(), pa.timestamp("us")),
        (postgresql.TIMESTAMP(timezone=True), pa.timestamp("us", tz="UTC")),
        (sa.LargeBinary(), pa.binary()),
        (postgresql.BYTEA(), pa.binary()),
        (postgresql.JSONB(), pa.string()),
        (sa.JSON(), pa.string()),
        (sa.Uuid(), pa.string()),
        (sa.Time(), pa.string()),
        (sa.Interval(), pa.string()),
        (sa.types.NullType(), pa.string()),
    ],
)
def test_sql_types_map_to_arrow_types(sql_type: sa.types.TypeEngine, arrow: pa.DataType) -> None:
    assert column_type("c", sql_type).arrow == arrow


def test_a_query_result_is_typed_from_postgres_type_codes() -> None:
    # (name, type_code, display_size, internal_size, precision, scale, null_ok)
    description = [
        ("id", 20, None, 8, None, None, None),
        ("amount", 1700, None, None, 12, 2, None),
        ("loose", 1700, None, None, None, None, None),
        ("at", 1184, None, 8, None, None, None),
        ("local", 1114, None, 8, None, None, None),
        ("doc", 3802, None, None, None, None, None),
        ("ip", 869, None, None, None, None, None),  # inet: not mapped
    ]
    types = {c.name: c.arrow for c in described_types("postgresql", description)}
    assert types == {
        "id": pa.int64(),
        "amount": pa.decimal128(12, 2),
        "loose": pa.decimal128(38, 9),
        "at": pa.timestamp("us", tz="UTC"),
        "local": pa.timestamp("us"),
        "doc": pa.string(),
        "ip": pa.string(),
    }


def test_other_databases_query_columns_are_text() -> None:
    described = described_types("sqlite", [("id", None, None, None, None, None, None)])
    assert [c.arrow for c in described] == [pa.string()]


def test_rows_become_a_batch_with_values_converted() -> None:
    columns = [
        column_type("id", sa.BigInteger()),
        column_type("amount", sa.Numeric(12, 2)),
        column_type("at", sa.DateTime(timezone=True)),
        column_type("doc", postgresql.JSONB()),
        column_type("uid", sa.Uuid()),
        column_type("clock", sa.Time()),
        column_type("took", sa.Interval()),
        column_type("blob", sa.LargeBinary()),
    ]
    schema = schema_of(columns)
    paris = timezone(timedelta(hours=2))
    rows = [
        (
            1,
            Decimal("9.99"),
            datetime(2024, 2, 29, 10, tzinfo=paris),
            {"a": [1, 2]},
            uuid.UUID(int=1),
            time(12, 30),
            timedelta(minutes=5),
            memoryview(b"\x01"),
        ),
        (None,) * 8,
    ]
    batch = to_batch(rows, columns, schema)
    assert batch.schema == schema
    first, second = batch.to_pylist()
    assert first["amount"] == Decimal("9.99")
    assert first["at"] == datetime(2024, 2, 29, 8, tzinfo=UTC)
    assert json.loads(first["doc"]) == {"a": [1, 2]}
    assert first["uid"] == "00000000-0000-0000-0000-000000000001"
    assert first["clock"] == "12:30:00"
    assert first["took"] == "0:05:00"
    assert first["blob"] == b"\x01"
    assert set(second.values()) == {None}


def test_no_rows_give_an_empty_batch_of_the_schema() -> None:
    columns = [column_type("id", sa.Integer()), column_type("day", sa.Date())]
    batch = to_batch([], columns, schema_of(columns))
    assert batch.num_rows == 0
    assert batch.schema.names == ["id", "day"]


def test_a_value_that_does_not_fit_raises_instead_of_rounding() -> None:
    columns = [column_type("amount", sa.Numeric(5, 2))]
    with pytest.raises(ColumnValueError, match="amount"):
        to_batch([(Decimal("1.234"),)], columns, schema_of(columns))


def test_dates_stay_dates() -> None:
    columns = [column_type("day", sa.Date())]
    batch = to_batch([(date(2024, 1, 2),)], columns, schema_of(columns))
    assert batch.column(0).to_pylist() == [date(2024, 1, 2)]
