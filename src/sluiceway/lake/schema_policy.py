"""Schema policy: what a write may do to a table's schema, decided before anything is written.

Pure functions over ``pa.Schema``. :func:`plan_write` compares the incoming data's schema with
the table's and returns the schema to write (and the delta-rs ``schema_mode`` that needs), or
raises :class:`~sluiceway.lake.errors.SchemaPolicyError` naming every offending column.

* ``evolve`` (default) adds new columns (always nullable: the rows already in the table have
  no value for them) and refuses breaking changes.
* ``strict`` refuses any difference.
* Breaking, refused by both: a dropped column, or a type that cannot hold every value the
  old type could (``int64 → int32``, ``string → int64``, ``timestamp → date``,
  ``decimal(12,2) → decimal(10,2)``), or an unrelated type.
* Widening (``int32 → int64``, ``float32 → float64``, ``date → timestamp``) is allowed by
  ``evolve`` only when the write replaces the whole table (``overwrite``). delta-rs 1.6
  cannot change a column's type in place: appending ``int64`` data to an ``int32`` column
  keeps the column ``int32`` and casts the data down — an overflowing value fails the write,
  a ``float64`` becomes ``inf`` in a ``float32`` column and a timestamp loses its time in a
  ``date`` column, silently. Refusing is the only safe answer for appends.

Lineage columns (``_sw_*``) are the platform's and exempt from the comparison. Types that
differ only in representation (``string``/``large_string``, timestamp units, dictionary
encoding) are the same type: Delta stores one form of each.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Final, Literal

import pyarrow as pa

from sluiceway.lake.errors import SchemaPolicyError
from sluiceway.lake.lineage import is_lineage

Policy = Literal["evolve", "strict"]
SchemaMode = Literal["merge", "overwrite"]
Change = Literal["same", "widening", "narrowing", "incompatible"]
DEFAULT_POLICY: Final[Policy] = "evolve"

_INT_DIGITS: Final = {8: 3, 16: 5, 32: 10, 64: 19}


@dataclass(frozen=True)
class ColumnProblem:
    """One column the policy refuses, with its table type and the incoming type."""

    column: str
    before: str | None
    after: str | None
    kind: Literal["dropped", "added", "widening", "narrowing", "incompatible"]

    def describe(self) -> str:
        """``column amount would change from decimal(12,2) to int32 (narrowing)``."""
        if self.kind == "dropped":
            return f"column {self.column} ({self.before}) would be dropped"
        if self.kind == "added":
            return f"column {self.column} ({self.after}) would be added"
        kind = "type change" if self.kind == "incompatible" else self.kind
        return f"column {self.column} would change from {self.before} to {self.after} ({kind})"


@dataclass(frozen=True)
class SchemaPlan:
    """How to write: the schema to cast the data to and the delta-rs schema mode it needs.

    ``write_schema`` lists the incoming columns, in the table's order first, each in the type
    the table will hold. ``schema_mode`` is None when the table's schema does not change.
    """

    write_schema: pa.Schema
    schema_mode: SchemaMode | None = None
    added: tuple[str, ...] = ()
    widened: tuple[str, ...] = ()
    created: bool = False


def plan_write(
    table: str,
    existing: pa.Schema | None,
    incoming: pa.Schema,
    policy: Policy = DEFAULT_POLICY,
    *,
    replaces_table: bool = False,
    keeps: str | None = None,
    maintained: Collection[str] = (),
) -> SchemaPlan:
    """Decide how ``incoming`` may be written to a table whose schema is ``existing``.

    Args:
        table: the table's name, for messages.
        existing: the table's schema, or None when the table does not exist yet.
        incoming: the data's schema (lineage columns included).
        policy: ``evolve`` or ``strict``.
        replaces_table: the write replaces every row (``overwrite``), so a column's type may
            widen: no old value has to fit the new type.
        keeps: how the message names what stays, e.g. ``schema version 3``.
        maintained: table columns the materialization adds itself (``scd2``'s
            ``valid_from``…), which the incoming data is not expected to have.

    Raises:
        SchemaPolicyError: listing every refused column; nothing must be written.
    """
    if existing is None:
        return SchemaPlan(write_schema=incoming, created=True)
    old = {f.name: f for f in existing}
    problems: list[ColumnProblem] = [
        ColumnProblem(f.name, type_name(f.type), None, "dropped")
        for f in existing
        if not is_lineage(f.name)
        and f.name not in maintained
        and incoming.get_field_index(f.name) < 0
    ]
    fields: dict[str, pa.Field] = {}
    added: list[str] = []
    widened: list[str] = []
    for field in incoming:
        before = old.get(field.name)
        if before is None:
            if policy == "strict" and not is_lineage(field.name):
                problems.append(ColumnProblem(field.name, None, type_name(field.type), "added"))
            added.append(field.name)
            fields[field.name] = field.with_nullable(True)
            continue
        change = "same" if is_lineage(field.name) else type_change(before.type, field.type)
        if change == "same" or fits(field.type, before.type):
            # Values that fit the column's type are cast to it: ``SELECT 42`` (int32) into
            # a bigint column changes nothing about the table, so no policy is involved.
            fields[field.name] = before
        elif change == "widening" and policy == "evolve" and replaces_table:
            widened.append(field.name)
            fields[field.name] = field.with_nullable(before.nullable or field.nullable)
        else:
            problems.append(
                ColumnProblem(field.name, type_name(before.type), type_name(field.type), change)
            )
    if problems:
        rank = {name: i for i, name in enumerate(existing.names)}
        problems.sort(key=lambda p: rank.get(p.column, len(rank)))
        raise refusal(table, problems, policy, keeps)
    order = [name for name in old if name in fields] + [n for n in fields if n not in old]
    schema = pa.schema([fields[name] for name in order], metadata=incoming.metadata)
    mode: SchemaMode | None = None
    if widened:
        mode = "overwrite"
    elif added or len(fields) != len(old):
        mode = "merge"
    return SchemaPlan(schema, mode, tuple(added), tuple(widened))


def refusal(
    table: str, problems: list[ColumnProblem], policy: Policy, keeps: str | None
) -> SchemaPolicyError:
    """The error for refused columns: every column, both types, and what the table keeps."""
    parts = [p.describe() for p in problems]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + ", and " + parts[-1]
    message = f"{table}: {listed}; the table keeps {keeps or 'its schema'}"
    if policy == "strict":
        hint = "the table's schema_policy is strict: change the query to match the table"
    elif any(p.kind == "widening" for p in problems):
        hint = (
            "a column's type can only widen when the table is rewritten (materialization: "
            "overwrite); otherwise cast it to the table's type in the query"
        )
    else:
        hint = "keep the column and its type (cast in the query), or write a new table"
    return SchemaPolicyError(message, hint=hint)


def type_change(before: pa.DataType, after: pa.DataType) -> Change:
    """What replacing type ``before`` by ``after`` does to the values ``before`` could hold."""
    before, after = _plain(before), _plain(after)
    if _same(before, after):
        return "same"
    if pa.types.is_string(after) and not pa.types.is_string(before):
        return "incompatible"
    if pa.types.is_string(before):
        return "narrowing"
    widening = _widens(before, after)
    if widening is None:
        return "incompatible"
    return "widening" if widening else "narrowing"


def fits(incoming: pa.DataType, column: pa.DataType) -> bool:
    """True when every value of type ``incoming`` can be stored in ``column`` unchanged."""
    return type_change(incoming, column) in ("same", "widening")


def type_name(dtype: pa.DataType) -> str:
    """A type as users read it: ``int32``, ``decimal(12,2)``, ``timestamp(us, UTC)``."""
    dtype = _plain(dtype)
    if pa.types.is_decimal(dtype):
        return f"decimal({dtype.precision},{dtype.scale})"
    if pa.types.is_timestamp(dtype):
        return f"timestamp({dtype.unit}, {dtype.tz})" if dtype.tz else f"timestamp({dtype.unit})"
    if pa.types.is_string(dtype):
        return "string"
    if pa.types.is_binary(dtype):
        return "binary"
    if pa.types.is_date(dtype):
        return "date"
    if pa.types.is_boolean(dtype):
        return "boolean"
    if pa.types.is_floating(dtype):
        return f"float{dtype.bit_width}"
    if pa.types.is_list(dtype):
        return f"list<{type_name(dtype.value_type)}>"
    if pa.types.is_struct(dtype):
        inner = ", ".join(f"{f.name}: {type_name(f.type)}" for f in dtype)
        return f"struct<{inner}>"
    return str(dtype)


def _plain(dtype: pa.DataType) -> pa.DataType:
    """One representative of each family of representations of the same values."""
    if pa.types.is_dictionary(dtype):
        return _plain(dtype.value_type)
    if pa.types.is_large_string(dtype) or pa.types.is_string_view(dtype):
        return pa.string()
    if pa.types.is_large_binary(dtype) or pa.types.is_binary_view(dtype):
        return pa.binary()
    if pa.types.is_date64(dtype):
        return pa.date32()
    if pa.types.is_large_list(dtype) or pa.types.is_list_view(dtype):
        return pa.list_(_plain(dtype.value_type))
    return dtype


def _same(before: pa.DataType, after: pa.DataType) -> bool:
    if pa.types.is_timestamp(before) and pa.types.is_timestamp(after):
        # Delta keeps microseconds, as UTC instants or as wall-clock times: only that matters.
        return (before.tz is None) == (after.tz is None)
    if pa.types.is_list(before) and pa.types.is_list(after):
        return _same(_plain(before.value_type), _plain(after.value_type))
    if pa.types.is_struct(before) and pa.types.is_struct(after):
        return [f.name for f in before] == [f.name for f in after] and all(
            _same(_plain(a.type), _plain(b.type)) for a, b in zip(before, after, strict=True)
        )
    return bool(before.equals(after))


def _widens(before: pa.DataType, after: pa.DataType) -> bool | None:
    """True if ``after`` holds every value of ``before``, False if not, None if unrelated."""
    t = pa.types
    if t.is_integer(before) and t.is_integer(after):
        if t.is_signed_integer(before) and t.is_unsigned_integer(after):
            return False
        if t.is_unsigned_integer(before) and t.is_signed_integer(after):
            return after.bit_width > before.bit_width
        return after.bit_width > before.bit_width
    if t.is_integer(before) and t.is_floating(after):
        return _INT_DIGITS[before.bit_width] <= {16: 3, 32: 7, 64: 15}[after.bit_width]
    if t.is_floating(before) and t.is_floating(after):
        return after.bit_width > before.bit_width
    if t.is_integer(before) and t.is_decimal(after):
        return after.precision - after.scale >= _INT_DIGITS[before.bit_width]
    if t.is_decimal(before) and t.is_decimal(after):
        return after.scale >= before.scale and (
            after.precision - after.scale >= before.precision - before.scale
        )
    numeric = (t.is_integer, t.is_floating, t.is_decimal)
    if any(f(before) for f in numeric) and any(f(after) for f in numeric):
        return False  # float ↔ decimal, decimal → int, float → int: values are lost
    if t.is_date(before) and t.is_timestamp(after):
        return True
    if t.is_timestamp(before) and t.is_date(after):
        return False
    return None
