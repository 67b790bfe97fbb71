"""What a ``python`` step may return, turned into one Arrow stream for the lake.

Arrow tables, batches and readers; pandas and Polars frames (eager or lazy); DuckDB
relations and anything else exporting the Arrow C stream interface; or an iterator
(a generator) of any of these, streamed without collecting it first.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Any

import pyarrow as pa

from sluiceway.errors import UsageError

RETURNS = (
    "a pyarrow Table, RecordBatch or RecordBatchReader, a pandas or Polars DataFrame, "
    "a Polars LazyFrame, a DuckDB relation, or an iterator of these"
)


def to_reader(result: Any, function: str) -> pa.RecordBatchReader:
    """``result`` as a ``RecordBatchReader``.

    Raises:
        UsageError: the function returned something that is not tabular.
    """
    single = _single(result)
    if single is not None:
        return single
    if isinstance(result, Iterable) and not isinstance(result, str | bytes | dict):
        parts = iter(result)
        first = next(parts, None)
        if first is None:
            raise UsageError(
                f"{function} returned an empty iterator: no rows and no columns",
                hint="return an empty pyarrow Table with the columns to write nothing",
            )
        head = _single(first)
        if head is None:
            raise UsageError(f"{function} yielded a {type(first).__name__}; expected {RETURNS}")
        schema = head.schema

        def batches() -> Iterator[pa.RecordBatch]:
            for part in itertools.chain([head], parts):
                reader = part if isinstance(part, pa.RecordBatchReader) else _single(part)
                if reader is None:
                    raise UsageError(f"{function} yielded a {type(part).__name__}")
                for batch in reader:
                    yield batch if batch.schema.equals(schema) else batch.cast(schema)

        return pa.RecordBatchReader.from_batches(schema, batches())
    if result is None:
        raise UsageError(f"{function} returned None", hint=f"return {RETURNS}")
    raise UsageError(f"{function} returned a {type(result).__name__}; expected {RETURNS}")


def _single(value: Any) -> pa.RecordBatchReader | None:
    """One tabular value as a reader, or None when ``value`` is not one."""
    if isinstance(value, pa.RecordBatchReader):
        return value
    if isinstance(value, pa.Table):
        return pa.RecordBatchReader.from_batches(value.schema, value.to_batches())
    if isinstance(value, pa.RecordBatch):
        return pa.RecordBatchReader.from_batches(value.schema, [value])
    module = type(value).__module__.split(".")[0]
    if module == "pandas" and type(value).__name__ == "DataFrame":
        table = pa.Table.from_pandas(value, preserve_index=False)
        return pa.RecordBatchReader.from_batches(table.schema, table.to_batches())
    if module == "polars" and type(value).__name__ == "LazyFrame":
        value = value.collect()
    if hasattr(value, "__arrow_c_stream__"):
        return pa.RecordBatchReader.from_stream(value)
    return None
