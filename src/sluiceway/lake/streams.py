"""Arrow input as one streaming shape: a ``RecordBatchReader``, never a materialized table.

Writers accept what engines and users naturally have — a ``pa.Table``, a reader, any object
exporting the Arrow C stream interface (DuckDB results, arro3, polars), or an iterable of
record batches — and see only a reader, so a large result flows batch by batch.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Any, TypeAlias

import pyarrow as pa

from sluiceway.errors import UsageError

ArrowInput: TypeAlias = pa.Table | pa.RecordBatchReader | pa.RecordBatch | Iterable[pa.RecordBatch]
"""What :func:`as_reader` accepts (plus any object with ``__arrow_c_stream__``)."""


def as_reader(data: ArrowInput | Any, schema: pa.Schema | None = None) -> pa.RecordBatchReader:
    """``data`` as a ``RecordBatchReader``.

    Args:
        data: a table, a batch, a reader, an Arrow C stream, or an iterable of batches.
        schema: the schema of an iterable of batches; needed only when it may be empty.

    Raises:
        UsageError: an empty iterable without ``schema``, or something that is not Arrow.
    """
    if isinstance(data, pa.RecordBatchReader):
        return data
    if isinstance(data, pa.Table):
        return pa.RecordBatchReader.from_batches(data.schema, data.to_batches())
    if isinstance(data, pa.RecordBatch):
        return pa.RecordBatchReader.from_batches(data.schema, [data])
    if hasattr(data, "__arrow_c_stream__"):
        return pa.RecordBatchReader.from_stream(data)
    if isinstance(data, Iterable):
        batches = iter(data)
        first = next(batches, None)
        if first is None:
            if schema is None:
                raise UsageError(
                    "no record batches and no schema: cannot tell which columns to write",
                    hint="pass schema= with an empty iterable, or an empty pa.Table",
                )
            return pa.RecordBatchReader.from_batches(schema, [])
        if not isinstance(first, pa.RecordBatch):
            raise UsageError(f"expected Arrow record batches, got {type(first).__name__}")
        return pa.RecordBatchReader.from_batches(first.schema, itertools.chain([first], batches))
    raise UsageError(f"cannot write a {type(data).__name__}: expected Arrow data")


def conform(data: pa.RecordBatchReader, schema: pa.Schema) -> pa.RecordBatchReader:
    """``data`` with its columns selected, ordered and cast as ``schema`` says, streamed.

    Casts are safe casts: a value that does not fit raises rather than being truncated.
    """
    if data.schema.equals(schema, check_metadata=False):
        return data
    names = schema.names

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in data:
            columns = [
                batch.column(name).cast(field.type)
                for name, field in zip(names, schema, strict=True)
            ]
            yield pa.RecordBatch.from_arrays(columns, schema=schema)

    return pa.RecordBatchReader.from_batches(schema, batches())
