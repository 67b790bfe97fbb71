"""Profiles: the shape of each commit's new data, column by column, kept as history.

One aggregate query measures every column at once — non-null count, approximate distinct
count, min/max, mean and standard deviation of numbers, the range of string lengths — and
one more, only when some column has few distinct values, counts those values (the top
values). Both are built as sqlglot expressions in the project's dialect and run on the
step's engine, like the checks.

The cost is bounded whatever the size of the data: above :data:`SAMPLE_ABOVE` rows, the
statistics are computed on a sample of about :data:`SAMPLE_ROWS` rows (Bernoulli, so every
row has the same chance), and counts that scale (nulls, distinct values) are scaled back to
the whole batch; ``sampled_rows`` says so. The row count itself is always exact (it comes
from the staged files). A profile is history for :mod:`sluiceway.quality.suggest` and the
anomaly detectors, not a gate: nothing is published or held back because of it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from sluiceway.sql.types import UnknownType, duckdb_type

if TYPE_CHECKING:
    import pyarrow as pa

    from sluiceway.engines.base import Engine, Input

SAMPLE_ABOVE = 2_000_000
"""Batches up to this many rows are profiled whole."""
SAMPLE_ROWS = 1_000_000
"""About how many rows a larger batch's profile reads."""
TOP_DISTINCT = 20
"""Columns with at most this many distinct values get their top values counted."""
TOP_VALUES = 10
"""Top values kept per column."""


@dataclass(frozen=True)
class ColumnProfile:
    """One column of one batch."""

    name: str
    type: str
    nulls: int
    null_fraction: float
    distinct: int | None = None
    min: Any = None
    max: Any = None
    mean: float | None = None
    stddev: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    top: list[tuple[Any, int]] | None = None
    """The most frequent values and their counts (for few distinct values only)."""

    def to_json(self) -> dict[str, Any]:
        """A JSON object (values as JSON-friendly scalars)."""
        data = asdict(self)
        data["min"], data["max"] = _plain(self.min), _plain(self.max)
        data["top"] = None if self.top is None else [[_plain(v), n] for v, n in self.top]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ColumnProfile:
        """The inverse of :meth:`to_json`."""
        top = data.get("top")
        return cls(**{**data, "top": None if top is None else [(v, int(n)) for v, n in top]})


@dataclass(frozen=True)
class Profile:
    """The profile of the rows one commit added to ``table``."""

    table: str
    rows: int
    sampled_rows: int
    columns: tuple[ColumnProfile, ...] = field(default_factory=tuple)
    version: int | None = None
    run_id: str | None = None
    profiled_at: datetime | None = None

    def column(self, name: str) -> ColumnProfile | None:
        """The profile of column ``name`` (None if the batch had no such column)."""
        return next((c for c in self.columns if c.name == name), None)


def profile(
    engine: Engine,
    item: Input,
    *,
    table: str,
    rows: int,
    skip: Sequence[str] = (),
) -> Profile:
    """Profile ``item`` (a staged result or a table version) on ``engine``.

    Args:
        engine: the engine that reads ``item``.
        item: the rows, registered under ``item.name``.
        table: the table the profile is for, ``layer.name``.
        rows: the exact number of rows (from the files' footers).
        skip: columns not to profile (the lineage columns, say).
    """
    fields = [f for f in item.schema if f.name not in set(skip)]
    layer, _, name = item.name.partition(".")
    source: exp.Expr = exp.table_(name, db=layer, quoted=True)
    fraction = 1.0 if rows <= SAMPLE_ABOVE else SAMPLE_ROWS / rows
    if fraction < 1.0:
        sample = exp.TableSample(
            method="BERNOULLI", percent=exp.Literal.number(round(fraction * 100, 6))
        )
        source.set("sample", sample)
    measures = [m for i, f in enumerate(fields) for m in _measures(f, i)]
    if not fields or rows == 0:
        return Profile(table, rows, 0, tuple(_empty(f, rows) for f in fields))
    query = exp.select(exp.Count(this=exp.Star()).as_("__rows", quoted=True), *measures)
    found = engine.query(query.from_(source).sql("duckdb"), {item.name: item}).to_pylist()[0]
    sampled = int(found["__rows"])
    scale = rows / sampled if sampled else 0.0
    columns = [_column(f, i, found, sampled, scale) for i, f in enumerate(fields)]
    few = [c.name for c in columns if c.distinct is not None and 0 < c.distinct <= TOP_DISTINCT]
    if few:
        counted = _top_values(engine, item, source, few, scale)
        columns = [c if c.name not in counted else _with_top(c, counted[c.name]) for c in columns]
    return Profile(table, rows, sampled, tuple(columns))


