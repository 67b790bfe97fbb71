"""The data files a merge may have to read, found from the Delta log's per-file statistics.

A copy-on-write merge reads only the files whose recorded key range can contain a key of
the batch. The batch's keys are sorted once by the first key column, so the keys that fall
in one file's ``[min, max]`` are a contiguous, zero-copy slice of them: each file costs two
binary searches, whatever the number of files or keys.

Bounds are used only where they are trustworthy: integer, date, decimal and string keys as
recorded; timestamps widened by a millisecond on each side, because Delta writers may keep
timestamp statistics to the millisecond. A file without statistics for the key, or a key of
another type, gives no bounds: the file is a candidate for every key.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

if TYPE_CHECKING:
    import pyarrow as pa
    from deltalake import DeltaTable

TIMESTAMP_SLACK = {"s": 1, "ms": 1, "us": 1000, "ns": 1_000_000}
"""How far timestamp bounds are widened, per unit: statistics may be cut to the millisecond."""


@dataclass(frozen=True)
class DataFile:
    """One file of the table as the log lists it (``path`` relative to the table)."""

    path: str
    size: int
    rows: int

    @property
    def location(self) -> str:
        """The path to open on the table's filesystem (the log percent-encodes names)."""
        return unquote(self.path)


@dataclass(frozen=True)
class Candidate:
    """A file whose key range can contain the sorted keys ``[start, stop)``."""

    file: DataFile
    start: int
    stop: int


def data_files(table: DeltaTable) -> pa.Table:
    """The table's add actions with flattened statistics (delta-rs returns arro3 tables)."""
    import pyarrow as pa

    return pa.table(table.get_add_actions(flatten=True))


class KeyIndex:
    """The batch's keys sorted by the first key column, searchable by a range of that key."""

    def __init__(self, keys: pa.Table, key: str) -> None:
        self.table = keys
        self.key = key
        values = comparable(keys.column(key).combine_chunks())
        self._values = None if values is None else _Sorted(values)

    def span(self, low: Any, high: Any, start: int = 0, stop: int | None = None) -> range:
        """The rows within ``start:stop`` whose key is in ``[low, high]`` (None: unbounded)."""
        stop = self.table.num_rows if stop is None else stop
        if self._values is None:
            return range(start, stop)
        first = start if low is None else bisect.bisect_left(self._values, low, start, stop)
        last = stop if high is None else bisect.bisect_right(self._values, high, first, stop)
        return range(first, max(first, last))

    def bounds(self, values: pa.ChunkedArray) -> tuple[Any, Any]:
        """The smallest and largest of some keys, comparable with :meth:`span`'s bounds."""
        import pyarrow.compute as pc

        if self._values is None or len(values) == 0:
            return None, None
        usable = comparable(values.cast(self.table.schema.field(self.key).type).combine_chunks())
        if usable is None:
            return None, None
        found = pc.min_max(usable)
        return found["min"].as_py(), found["max"].as_py()


def candidates(actions: pa.Table, index: KeyIndex) -> list[Candidate]:
    """The files that may hold one of the batch's keys, each with the keys it may hold.

    Args:
        actions: :func:`data_files` of the table.
        index: the batch's keys; the candidates' ``start:stop`` refer to its rows.
    """
    files = [
        DataFile(str(path), int(size or 0), int(rows or 0))
        for path, size, rows in zip(
            actions.column("path").to_pylist(),
            actions.column("size_bytes").to_pylist(),
            _column(actions, "num_records", total_rows=actions.num_rows),
            strict=True,
        )
    ]
    kind = index.table.schema.field(index.key).type
    lows = _bounds(actions, f"min.{index.key}", kind, -1)
    highs = _bounds(actions, f"max.{index.key}", kind, +1)
    found = []
    for file, low, high in zip(files, lows, highs, strict=True):
        span = index.span(low, high)
        if len(span):
            found.append(Candidate(file, span.start, span.stop))
    return found


def comparable(values: pa.Array) -> pa.Array | None:
    """``values`` in a type whose Python values order like the keys (None: no bounds)."""
    import pyarrow as pa

    kind = values.type
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        return values.cast(pa.int64() if pa.types.is_timestamp(kind) else pa.int32())
    if pa.types.is_integer(kind) or pa.types.is_decimal(kind):
        return values
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return values
    return None


class _Sorted(Sequence[Any]):
    """Sorted Arrow values as a sequence for :mod:`bisect`, one Python value at a time.

    A binary search reads a few dozen values; converting a million keys to a list first
    would cost a Python object each.
    """

    def __init__(self, values: pa.Array) -> None:
        self.values = values

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, index: Any) -> Any:
        return self.values[index].as_py()


def _bounds(actions: pa.Table, column: str, kind: pa.DataType, side: int) -> Sequence[Any]:
    """One bound per file, comparable with :func:`comparable` values (None: no bound)."""
    import pyarrow as pa

    if column not in actions.column_names:
        return [None] * actions.num_rows
    try:
        bounds = comparable(actions.column(column).cast(kind).combine_chunks())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        bounds = None
    if bounds is None:
        return [None] * actions.num_rows
    values = bounds.to_pylist()
    if pa.types.is_timestamp(kind):
        slack = TIMESTAMP_SLACK[kind.unit]
        return [None if v is None else v + side * slack for v in values]
    return values


def _column(actions: pa.Table, name: str, *, total_rows: int) -> list[Any]:
    if name not in actions.column_names:
        return [None] * total_rows
    return actions.column(name).to_pylist()
