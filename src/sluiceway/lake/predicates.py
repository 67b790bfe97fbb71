"""Safe SQL predicates for delta-rs (replace-where, delete, merge conditions).

delta-rs takes predicates as SQL text (DataFusion's dialect). Column names and values in
them come from users and from data, so they are never pasted into a string: every name goes
through :func:`column` (double-quoted, embedded quotes doubled) and every value through
:func:`literal`. This is the one module that builds predicate text; everything else composes
its functions.

Literals are written in the form delta-rs compares correctly with the column's own type,
which was measured, not assumed (deltalake 1.6):

* dates and timestamps are plain quoted strings (``'2024-01-01'``,
  ``'2024-01-01T00:00:00+00:00'``): DataFusion coerces them to the column's type, whereas a
  typed literal (``TIMESTAMP '…'``, ``CAST(… AS DATE)``) is nanosecond-precision or
  differently sized and the file-skipping step rejects the comparison
  (``Invalid comparison operation: Timestamp(µs, "UTC") <= Timestamp(ns)``);
* decimals are bare numerals (``12.30``), for the same reason (``CAST(… AS DECIMAL(4,2))``
  does not compare with a ``decimal(12,2)`` column);
* non-finite floats are refused: ``NaN`` equals nothing in SQL, so a predicate holding it
  would silently select nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Final, TypeAlias

LiteralValue: TypeAlias = bool | int | float | Decimal | str | date | datetime | None
"""The Python values :func:`literal` can write."""

OPERATORS: Final = frozenset({"=", "!=", "<>", "<", "<=", ">", ">="})
TRUE: Final = "TRUE"
FALSE: Final = "FALSE"


def column(name: str, table: str | None = None) -> str:
    """A quoted column reference, optionally qualified by a table alias (``"t"."id"``).

    Quoting every name keeps case (``Id`` is not ``id``) and lets names hold spaces, dots or
    quotes without changing the meaning of the predicate.
    """
    if not name:
        raise ValueError("a column name cannot be empty")
    quoted = _quote(name)
    return quoted if table is None else f"{_quote(table)}.{quoted}"


quote_identifier = column
"""Alias of :func:`column`, for readers who look for the conventional name."""


def literal(value: LiteralValue) -> str:
    """``value`` as a SQL literal that compares correctly with a column of its type.

    Raises:
        TypeError: the value's type has no literal form here (lists, bytes, objects…).
        ValueError: a non-finite float or decimal.
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):  # before int: bool is an int
        return TRUE if value else FALSE
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} cannot be used in a predicate (it equals nothing)")
        return repr(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value!r} cannot be used in a predicate (it equals nothing)")
        return format(value, "f")
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, datetime):  # before date: datetime is a date
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return _string(value.isoformat())
    if isinstance(value, date):
        return _string(value.isoformat())
    raise TypeError(f"no SQL literal for {type(value).__name__} value {value!r}")


def compare(name: str, op: str, value: LiteralValue, *, table: str | None = None) -> str:
    """``name op value``; ``= None`` and ``!= None`` become ``IS [NOT] NULL``.

    ``op`` is checked against :data:`OPERATORS`, so it cannot carry SQL either.
    """
    if op not in OPERATORS:
        raise ValueError(f"unknown comparison {op!r}; use one of {sorted(OPERATORS)}")
    ref = column(name, table)
    if value is None:
        if op == "=":
            return f"{ref} IS NULL"
        if op in ("!=", "<>"):
            return f"{ref} IS NOT NULL"
        raise ValueError(f"{op} NULL is never true; compare with = or != instead")
    return f"{ref} {op} {literal(value)}"


def is_null(name: str, *, table: str | None = None) -> str:
    """``name IS NULL``."""
    return f"{column(name, table)} IS NULL"


def in_list(name: str, values: Iterable[LiteralValue], *, table: str | None = None) -> str:
    """``name IN (v1, v2…)``, with ``None`` among the values matched by ``IS NULL``.

    An empty list matches nothing (``FALSE``), as ``IN ()`` would if SQL allowed it.
    """
    present: list[str] = []
    seen: set[str] = set()
    has_null = False
    for value in values:
        if value is None:
            has_null = True
            continue
        text = literal(value)
        if text not in seen:
            seen.add(text)
            present.append(text)
    parts = []
    if present:
        ref = column(name, table)
        parts.append(
            f"{ref} = {present[0]}" if len(present) == 1 else f"{ref} IN ({', '.join(present)})"
        )
    if has_null:
        parts.append(is_null(name, table=table))
    return or_(*parts)


def and_(*parts: str) -> str:
    """The conjunction of predicates, each parenthesised; no parts means ``TRUE``."""
    return _join(" AND ", parts, TRUE)


def or_(*parts: str) -> str:
    """The disjunction of predicates, each parenthesised; no parts means ``FALSE``."""
    return _join(" OR ", parts, FALSE)


def not_(part: str) -> str:
    """The negation of a predicate."""
    return f"NOT ({part})"


def _join(sep: str, parts: tuple[str, ...], empty: str) -> str:
    if not parts:
        return empty
    if len(parts) == 1:
        return parts[0]
    return sep.join(f"({p})" for p in parts)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
