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

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql.types import DataType

SESSION_TIME_ZONE = "UTC"

_DUCKDB_NAMES = {
    "bool": "BOOLEAN",
    "int8": "TINYINT",
    "int16": "SMALLINT",
    "int32": "INTEGER",
    "int64": "BIGINT",
    "float": "FLOAT",
    "double": "DOUBLE",
    "date32[day]": "DATE",
    "string": "VARCHAR",
    "binary": "BLOB",
}
"""Arrow types Delta tables hold → DuckDB names (Delta has no unsigned integers)."""


class UnknownType(ValueError):
    """An Arrow type with no equivalent in Delta, DuckDB and Spark alike."""


def duckdb_type(kind: pa.DataType) -> str:
    """The DuckDB name of an Arrow type (``DECIMAL(10, 2)``, ``VARCHAR[]``, ``STRUCT(…)``).

    Raises:
        UnknownType: the type has no such name.
    """
    import pyarrow as pa

    types = pa.types
    kind = narrow_type(kind)
    if types.is_timestamp(kind):
        return "TIMESTAMPTZ" if kind.tz else "TIMESTAMP"
    if types.is_decimal(kind):
        return f"DECIMAL({kind.precision}, {kind.scale})"
    if types.is_list(kind):
        return duckdb_type(kind.value_type) + "[]"
    if types.is_struct(kind):
        fields = (f"{_quoted(f.name, 'duckdb')} {duckdb_type(f.type)}" for f in kind)
        return f"STRUCT({', '.join(fields)})"
    if types.is_map(kind):
        return f"MAP({duckdb_type(kind.key_type)}, {duckdb_type(kind.item_type)})"
    try:
        return _DUCKDB_NAMES[str(kind)]
    except KeyError:
        raise UnknownType(f"no SQL type for Arrow type {kind}") from None


def duckdb_columns(schema: pa.Schema) -> dict[str, str]:
    """Column name → DuckDB type name, the form the transpiler takes input schemas in.

    Columns of unknown types are left out: the transpiler then treats them as untyped.
    """
    found = {}
    for field in schema:
        try:
            found[field.name] = duckdb_type(field.type)
        except UnknownType:
            continue
    return found


def sql_type(kind: pa.DataType) -> exp.DataType:
    """The SQL type of an Arrow type, for generating any dialect's spelling of it."""
    return exp.DataType.build(duckdb_type(kind), dialect="duckdb")


def spark_ddl(schema: pa.Schema) -> str | None:
    """A Spark DDL schema (`` `id` BIGINT, `amount` DECIMAL(10, 2) ``), or None if a type
    has no Spark equivalent (the reader then infers the schema from the files)."""
    try:
        return ", ".join(
            f"{_quoted(f.name, 'spark')} {sql_type(f.type).sql('spark')}" for f in schema
        )
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


def narrow_type(kind: pa.DataType) -> pa.DataType:
    """Plain string/binary/list for their large and view variants, recursively."""
    import pyarrow as pa

    types = pa.types
    if types.is_large_string(kind) or types.is_string_view(kind):
        return pa.string()
    if types.is_large_binary(kind) or types.is_binary_view(kind):
        return pa.binary()
    if types.is_timestamp(kind) and kind.unit != "us":
        return pa.timestamp("us", tz=kind.tz)
    if types.is_large_list(kind) or types.is_list_view(kind) or types.is_list(kind):
        return pa.list_(kind.value_field.with_type(narrow_type(kind.value_type)))
    if types.is_struct(kind):
        return pa.struct([f.with_type(narrow_type(f.type)) for f in kind])
    if types.is_map(kind):
        return pa.map_(narrow_type(kind.key_type), narrow_type(kind.item_type))
    return kind


def quoted(name: str) -> str:
    """``name`` as a Spark identifier, even with dots, spaces or backticks in it."""
    return _quoted(name, "spark")


def _quoted(name: str, dialect: str) -> str:
    return exp.to_identifier(name, quoted=True).sql(dialect)
