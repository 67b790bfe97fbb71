"""Profiles: the shape of each commit's new data, column by column, kept as history.

A profile is read from the Parquet files a step staged (or a table version's files), in two
parts, so that its cost does not grow with the data:

* **exact, from the footers** (no row is read): the row count, each column's null count,
  minimum and maximum. DuckDB, Spark and delta-rs all write these statistics per row group;
  a column whose footers lack them gets them from the sample instead;
* **from a sample of whole row groups** (at most :data:`SAMPLE_ROWS` rows, taken evenly
  across the files): mean and standard deviation of numbers, the range of string lengths,
  the number of distinct values, and the most frequent values of columns with few.

On a batch up to :data:`SAMPLE_ROWS` rows the sample is the whole batch and every figure is
exact (``sampled`` is False). On a larger one, ``distinct`` counts the sample's distinct
values — a lower bound, recorded as such — and top-value counts are scaled to the batch.
A profile is history for :mod:`sluiceway.quality.suggest` and the anomaly detectors, never
a gate: nothing is published or held back because of it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sluiceway.sql.types import UnknownType, duckdb_type, narrow_type

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.fs as pafs
    import pyarrow.parquet as pq

SAMPLE_ROWS = 100_000
"""Rows read for the statistics the footers do not hold."""
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
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**{**fields, "top": None if top is None else [(v, int(n)) for v, n in top]})


@dataclass(frozen=True)
class Profile:
    """The profile of the rows one commit added to ``table``."""

    table: str
    rows: int
    sampled_rows: int
    columns: tuple[ColumnProfile, ...] = field(default_factory=tuple)

    @property
    def sampled(self) -> bool:
        """True when the scan-based figures come from part of the rows."""
        return self.sampled_rows < self.rows

    def column(self, name: str) -> ColumnProfile | None:
        """The profile of column ``name`` (None if the batch had no such column)."""
        return next((c for c in self.columns if c.name == name), None)


@dataclass(frozen=True)
class ParquetPart:
    """One Parquet file of a batch, with the partition values its folder gives it."""

    path: str
    partition_values: Mapping[str, str | None] = field(default_factory=dict)


def profile_files(
    parts: Sequence[ParquetPart],
    schema: pa.Schema,
    *,
    table: str,
    filesystem: pafs.FileSystem | None = None,
    skip: Sequence[str] = (),
) -> Profile:
    """Profile the rows of ``parts`` (whose columns and types ``schema`` gives).

    Args:
        parts: the batch's files (partition columns are not stored in them).
        schema: the batch's schema, partition columns included.
        table: the table the profile is for, ``layer.name``.
        filesystem: where the paths are (default: the local disk).
        skip: columns not to profile (the lineage columns).
    """
    import pyarrow.parquet as pq

    files = [pq.ParquetFile(_open(p.path, filesystem)) for p in parts]
    rows = sum(f.metadata.num_rows for f in files)
    wanted = [f for f in schema if f.name not in set(skip)]
    stored = [f for f in wanted if all(f.name not in p.partition_values for p in parts)]
    sample = _sample(files, parts, [f.name for f in stored], schema, rows)
    columns = []
    for column in wanted:
        exact = _footer_stats(files, column.name) if column in stored else None
        if exact is None:
            exact = _partition_stats(files, parts, column)
        columns.append(_column(column, sample, rows, exact))
    return Profile(table, rows, sample.num_rows, tuple(columns))


@dataclass(frozen=True)
class _Exact:
    nulls: int | None
    min: Any
    max: Any


def _open(path: str, filesystem: pafs.FileSystem | None) -> Any:
    return path if filesystem is None else filesystem.open_input_file(path)


def _sample(
    files: list[pq.ParquetFile],
    parts: Sequence[ParquetPart],
    columns: list[str],
    schema: pa.Schema,
    rows: int,
) -> pa.Table:
    """Whole row groups, evenly spread over the files, up to about :data:`SAMPLE_ROWS` rows
    (evenly spaced rows of them when the groups are much larger)."""
    import pyarrow as pa

    groups = [(i, g) for i, f in enumerate(files) for g in range(f.metadata.num_row_groups)]
    if rows > SAMPLE_ROWS and groups:
        per_group = rows / len(groups)
        keep = max(1, min(len(groups), math.ceil(SAMPLE_ROWS / per_group)))
        step = len(groups) / keep
        groups = [groups[int(k * step)] for k in range(keep)]
    tables = []
    for index in sorted({i for i, _ in groups}):
        chosen = [g for i, g in groups if i == index]
        present = [c for c in columns if c in files[index].schema_arrow.names]
        part = files[index].read_row_groups(chosen, columns=present)
        for name, value in parts[index].partition_values.items():
            if name in schema.names:
                kind = schema.field(name).type
                scalar = pa.scalar(None if value is None else value).cast(kind)
                part = part.append_column(name, pa.repeat(scalar, part.num_rows))
        tables.append(part)
    if not tables:
        return schema.empty_table()
    sample = pa.concat_tables(tables, promote_options="permissive")
    if sample.num_rows > 2 * SAMPLE_ROWS:
        # Row groups can hold a million rows (delta-rs writes them so): reading one is
        # cheap next to computing the figures on it, so keep evenly spaced rows of it.
        stride = sample.num_rows // SAMPLE_ROWS
        sample = sample.take(pa.array(range(0, sample.num_rows, stride), pa.int64()))
    return sample


def _footer_stats(files: list[pq.ParquetFile], name: str) -> _Exact | None:
    """Null count, min and max of a stored column from the row groups' statistics."""
    nulls, low, high = 0, None, None
    for f in files:
        meta = f.metadata
        try:
            index = f.schema_arrow.get_field_index(name)
        except KeyError:
            index = -1
        if index < 0:  # a column the file lacks: all its rows are null
            nulls += meta.num_rows
            continue
        for g in range(meta.num_row_groups):
            stats = meta.row_group(g).column(index).statistics
            if stats is None or stats.null_count is None:
                return None
            nulls += stats.null_count
            if stats.has_min_max:
                low = stats.min if low is None else min(low, stats.min)
                high = stats.max if high is None else max(high, stats.max)
            elif stats.num_values > stats.null_count:
                return None  # values without bounds: the footers cannot say
    return _Exact(nulls, low, high)


