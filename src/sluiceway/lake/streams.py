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


def without_views(data: pa.RecordBatchReader) -> pa.RecordBatchReader:
    """``data`` with string and binary *view* columns as plain strings and binaries.

    Polars, DataFusion and some Parquet writers hand over view types; stored as such in a
    table's files, they make every later pyarrow filter on those columns fail (pyarrow has
    no comparison kernels for them), so the lake writes plain types. Other types pass.
    """
    schema = data.schema
    plain = pa.schema([f.with_type(_plain(f.type)) for f in schema], metadata=schema.metadata)
    if plain.equals(schema, check_metadata=False):
        return data
    return pa.RecordBatchReader.from_batches(plain, (b.cast(plain) for b in data))


def _plain(kind: pa.DataType) -> pa.DataType:
    if pa.types.is_string_view(kind):
        return pa.string()
    if pa.types.is_binary_view(kind):
        return pa.binary()
    if pa.types.is_struct(kind):
        return pa.struct([f.with_type(_plain(f.type)) for f in kind])
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        item = kind.value_field.with_type(_plain(kind.value_type))
        return pa.list_(item) if pa.types.is_list(kind) else pa.large_list(item)
    return kind
