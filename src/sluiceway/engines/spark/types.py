"""Types between Arrow (the platform's) and Spark's, so results compare with DuckDB's.

Spark's TIMESTAMP is an instant (DuckDB's TIMESTAMPTZ) and TIMESTAMP_NTZ a wall-clock time
(DuckDB's TIMESTAMP); with the session in UTC they map to ``timestamp[us, UTC]`` and
``timestamp[us]``, which is what DuckDB returns for the same columns. Spark Connect may hand
back large string/list variants; results are narrowed to the plain ones DuckDB uses.

Arrow types become SQL text through their DuckDB names and sqlglot, never through pyspark's
column functions: those switch implementation process-wide once any Spark Connect session
exists, which would break a local session running beside it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from sluiceway.sql.types import UnknownType, duckdb_columns, duckdb_type, narrow_type

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql.types import DataType

SESSION_TIME_ZONE = "UTC"

__all__ = [
    "UnknownType",
    "arrow_type",
    "conform_result",
    "duckdb_columns",
    "duckdb_type",
    "literal",
    "narrow_schema",
    "narrow_type",
    "quoted",
    "spark_ddl",
    "sql_type",
]


def sql_type(kind: pa.DataType) -> exp.DataType:
    """The SQL type of an Arrow type, for generating any dialect's spelling of it."""
    return exp.DataType.build(duckdb_type(kind), dialect="duckdb")


def spark_ddl(schema: pa.Schema) -> str | None:
    """A Spark DDL schema (`` `id` BIGINT, `amount` DECIMAL(10, 2) ``), or None if a type
    has no Spark equivalent (the reader then infers the schema from the files)."""
    try:
        return ", ".join(f"{quoted(f.name)} {sql_type(f.type).sql('spark')}" for f in schema)
    except UnknownType:
        return None


def literal(value: pa.Scalar) -> exp.Expression:
    """A typed literal for ``value`` (NULLs keep their type, so the column's type is stable).

    Timestamps go through their ISO text with offset, so the literal does not depend on the
    Python process's local time zone.
    """
    import pyarrow as pa

    target = sql_type(value.type)
    if not value.is_valid:
        return exp.cast(exp.null(), target)
    python = value.as_py()
    if pa.types.is_boolean(value.type):
        return exp.Boolean(this=bool(python))
    if pa.types.is_timestamp(value.type) or pa.types.is_date(value.type):
        return exp.cast(exp.Literal.string(python.isoformat()), target)
    if pa.types.is_integer(value.type) or pa.types.is_floating(value.type):
        return exp.cast(exp.Literal.number(repr(python)), target)
    return exp.cast(exp.Literal.string(str(python)), target)


def arrow_type(kind: DataType) -> pa.DataType:
    """The Arrow type a Spark column is returned and staged as."""
    from pyspark.sql.pandas.types import to_arrow_type

    return narrow_type(to_arrow_type(kind, timezone=SESSION_TIME_ZONE))


def conform_result(table: pa.Table) -> pa.Table:
    """``table`` with large/view variants narrowed and Spark's schema metadata dropped."""
    schema = narrow_schema(table.schema)
    if schema.equals(table.schema.remove_metadata()):
        return table.replace_schema_metadata(None)
    return table.cast(schema)


def narrow_schema(schema: pa.Schema) -> pa.Schema:
    """``schema`` with every large/view type replaced by its plain variant, without metadata."""
    import pyarrow as pa

    return pa.schema([f.with_type(narrow_type(f.type)) for f in schema])


def quoted(name: str) -> str:
    """``name`` as a Spark identifier, even with dots, spaces or backticks in it."""
    return exp.to_identifier(name, quoted=True).sql("spark")
