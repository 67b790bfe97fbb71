"""Writing a file's good rows to staging Parquet, the same way for every format.

Every reader projects the contract's columns, appends the lineage constants (with the file's
own ``_sw_source``) and moves the table's partition columns last, then lets DuckDB's
``COPY … TO`` write the Parquet the lake commits as it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import duckdb
from sqlglot import exp

from sluiceway.ingest.files.result import (
    FileUnreadable,
)

if TYPE_CHECKING:
    from sluiceway.ingest.files.formats import Field
    from sluiceway.lake.staged import Output


def constants(output: Output, source: str) -> list[exp.Expr]:
    from sluiceway.engines.duckdb.literals import literal

    values = [(n, v) for n, v in output.constants if n != "_sw_source"]
    found = [literal(v).as_(n, quoted=True) for n, v in values]
    return [*found, exp.Literal.string(source).as_("_sw_source", quoted=True)]


def copy_rows(con: duckdb.DuckDBPyConnection, select: exp.Select, output: Output) -> int:
    from sluiceway.engines.duckdb.write import write_parquet

    return write_parquet(con, partition_last(select, output.partition_by), output)


def partition_last(select: exp.Select, partition_by: tuple[str, ...]) -> exp.Select:
    """``select`` with the table's partition columns moved last, as staged files need."""
    if not partition_by:
        return select
    names = [e.alias_or_name for e in select.expressions]
    missing = [c for c in partition_by if c not in names]
    if missing:
        raise FileUnreadable(f"the file has no column {', '.join(missing)} to partition by")
    keep = [e for e in select.expressions if e.alias_or_name not in partition_by]
    last = [next(e for e in select.expressions if e.alias_or_name == c) for c in partition_by]
    return select.select(*keep, *last, append=False)


def stage_judged(
    con: Any, judged: exp.Select, fields: list[Field], output: Output, source: str
) -> int:
    """Stage the rows a typed reader judged good (``__sw_ok``); returns how many.

    JSON and Parquet readers cast each field into ``__sw_c<i>`` beside an ``__sw_ok`` flag;
    the staged file takes the fields under their table names (a field the file lacks as a
    typed NULL), then the lineage constants.
    """
    projection = []
    for i, field in enumerate(fields):
        kind = exp.DataType.build(field.type, dialect="duckdb")
        value = exp.column(f"__sw_c{i}") if field.source is not None else exp.cast(exp.null(), kind)
        projection.append(exp.alias_(value, field.name, quoted=True))
    select = exp.select(*projection, *constants(output, source))
    select = select.from_(judged.subquery("judged")).where(exp.column("__sw_ok"))
    return copy_rows(con, select, output)