def _measures(field: pa.Field, index: int) -> list[exp.Expr]:
    import pyarrow as pa

    column = exp.column(field.name, quoted=True)
    kind = field.type
    found: list[exp.Expr] = [exp.Count(this=column.copy()).as_(_alias(index, "count"), quoted=True)]
    if _nested(kind):
        return found
    found.append(exp.ApproxDistinct(this=column.copy()).as_(_alias(index, "distinct"), quoted=True))
    if not pa.types.is_boolean(kind) and not pa.types.is_binary(kind):
        found.append(exp.Min(this=column.copy()).as_(_alias(index, "min"), quoted=True))
        found.append(exp.Max(this=column.copy()).as_(_alias(index, "max"), quoted=True))
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        number = exp.cast(column.copy(), exp.DataType.build("DOUBLE"))
        found.append(exp.Avg(this=number).as_(_alias(index, "mean"), quoted=True))
        found.append(exp.Stddev(this=number.copy()).as_(_alias(index, "stddev"), quoted=True))
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        length = exp.Length(this=column.copy())
        found.append(exp.Min(this=length).as_(_alias(index, "min_length"), quoted=True))
        found.append(exp.Max(this=length.copy()).as_(_alias(index, "max_length"), quoted=True))
    return found


def _column(
    field: pa.Field, index: int, found: Mapping[str, Any], sampled: int, scale: float
) -> ColumnProfile:
    def get(what: str) -> Any:
        return found.get(_alias(index, what))

    present = int(get("count") or 0)
    nulls = round((sampled - present) * scale)
    distinct = get("distinct")
    if distinct is not None and scale > 1.0:
        # A sample sees most of a column's few values, and a fraction of a key's many.
        distinct = int(distinct) if distinct < present / 2 else round(int(distinct) * scale)
    rows = round(sampled * scale)
    return ColumnProfile(
        name=field.name,
        type=_type(field.type),
        nulls=nulls,
        null_fraction=nulls / rows if rows else 0.0,
        distinct=None if distinct is None else int(distinct),
        min=get("min"),
        max=get("max"),
        mean=_finite(get("mean")),
        stddev=_finite(get("stddev")),
        min_length=get("min_length"),
        max_length=get("max_length"),
    )


def _top_values(
    engine: Engine, item: Input, source: exp.Expr, columns: list[str], scale: float
) -> dict[str, list[tuple[Any, int]]]:
    """The counts of each value of ``columns`` (which have few), in one query."""
    parts = [
        exp.select(
            exp.Literal.string(name).as_("__column", quoted=True),
            exp.cast(exp.column(name, quoted=True), exp.DataType.build("VARCHAR")).as_(
                "__value", quoted=True
            ),
            exp.Count(this=exp.Star()).as_("__n", quoted=True),
        )
        .from_(source.copy())
        .where(exp.column(name, quoted=True).is_(exp.null()).not_())
        .group_by(exp.column(name, quoted=True))
        for name in columns
    ]
    query: exp.Query = parts[0]
    for part in parts[1:]:
        query = exp.union(query, part, distinct=False)
    counted: dict[str, list[tuple[Any, int]]] = {name: [] for name in columns}
    for row in engine.query(query.sql("duckdb"), {item.name: item}).to_pylist():
        counted[row["__column"]].append((row["__value"], round(int(row["__n"]) * scale)))
    return {
        name: sorted(values, key=lambda v: (-v[1], str(v[0])))[:TOP_VALUES]
        for name, values in counted.items()
    }


def _with_top(column: ColumnProfile, top: list[tuple[Any, int]]) -> ColumnProfile:
    from dataclasses import replace

    return replace(column, top=top)


def _empty(field: pa.Field, rows: int) -> ColumnProfile:
    return ColumnProfile(
        field.name, _type(field.type), nulls=rows, null_fraction=1.0 if rows else 0.0
    )


def _alias(index: int, what: str) -> str:
    return f"__p{index}_{what}"


def _nested(kind: pa.DataType) -> bool:
    import pyarrow as pa

    return bool(
        pa.types.is_list(kind)
        or pa.types.is_large_list(kind)
        or pa.types.is_struct(kind)
        or pa.types.is_map(kind)
    )


def _type(kind: pa.DataType) -> str:
    try:
        return duckdb_type(kind).lower()
    except UnknownType:
        return str(kind)


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    return value
