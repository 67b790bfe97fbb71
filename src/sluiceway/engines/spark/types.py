"""Types between Arrow (the platform's) and Spark's, so results compare with DuckDB's.

Spark's TIMESTAMP is an instant (DuckDB's TIMESTAMPTZ) and TIMESTAMP_NTZ a wall-clock time
(DuckDB's TIMESTAMP); with the session in UTC they map to ``timestamp[us, UTC]`` and
``timestamp[us]``, which is what DuckDB returns for the same columns. Spark Connect may hand
back large string/list variants; results are narrowed to the plain ones DuckDB uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import Column
    from pyspark.sql.types import DataType, StructType

SESSION_TIME_ZONE = "UTC"


def spark_schema(schema: pa.Schema) -> StructType | None:
    """The Spark schema of an input's Arrow schema, or None if some type has no equivalent.

    Reading with an explicit schema skips Spark's footer scan of every file; without one
    (None), the reader infers and merges the files' schemas instead.
    """
    from pyspark.sql.pandas.types import from_arrow_schema

    try:
        return from_arrow_schema(narrow_schema(schema), prefer_timestamp_ntz=True)
    except (TypeError, ValueError, NotImplementedError):
        return None


def spark_type(kind: pa.DataType) -> DataType:
    """The Spark type of one Arrow type (naive timestamps stay naive)."""
    from pyspark.sql.pandas.types import from_arrow_type

    return from_arrow_type(narrow_type(kind), prefer_timestamp_ntz=True)


def arrow_type(kind: DataType) -> pa.DataType:
    """The Arrow type a Spark column is returned and staged as."""
    from pyspark.sql.pandas.types import to_arrow_type

    return narrow_type(to_arrow_type(kind, timezone=SESSION_TIME_ZONE))


def conform_result(table: pa.Table) -> pa.Table:
    """``table`` with large/view variants narrowed and Spark's schema metadata dropped."""
    import pyarrow as pa

    schema = pa.schema([f.with_type(narrow_type(f.type)) for f in table.schema])
    if schema.equals(table.schema.remove_metadata()):
        return table.replace_schema_metadata(None)
    return table.cast(schema)


def narrow_schema(schema: pa.Schema) -> pa.Schema:
    """``schema`` with every large/view type replaced by its plain variant."""
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


def literal(value: pa.Scalar) -> Column:
    """A Spark column holding ``value`` with its exact type (NULLs keep their type too).

    Timestamps go through their ISO text, so the literal does not depend on the Python
    process's local time zone (pyspark converts naive datetimes with it).
    """
    import pyarrow as pa
    from pyspark.sql import functions as F

    target = spark_type(value.type)
    if not value.is_valid:
        return F.lit(None).cast(target)
    python = value.as_py()
    if pa.types.is_timestamp(value.type):
        return F.lit(python.isoformat()).cast(target)
    return F.lit(python).cast(target)
