"""The SQL the JSON readers build: typed values out of JSON text, as sqlglot expressions.

Every record is kept as JSON text; these helpers read a key out of it, tell its JSON type,
cast it to the contract's type (with the step's date and timestamp formats) and name the
type a sampled value implies, so a reader can judge each value without leaving DuckDB.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from sluiceway.ingest.files.formats import Field

if TYPE_CHECKING:
    from sluiceway.spec.sources import JsonFormat, NdjsonFormat


_NUMBERS = {"UBIGINT": "BIGINT", "BIGINT": "BIGINT", "DOUBLE": "DOUBLE", "BOOLEAN": "BOOLEAN"}


_NESTED = {exp.DataType.Type.JSON, *exp.DataType.NESTED_TYPES}


_TEXT = exp.DataType.TEXT_TYPES


_TEMPORAL = {
    exp.DataType.Type.DATE: "date_format",
    exp.DataType.Type.TIMESTAMP: "timestamp_format",
    exp.DataType.Type.TIMESTAMPTZ: "timestamp_format",
}


def is_nested(kind: str) -> bool:
    return exp.DataType.build(kind, dialect="duckdb").this in _NESTED


def cast_field(value: exp.Expr, field: Field, fmt: JsonFormat | NdjsonFormat) -> exp.Expr:
    """``value`` as the field's type, NULL when it does not fit.

    Scalars arrive as their text and are cast as a CSV value would be (so ``"12"`` fits a
    BIGINT); nested types arrive as JSON and are cast from it.
    """
    kind = exp.DataType.build(field.type, dialect="duckdb")
    if kind.this in _TEXT:
        return value
    pattern = format_of(field, fmt)
    if pattern:
        parsed = exp.Anonymous(
            this="try_strptime", expressions=[value, exp.Literal.string(pattern)]
        )
        return exp.TryCast(this=parsed, to=kind)
    return exp.TryCast(this=value, to=kind)


def format_of(field: Field, fmt: JsonFormat | NdjsonFormat) -> str | None:
    """The strftime format a date or timestamp field is read with (None: ISO)."""
    kind = exp.DataType.build(field.type, dialect="duckdb").this
    if kind not in _TEMPORAL:
        return None
    return field.format or getattr(fmt, _TEMPORAL[kind])


def inferred_type(structure: object) -> str:
    """A key's DuckDB type from its ``json_group_structure`` (nested values stay JSON)."""
    if isinstance(structure, str):
        return _NUMBERS.get(structure, "VARCHAR" if structure in ("VARCHAR", "NULL") else "JSON")
    return "JSON"


def json_pointer(key: str) -> str:
    """A JSON pointer to the top-level ``key`` (so dots and quotes in names are safe)."""
    return "/" + key.replace("~", "~0").replace("/", "~1")


def value_at(raw: exp.Expr, key: str) -> exp.Expr:
    return exp.JSONExtract(this=raw, expression=exp.Literal.string(json_pointer(key)))


def has_key(key: str) -> exp.Expr:
    return exp.Anonymous(
        this="json_exists", expressions=[exp.column("json"), exp.Literal.string(json_pointer(key))]
    )


def as_text(value: exp.Expr) -> exp.Expr:
    """A JSON value as text: a string unquoted, anything else as its JSON."""
    return exp.JSONExtractScalar(this=value, expression=exp.Literal.string("$"))


def json_type(value: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this="json_type", expressions=[value])


def is_object(value: exp.Expr) -> exp.Expr:
    return exp.EQ(this=json_type(value), expression=exp.Literal.string("OBJECT"))


def all_or_null(value: exp.Expr, condition: exp.Expr) -> exp.Expr:
    """``bool_and(value IS NULL OR condition)``, false when no value at all."""
    ok = exp.or_(value.is_(exp.null()), condition)
    some = exp.GT(this=exp.Count(this=value), expression=exp.Literal.number(0))
    return exp.and_(exp.Anonymous(this="bool_and", expressions=[ok]), some)
