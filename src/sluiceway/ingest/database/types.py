"""Database column types → Arrow types, so a table's schema is known before its first row.

The type comes from SQLAlchemy: a reflected table's column types, or — for a user query,
whose result SQLAlchemy cannot type — the driver's description of the result, mapped for
PostgreSQL from its type OIDs. What cannot be typed is read as text rather than guessed
from values, so an empty result and a full one get the same schema.

A value that does not fit its column's type (a numeric with more decimals than the scale)
raises; it is never rounded or truncated on the way in.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

DEFAULT_DECIMAL = (38, 9)
"""Precision and scale of a ``numeric`` declared without them (as dlt and Spark choose)."""
MAX_DECIMAL_PRECISION = 38
"""Delta tables hold decimals up to 38 digits; wider ones are read as text."""

Convert = Callable[[Any], Any]


@dataclass(frozen=True)
class ColumnType:
    """How one result column lands in Arrow: its type and, if needed, a per-value conversion."""

    name: str
    arrow: pa.DataType
    convert: Convert | None = None
    """Applied to non-null values before building the Arrow array (e.g. a dict → JSON text)."""

    def field(self) -> pa.Field:
        """The Arrow field of the column (always nullable: databases rarely promise)."""
        return pa.field(self.name, self.arrow, nullable=True)


def column_type(name: str, sql_type: sa.types.TypeEngine[Any]) -> ColumnType:
    """The Arrow form of a column of SQLAlchemy type ``sql_type``.

    Integers → int64, floats → float64, numerics → decimal128 (declared precision and
    scale, else 38, 9), text → string, booleans, dates, timestamps with time zone →
    ``timestamp[us, UTC]`` and without → ``timestamp[us]``, bytes → binary. JSON, arrays,
    times, intervals, UUIDs and anything unknown are stored as text.
    """
    # Order matters: Float is a Numeric, Enum a String, and PostgreSQL's JSONB a JSON.
    if isinstance(sql_type, sa.Boolean):
        return ColumnType(name, pa.bool_())
    if isinstance(sql_type, sa.Integer):
        return ColumnType(name, pa.int64())
    if isinstance(sql_type, sa.Float):
        return ColumnType(name, pa.float64())
    if isinstance(sql_type, sa.Numeric):
        return _decimal(name, sql_type.precision, sql_type.scale)
    if isinstance(sql_type, sa.DateTime):
        tz = "UTC" if sql_type.timezone else None
        return ColumnType(name, pa.timestamp("us", tz=tz))
    if isinstance(sql_type, sa.Date):
        return ColumnType(name, pa.date32())
    if isinstance(sql_type, sa.JSON | sa.ARRAY):
        return ColumnType(name, pa.string(), _to_json)
    if isinstance(sql_type, sa.LargeBinary | sa.BINARY | sa.VARBINARY):
        return ColumnType(name, pa.binary(), bytes)
    if isinstance(sql_type, sa.String) and not isinstance(sql_type, sa.Enum):
        return ColumnType(name, pa.string())  # already text: no per-value work
    return ColumnType(name, pa.string(), _to_text)


def _decimal(name: str, precision: int | None, scale: int | None) -> ColumnType:
    if precision is None:
        precision, scale = DEFAULT_DECIMAL
    if precision > MAX_DECIMAL_PRECISION:
        return ColumnType(name, pa.string(), _to_text)
    return ColumnType(name, pa.decimal128(precision, scale or 0))


def _to_json(value: Any) -> str:
    # A driver may hand JSON back already as text (or as bytes); only structures are encoded.
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return json.dumps(value, default=str, ensure_ascii=False)


def _to_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, time | date | datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, list | dict):
        return json.dumps(value, default=str, ensure_ascii=False)
    return str(value)


# ---------------------------------------------------------------- a query's result columns

_POSTGRES_OIDS: dict[int, Callable[[int | None, int | None], sa.types.TypeEngine[Any]]] = {
    16: lambda p, s: sa.Boolean(),
    20: lambda p, s: sa.BigInteger(),
    21: lambda p, s: sa.SmallInteger(),
    23: lambda p, s: sa.Integer(),
    26: lambda p, s: sa.BigInteger(),  # oid
    700: lambda p, s: sa.Float(),
    701: lambda p, s: sa.Float(),
    1700: lambda p, s: sa.Numeric(p, s),
    25: lambda p, s: sa.Text(),
    1042: lambda p, s: sa.String(),  # char(n)
    1043: lambda p, s: sa.String(),  # varchar
    19: lambda p, s: sa.String(),  # name
    1082: lambda p, s: sa.Date(),
    1114: lambda p, s: sa.DateTime(timezone=False),
    1184: lambda p, s: sa.DateTime(timezone=True),
    17: lambda p, s: sa.LargeBinary(),
    114: lambda p, s: sa.JSON(),
    3802: lambda p, s: sa.JSON(),
}
"""PostgreSQL's built-in type OIDs (fixed by the server, the same for every driver)."""


def described_types(dialect: str, description: Sequence[Sequence[Any]]) -> list[ColumnType]:
    """Column types from a DB-API ``cursor.description`` (name, type_code, …, precision, scale).

    Only PostgreSQL's type codes are understood; other databases' query columns are text.
    """
    columns = []
    for entry in description:
        name, code = str(entry[0]), entry[1]
        precision = _int(entry[4]) if len(entry) > 4 else None
        scale = _int(entry[5]) if len(entry) > 5 else None
        make = (
            _POSTGRES_OIDS.get(code) if dialect == "postgresql" and isinstance(code, int) else None
        )
        columns.append(column_type(name, make(precision, scale) if make else sa.types.NullType()))
    return columns


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and value >= 0 else None


# ---------------------------------------------------------------- rows → a record batch


def schema_of(columns: Sequence[ColumnType]) -> pa.Schema:
    """The Arrow schema of a result with these columns."""
    return pa.schema([c.field() for c in columns])


def to_batch(
    rows: Sequence[Sequence[Any]], columns: Sequence[ColumnType], schema: pa.Schema
) -> pa.RecordBatch:
    """One chunk of rows as a record batch of ``schema``.

    Raises:
        ColumnValueError: a value does not fit its column's Arrow type.
    """
    arrays = []
    values_by_column = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    for column, values in zip(columns, values_by_column, strict=True):
        if column.convert is not None:
            convert = column.convert
            values = tuple(None if v is None else convert(v) for v in values)
        try:
            arrays.append(pa.array(values, type=column.arrow))
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
            raise ColumnValueError(column, exc) from exc
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


class ColumnValueError(ValueError):
    """A value of ``column`` does not fit its Arrow type; the step turns it into a user error."""

    def __init__(self, column: ColumnType, cause: BaseException) -> None:
        super().__init__(f"column {column.name} ({column.arrow}): {cause}")
        self.column = column
