"""Delta per-file statistics read from a Parquet footer, for files the lake did not write.

A file committed without ``stats`` is never skipped by a reader's filter, so files staged by
an engine get the same statistics delta-rs would have written: ``numRecords`` and, for each
top-level primitive column, ``minValues``, ``maxValues`` and ``nullCount``. Bounds must stay
bounds: timestamps are kept to the millisecond as Delta readers expect, with the minimum
rounded down and the maximum rounded up; a decimal whose float is not exact is nudged
outward; an over-long string is left out rather than truncated (a cut maximum would be
smaller than the real one and make readers skip a file that matches).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.parquet as pq

MAX_STRING_STAT = 256
"""Longest string kept as a min/max bound."""


def stats_json(metadata: pq.FileMetaData, schema: pa.Schema) -> str:
    """The ``stats`` JSON of an ``add`` action for a file with this footer.

    ``schema`` is the table's Arrow schema; columns of the file not in it are ignored.
    """
    import pyarrow as pa

    top_level = {f.name: f.type for f in schema if not pa.types.is_nested(f.type)}
    lows: dict[str, Any] = {}
    highs: dict[str, Any] = {}
    nulls: dict[str, int] = {}
    complete: dict[str, bool] = {}
    for index in range(metadata.num_row_groups):
        group = metadata.row_group(index)
        for position in range(group.num_columns):
            column = group.column(position)
            name = column.path_in_schema
            if name not in top_level:
                continue
            statistics = column.statistics
            if statistics is None or not statistics.has_null_count:
                complete[name] = False
                continue
            nulls[name] = nulls.get(name, 0) + int(statistics.null_count)
            complete.setdefault(name, True)
            if statistics.has_min_max:
                low, high = statistics.min, statistics.max
                lows[name] = low if name not in lows else min(lows[name], low)
                highs[name] = high if name not in highs else max(highs[name], high)
            elif statistics.null_count < column.num_values:
                complete[name] = False  # values without bounds: no safe min/max
    minimum: dict[str, Any] = {}
    maximum: dict[str, Any] = {}
    for name in lows:
        if not complete.get(name):
            continue
        low, high = _bound(lows[name], down=True), _bound(highs[name], down=False)
        if low is not None and high is not None:
            minimum[name], maximum[name] = low, high
    stats = {
        "numRecords": metadata.num_rows,
        "minValues": minimum,
        "maxValues": maximum,
        "nullCount": {n: c for n, c in nulls.items() if complete.get(n)},
    }
    return json.dumps(stats, separators=(",", ":"))


def _bound(value: Any, *, down: bool) -> Any:
    """``value`` as a JSON bound, widened outward when it cannot be represented exactly."""
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, Decimal):
        approx = float(value)
        if Decimal(approx) > value and down:
            approx = math.nextafter(approx, -math.inf)
        elif Decimal(approx) < value and not down:
            approx = math.nextafter(approx, math.inf)
        return approx
    if isinstance(value, datetime):
        return _timestamp(value, down=down)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return value if len(value) <= MAX_STRING_STAT else None
    return None  # binary and anything else: no bound, readers just do not skip


def _timestamp(value: datetime, *, down: bool) -> str:
    """Millisecond precision: minimum rounded down, maximum rounded up."""
    millis = value.replace(microsecond=value.microsecond // 1000 * 1000)
    if not down and millis != value:
        millis += timedelta(milliseconds=1)
    if value.tzinfo is None:
        return millis.strftime("%Y-%m-%d %H:%M:%S.") + f"{millis.microsecond // 1000:03d}"
    utc = millis.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
