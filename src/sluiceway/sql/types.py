"""Arrow types as SQL types, by their DuckDB names: the project's dialect names every type.

Delta tables hold a small set of Arrow types; each has one DuckDB name, from which sqlglot
spells it in any dialect. The large and view variants of strings, binaries and lists (what
some readers and writers hand over) are the same type for this purpose.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

if TYPE_CHECKING:
    import pyarrow as pa

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


def _quoted(name: str, dialect: str) -> str:
    return exp.to_identifier(name, quoted=True).sql(dialect)
