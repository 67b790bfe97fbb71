"""Inputs read by DuckDB's own Parquet reader, from their file list, when that is exact.

A pinned Delta snapshot is exactly the Parquet files its log lists, so when those files are
local and the log asks nothing a file list cannot honour, DuckDB reads them itself with
``read_parquet`` instead of through a pyarrow dataset. Its reader decodes in DuckDB's own
threads and memory (inside ``memory_limit``, where an Arrow scan's buffers are outside it),
prunes row groups from the footers' statistics, and skips the Arrow hand-over altogether.
On TPC-H SF 1 (``benchmarks/transforms.py``) the join step's query took 1.65 s instead of
2.81 s through Arrow datasets, and the step's peak memory fell from 1.8 GB to 0.8 GB.

What keeps the result identical to the Arrow scan:

* the snapshot's schema, not the files', decides the columns: files are read
  ``union_by_name`` (a column added later is NULL in older files) and every column is cast
  to the table's type (a no-op DuckDB removes when the types already agree); a column no
  file has yet is a typed NULL;
* partition columns come from the ``col=value`` folders (``hive_partitioning``, typed as the
  table says), which is how Delta writers lay partitioned files out. A value the folder
  name escapes (``%``) or a NULL partition (``__HIVE_DEFAULT_PARTITION__``) could be read
  differently from the log's value, so such a table is left to the Arrow scan, which
  takes partition values from the log;
* tables using deletion vectors or column mapping, tables on object stores (DuckDB reads
  those only through an extension it may not install offline), snapshots whose files
  DuckDB cannot open and columns of types it has no name for are left to the Arrow scan
  too: :func:`file_scan` returns None.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

import duckdb
import pyarrow as pa
from sqlglot import exp

from sluiceway.engines.duckdb.literals import literal
from sluiceway.engines.inputs import UNSUPPORTED_READER_FEATURES
from sluiceway.sql.types import UnknownType, duckdb_type

if TYPE_CHECKING:
    from sluiceway.engines.base import Input

NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
"""The folder name Delta and Hive writers give a NULL partition value."""


def file_scan(connection: duckdb.DuckDBPyConnection, item: Input) -> exp.Select | None:
    """``SELECT`` the input's rows through ``read_parquet``, or None for the Arrow scan.

    Args:
        connection: where the scan is bound, to learn which columns the files hold.
        item: a pinned snapshot (or a step's staged files, ``plain_files``).
    """
    paths = _local_paths(item)
    if paths is None:
        return None
    if item.plain_files:
        # A staged result: written by this engine, every file in the input's schema.
        select = exp.select(*(exp.column(f.name, quoted=True) for f in item.schema)).from_(
            _read_parquet(paths, item, union_by_name=False)
        )
        return above_watermark(select, item)
    if any(feature in UNSUPPORTED_READER_FEATURES for feature in item.features):
        return None
    if item.partition_by and not _hive_laid_out(item, paths):
        return None
    scan = _read_parquet(paths, item, union_by_name=True)
    try:
        # Binding reads every footer once: the columns the files hold, by name.
        present = set(connection.sql(exp.select("*").from_(scan).sql("duckdb")).columns)
        columns = [_column(field, present) for field in item.schema]
    except (duckdb.Error, UnknownType):
        return None
    return above_watermark(exp.select(*columns).from_(scan), item)


def _local_paths(item: Input) -> list[str] | None:
    """The input's files as local paths; None when it has none or some are not local.

    delta-rs lists a local table's files as plain absolute paths, staged results are
    ``file://`` URIs; anything with another scheme is on an object store.
    """
    paths = [_local_path(f) for f in item.files]
    if not paths or any(p is None for p in paths):
        return None
    return [p for p in paths if p is not None]


def _local_path(location: str) -> str | None:
    if location.startswith("/"):
        return location
    parsed = urlparse(location)
    return unquote(parsed.path) if parsed.scheme == "file" else None


def _hive_laid_out(item: Input, paths: list[str]) -> bool:
    """True when every file sits under ``col=value/`` folders naming each partition column,
    in order, with values a folder name carries unchanged."""
    root = (_local_path(item.uri) or "").rstrip("/") + "/"
    depth = len(item.partition_by)
    for path, uri in zip(paths, item.files, strict=True):
        if not path.startswith(root):
            return False
        folders = path[len(root) :].split("/")[:-1]
        if len(folders) != depth:
            return False
        for folder, column in zip(folders, item.partition_by, strict=True):
            name, sep, value = folder.partition("=")
            if name != column or not sep or value == NULL_PARTITION:
                return False
        if "%" in uri:
            return False
    return True


def _read_parquet(paths: list[str], item: Input, *, union_by_name: bool) -> exp.Expr:
    """``read_parquet([paths], …)``: partition columns typed from the table's schema."""
    options: list[exp.Expr] = []
    if union_by_name:
        options.append(exp.EQ(this=exp.var("union_by_name"), expression=exp.true()))
    if item.partition_by:
        types = exp.Struct(
            expressions=[
                exp.PropertyEQ(
                    this=exp.to_identifier(c, quoted=True),
                    expression=exp.Literal.string(duckdb_type(item.schema.field(c).type)),
                )
                for c in item.partition_by
            ]
        )
        options += [
            exp.EQ(this=exp.var("hive_partitioning"), expression=exp.true()),
            exp.EQ(this=exp.var("hive_types"), expression=types),
        ]
    else:
        # DuckDB guesses hive partitioning from folder names; an unpartitioned table has none.
        options.append(exp.EQ(this=exp.var("hive_partitioning"), expression=exp.false()))
    files = exp.Array(expressions=[exp.Literal.string(p) for p in paths])
    return exp.Anonymous(this="read_parquet", expressions=[files, *options])


def _column(field: pa.Field, present: set[str]) -> exp.Expr:
    """``CAST(col AS type) AS col``, or a typed NULL for a column no file has yet."""
    kind = exp.DataType.build(duckdb_type(field.type), dialect="duckdb")
    value = exp.column(field.name, quoted=True) if field.name in present else exp.null()
    return exp.cast(value, kind).as_(field.name, quoted=True)


def above_watermark(select: exp.Select, item: Input) -> exp.Select:
    """``select`` keeping only rows above an incremental step's watermark, if it has one."""
    if item.newer_than is None:
        return select
    column, value = item.newer_than
    bound = pa.scalar(value, item.schema.field(column).type)
    return select.where(exp.GT(this=exp.column(column, quoted=True), expression=literal(bound)))