def _partition_stats(
    files: list[pq.ParquetFile], parts: Sequence[ParquetPart], field: pa.Field
) -> _Exact | None:
    """Null count, min and max of a partition column, from the files' folder values."""
    import pyarrow as pa

    values = []
    nulls = 0
    for f, p in zip(files, parts, strict=True):
        if field.name not in p.partition_values:
            return None
        value = p.partition_values[field.name]
        if value is None:
            nulls += f.metadata.num_rows
        else:
            values.append(pa.scalar(value).cast(field.type).as_py())
    return _Exact(nulls, min(values, default=None), max(values, default=None))


def _column(field: pa.Field, sample: pa.Table, rows: int, exact: _Exact | None) -> ColumnProfile:
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = narrow_type(field.type)
    values = sample.column(field.name) if field.name in sample.column_names else None
    if values is not None and values.type != kind:  # view types, as some writers store them
        values = values.cast(kind)
    sampled = sample.num_rows
    scale = rows / sampled if sampled else 0.0
    if exact is not None and exact.nulls is not None:
        nulls = exact.nulls
    else:
        nulls = round((values.null_count if values is not None else sampled) * scale)
    found = ColumnProfile(
        name=field.name,
        type=_type(kind),
        nulls=nulls,
        null_fraction=nulls / rows if rows else 0.0,
    )
    if values is None or _nested(kind):
        return found
    low, high = (exact.min, exact.max) if exact is not None else (None, None)
    if exact is None and _orderable(kind) and values.null_count < len(values):
        bounds = pc.min_max(values)
        low, high = bounds["min"].as_py(), bounds["max"].as_py()
    # ``unique`` hashes the same values as ``count_distinct`` in half the time (measured on
    # 124k-row TPC-H columns: 6 ms against 13 ms for int64); nulls are not a value here.
    distinct = len(pc.unique(values.drop_null()))
    found = replace(found, distinct=distinct, min=low, max=high)
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        numbers = values.cast(pa.float64())
        found = replace(
            found,
            mean=_finite(pc.mean(numbers).as_py()),
            stddev=_finite(pc.stddev(numbers, ddof=1).as_py()),
        )
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        lengths = pc.min_max(pc.utf8_length(values))
        found = replace(found, min_length=lengths["min"].as_py(), max_length=lengths["max"].as_py())
    if 0 < distinct <= TOP_DISTINCT:
        counted = pc.value_counts(values.drop_null()).to_pylist()
        top = sorted(
            ((c["values"], round(int(c["counts"]) * scale)) for c in counted),
            key=lambda v: (-v[1], str(v[0])),
        )
        found = replace(found, top=top[:TOP_VALUES])
    return found


def _orderable(kind: pa.DataType) -> bool:
    import pyarrow as pa

    return not (pa.types.is_boolean(kind) or pa.types.is_binary(kind) or _nested(kind))


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
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value.hex()
    return value
