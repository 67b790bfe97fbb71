"""Row-for-row comparison of two engines' results, as a user of either would judge them.

Rows are compared in order when the query has a top-level ORDER BY and as multisets
otherwise. Column names must match; types must match by family (an integer is an integer
whatever its width; a decimal's precision may differ; an instant is not a wall-clock time).
Floats compare with a relative tolerance, decimals and integers exactly.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import sqlglot

REL_TOL = 1e-9


def is_ordered(sql: str) -> bool:
    """True when the (DuckDB) query orders its final result."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    return tree.args.get("order") is not None


def family(kind: pa.DataType) -> str:
    """A type's family: what must agree between engines for a user to see the same column."""
    t = pa.types
    if t.is_integer(kind) or (t.is_decimal(kind) and kind.scale == 0):
        return "integer"
    if t.is_decimal(kind):
        return f"decimal(scale={kind.scale})"
    if t.is_floating(kind):
        return "float"
    if t.is_string(kind) or t.is_large_string(kind) or t.is_string_view(kind):
        return "string"
    if t.is_timestamp(kind):
        return "instant" if kind.tz else "timestamp"
    if t.is_list(kind) or t.is_large_list(kind):
        return f"list<{family(kind.value_type)}>"
    if t.is_struct(kind):
        return "struct<" + ", ".join(f"{f.name}: {family(f.type)}" for f in kind) + ">"
    return str(kind)


def assert_same_result(expected: pa.Table, actual: pa.Table, *, ordered: bool) -> None:
    """Fail with a readable diff unless ``actual`` shows the same rows as ``expected``."""
    assert actual.column_names == expected.column_names, "column names differ"
    expected_types = [family(f.type) for f in expected.schema]
    actual_types = [family(f.type) for f in actual.schema]
    assert actual_types == expected_types, (
        f"column types differ: {expected.schema} vs {actual.schema}"
    )
    want = [_normalize(row) for row in _rows(expected)]
    got = [_normalize(row) for row in _rows(actual)]
    assert len(got) == len(want), (
        f"{len(want)} rows expected, {len(got)} returned:\n{_show(want, got)}"
    )
    if not ordered:
        want, got = sorted(want, key=_sort_key), sorted(got, key=_sort_key)
    for index, (w, g) in enumerate(zip(want, got, strict=True)):
        assert _equal(w, g), f"row {index} differs: {w!r} vs {g!r}\n{_show(want, got)}"


def _rows(table: pa.Table) -> list[tuple[Any, ...]]:
    # Column by column: to_pylist() would collapse columns that share a name.
    return list(zip(*(column.to_pylist() for column in table.columns), strict=True))


def _normalize(value: Any) -> Any:
    """Python values both engines' results can be compared as (lists and structs as tuples)."""
    if isinstance(value, dict):
        return tuple(sorted((k, _normalize(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_normalize(v) for v in value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return value


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        if math.isnan(float(a)) or math.isnan(float(b)):
            return math.isnan(float(a)) and math.isnan(float(b))
        return math.isclose(float(a), float(b), rel_tol=REL_TOL, abs_tol=REL_TOL)
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


def _sort_key(value: Any) -> Any:
    """A total order over mixed values: None first, numbers by (rounded) value, others by text."""
    if isinstance(value, tuple):
        return (3, tuple(_sort_key(v) for v in value))
    if value is None:
        return (0, "")
    if isinstance(value, bool):
        return (1, float(value))
    if isinstance(value, int | float | Decimal):
        return (1, round(float(value), 6))
    return (2, str(value))


def _show(want: list[Any], got: list[Any]) -> str:
    lines = ["expected (DuckDB):", *(f"  {row!r}" for row in want[:20])]
    lines += ["actual:", *(f"  {row!r}" for row in got[:20])]
    return "\n".join(lines)
