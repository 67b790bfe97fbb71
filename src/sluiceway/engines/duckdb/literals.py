"""Arrow scalars as DuckDB SQL literals, built as sqlglot expressions (never formatted text)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

if TYPE_CHECKING:
    import pyarrow as pa


def literal(value: pa.Scalar) -> exp.Expression:
    """A typed literal for ``value``; NULLs keep their type so the column's type is stable."""
    import pyarrow as pa

    kind = value.type
    target = _sql_type(kind)
    if not value.is_valid:
        return exp.cast(exp.null(), target)
    python = value.as_py()
    if pa.types.is_timestamp(kind):
        return exp.cast(exp.Literal.string(python.isoformat()), target)
    if pa.types.is_date(kind):
        return exp.cast(exp.Literal.string(python.isoformat()), target)
    if pa.types.is_boolean(kind):
        return exp.Boolean(this=bool(python))
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return exp.cast(exp.Literal.number(str(python)), target)
    return exp.cast(exp.Literal.string(str(python)), target)


def _sql_type(kind: pa.DataType) -> str:
    import pyarrow as pa

    if pa.types.is_timestamp(kind):
        return "TIMESTAMPTZ" if kind.tz else "TIMESTAMP"
    if pa.types.is_date(kind):
        return "DATE"
    if pa.types.is_boolean(kind):
        return "BOOLEAN"
    if pa.types.is_integer(kind):
        return "BIGINT" if kind.bit_width == 64 else "INTEGER"
    if pa.types.is_floating(kind):
        return "DOUBLE"
    if pa.types.is_decimal(kind):
        return f"DECIMAL({kind.precision}, {kind.scale})"
    return "VARCHAR"
