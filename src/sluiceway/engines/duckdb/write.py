"""Writing a result as Parquet with DuckDB's ``COPY … TO``, within the memory limit.

Row groups are cut by bytes relative to the limit (:class:`MemoryBudget`), so the writer's
buffers leave room for the operators that spill. Some plans still need more memory per
thread than the limit leaves: measured here at 2 threads, a hash join whose build side was
about twice the limit, feeding an ``ORDER BY``, failed with "Out of Memory" (with DuckDB's
own Parquet reader as well), yet completed with 1 thread, as did a hash aggregate with an
``ORDER BY`` at a limit 2 threads could not run it under. Every thread holds its own sort
runs, hash partitions and row group, so a ``COPY`` that runs out of memory is run once more
on one thread, slower but within the same limit, before the step fails.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
from sqlglot import exp

from sluiceway.engines.duckdb.memory import MemoryBudget
from sluiceway.engines.errors import QueryError

if TYPE_CHECKING:
    from sluiceway.engines.base import Output

log = logging.getLogger(__name__)


def write_parquet(connection: duckdb.DuckDBPyConnection, select: exp.Select, output: Output) -> int:
    """Run ``COPY (select) TO output.directory``; on "Out of Memory", once more on one thread.

    Returns:
        The number of rows written.

    Raises:
        QueryError: the query failed, or ran out of memory on one thread too (the message
            says which limit and what to change).
    """
    budget = MemoryBudget.of(connection)
    try:
        return _rows(connection.execute(copy_statement(select, output, budget).sql("duckdb")))
    except duckdb.OutOfMemoryException as exc:
        if budget.threads == 1:
            raise _out_of_memory(exc, budget, retried=False) from exc
        log.warning(
            "DuckDB ran out of memory with %d threads under a %d MiB limit; "
            "running the query again on one thread",
            budget.threads,
            budget.memory_limit >> 20,
        )
    except duckdb.Error as exc:
        raise QueryError(f"the query failed in DuckDB: {exc}") from exc
    _empty(output.directory)  # the failed attempt's files
    single = MemoryBudget(memory_limit=budget.memory_limit, threads=1)
    connection.execute("SET threads = 1")
    try:
        return _rows(connection.execute(copy_statement(select, output, single).sql("duckdb")))
    except duckdb.OutOfMemoryException as exc:
        raise _out_of_memory(exc, budget, retried=True) from exc
    except duckdb.Error as exc:
        raise QueryError(f"the query failed in DuckDB: {exc}") from exc
    finally:
        connection.execute(f"SET threads = {budget.threads}")


def _rows(result: duckdb.DuckDBPyConnection) -> int:
    """The row count a ``COPY`` returns, its result drained.

    A result left partly fetched blocks the connection (DuckDB 2: "unfinished result from
    execute()") until it is completed, so the whole result is read, not its first row.
    """
    rows = result.fetchall()
    return int(rows[0][0]) if rows else 0


def copy_statement(select: exp.Select, output: Output, budget: MemoryBudget) -> exp.Copy:
    """``COPY (select) TO dir (FORMAT parquet, …)`` as a sqlglot expression."""

    def param(name: str, value: exp.Expression) -> exp.CopyParameter:
        return exp.CopyParameter(this=exp.var(name), expression=value)

    params: list[Any] = [
        param("FORMAT", exp.var("parquet")),
        param("COMPRESSION", exp.var(output.compression)),
        param("FILE_SIZE_BYTES", exp.Literal.number(output.target_file_size)),
        param("ROW_GROUP_SIZE_BYTES", exp.Literal.number(budget.row_group_bytes)),
        param("FILENAME_PATTERN", exp.Literal.string("part-{uuid}")),
    ]
    if output.compression == "zstd":
        params.append(param("COMPRESSION_LEVEL", exp.Literal.number(output.compression_level)))
    if output.partition_by:
        keys = [exp.column(c, quoted=True) for c in output.partition_by]
        params.append(param("PARTITION_BY", exp.Tuple(expressions=keys)))
    return exp.Copy(
        this=exp.Subquery(this=select),
        kind=False,
        files=[exp.Literal.string(output.directory)],
        params=params,
    )


def _out_of_memory(exc: duckdb.Error, budget: MemoryBudget, *, retried: bool) -> QueryError:
    threads = f"{budget.threads} threads, then 1" if retried else "1 thread"
    first_line = str(exc).splitlines()[0]
    return QueryError(
        f"the query ran out of memory in DuckDB under a {budget.memory_limit >> 20} MiB "
        f"limit ({threads}): {first_line}",
        hint="raise engines.duckdb.memory_limit, or split the step so that a large join "
        "and the sort or window after it run in separate steps",
    )


def _empty(directory: str) -> None:
    """Delete everything inside ``directory``, keeping the folder itself."""
    for child in Path(directory).iterdir():
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()
