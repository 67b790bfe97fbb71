"""Spark writing a step's result as zstd Parquet files into the lake's staging folder.

The layout matches DuckDB's so the lake commits either engine's files the same way: the
query's columns, then the constants (lineage columns, replacing same-named query columns),
then the partition columns as ``col=value/`` folders. Spark cannot cut files by size, only by
row count, so ``maxRecordsPerFile`` is estimated from the row width; Parquet compression then
keeps files below the target rather than above it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sluiceway.engines.base import Output, Staged
from sluiceway.engines.errors import QueryError
from sluiceway.engines.spark.types import arrow_type, literal, narrow_schema, quoted
from sluiceway.engines.staging import list_staged

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame
    from pyspark.sql.types import DataType, StructType

# Spark's own row-width estimates (DataType.defaultSize) for the variable-width types.
_VARIABLE_WIDTH = 20
_FIXED_WIDTH = {
    "boolean": 1,
    "byte": 1,
    "short": 2,
    "integer": 4,
    "float": 4,
    "date": 4,
    "long": 8,
    "double": 8,
    "timestamp": 8,
    "timestamp_ntz": 8,
}


def layout(frame: DataFrame, output: Output) -> DataFrame:
    """``frame``'s columns, constants replaced and appended, partition columns last."""
    columns = frame.columns
    missing = [c for c in output.partition_by if c not in columns]
    if missing:
        raise QueryError(
            f"the query has no column {', '.join(missing)} to partition by",
            hint="select the table's partition columns",
        )
    constants = {name for name, _ in output.constants}
    skip = constants | set(output.partition_by)
    select = [quoted(c) for c in columns if c not in skip]
    select += [
        literal(value).as_(name, quoted=True).sql("spark") for name, value in output.constants
    ]
    select += [quoted(c) for c in output.partition_by]
    return frame.selectExpr(*select)


def write(frame: DataFrame, output: Output) -> Staged:
    """Write ``frame`` (already laid out) into ``output.directory`` and list what was written.

    Raises:
        QueryError: Spark reported success but no file is visible here: the executors wrote
            to their own disks (a remote cluster needs a shared staging location).
    """
    if output.partition_by:
        # One task per partition value: otherwise every task writes a small file into every
        # partition folder it meets.
        frame = frame.repartition(*(frame[quoted(c)] for c in output.partition_by))
    writer = (
        frame.write.mode("append")
        .option("compression", output.compression)
        .option("parquet.compression.codec.zstd.level", str(output.compression_level))
        .option("maxRecordsPerFile", str(max_records(frame.schema, output.target_file_size)))
    )
    if output.partition_by:
        writer = writer.partitionBy(*output.partition_by)
    writer.parquet(output.directory)
    _remove_bookkeeping(Path(output.directory))
    staged = list_staged(output, staged_schema(frame.schema, output))
    if not staged.files and not _is_empty(frame):
        raise QueryError(
            f"Spark wrote the result where this process cannot see it ({output.directory})",
            hint="stage on a folder the driver and executors share, or use a local master",
        )
    return staged


def staged_schema(schema: StructType, output: Output) -> pa.Schema:
    """The staged rows' Arrow schema: data and constant columns, then partition columns."""
    import pyarrow as pa

    fields = [pa.field(f.name, arrow_type(f.dataType), f.nullable) for f in schema.fields]
    data = [f for f in fields if f.name not in output.partition_by]
    by_name = {f.name: f for f in fields}
    files = sorted(Path(output.directory).rglob("*.parquet"))
    if files:
        import pyarrow.parquet as pq

        # The files are what the lake commits; their schema wins over Spark's description.
        data = list(narrow_schema(pq.read_schema(files[0])).remove_metadata())
    return pa.schema([*data, *(by_name[c] for c in output.partition_by)])


def max_records(schema: StructType, target_file_size: int) -> int:
    """Rows per file so that a file stays at about ``target_file_size`` bytes or below."""
    return max(1, target_file_size // max(1, row_width(schema)))


def row_width(kind: DataType) -> int:
    """Estimated uncompressed bytes of one value of ``kind`` (a row, for a struct)."""
    from pyspark.sql.types import ArrayType, DecimalType, MapType, StructType

    if isinstance(kind, StructType):
        return sum(row_width(f.dataType) for f in kind.fields) or 1
    if isinstance(kind, ArrayType):
        return row_width(kind.elementType)
    if isinstance(kind, MapType):
        return row_width(kind.keyType) + row_width(kind.valueType)
    if isinstance(kind, DecimalType):
        return 8 if kind.precision <= 18 else 16
    return _FIXED_WIDTH.get(kind.typeName(), _VARIABLE_WIDTH)


def _remove_bookkeeping(root: Path) -> None:
    """Delete Hadoop's ``_SUCCESS`` marker and ``.crc`` checksum files: only data is staged."""
    for path in [*root.rglob("_SUCCESS"), *root.rglob(".*.crc")]:
        path.unlink(missing_ok=True)


def _is_empty(frame: DataFrame) -> bool:
    return frame.limit(1).count() == 0
