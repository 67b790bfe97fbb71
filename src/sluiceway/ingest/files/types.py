"""Arrow types in DuckDB's spelling, so a table's schema can serve as a file contract."""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    import pyarrow as pa


def duckdb_type(kind: pa.DataType) -> str:
    """The type DuckDB reads ``kind`` as (``int64`` → ``BIGINT``), asked of DuckDB itself."""
    import pyarrow as pa

    empty = pa.table({"c": pa.array([], kind)})
    with duckdb.connect(":memory:") as con:
        return str(con.from_arrow(empty).types[0])
