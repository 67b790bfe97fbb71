"""DuckDB as a Sluiceway engine: Delta snapshots in, Parquet files out.

Inputs are exposed under their ``layer.name``, so the user's SQL runs unchanged: local
snapshots are read by DuckDB's own Parquet reader from the file list the log pins
(:mod:`.files`), others as pyarrow datasets of the snapshot. Either way DuckDB pushes
projections and filters into the scan: no table is ever loaded into Python memory.
Results are written by DuckDB's own Parquet writer (``COPY … TO``), which is faster and
leaner than handing Arrow batches to another writer; the lake then commits those files to
the Delta log without rewriting them. Both ends are sized to ``memory_limit``: Arrow scans
hold a few row groups (``scan``), the writer cuts row groups by bytes and retries on one
thread when memory runs out (``write``).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
from sqlglot import exp

from sluiceway.engines.base import Capabilities, Input, Output, Staged
from sluiceway.engines.duckdb.connection import connect, cursor
from sluiceway.engines.duckdb.files import above_watermark, file_scan
from sluiceway.engines.duckdb.literals import literal
from sluiceway.engines.duckdb.memory import MemoryBudget
from sluiceway.engines.duckdb.scan import bounded, fits_in_memory
from sluiceway.engines.duckdb.views import split_views
from sluiceway.engines.duckdb.write import write_parquet
from sluiceway.engines.errors import QueryError
from sluiceway.engines.staging import list_staged

if TYPE_CHECKING:
    from sluiceway.spec.settings import DuckDBSettings

RESULT_VIEW = "__sw_result"
ROWS_VIEW = "__sw_rows"


class DuckDBEngine:
    """The default engine: one in-memory DuckDB connection per engine instance."""

    name = "duckdb"
    capabilities = Capabilities(
        dialect="duckdb",
        stages_files=True,
        stages_to_object_store=False,
        spills=True,
        python_inputs=("relation", "arrow"),
        startup_seconds=0.0,
    )

    def __init__(self, settings: DuckDBSettings | None = None) -> None:
        from sluiceway.spec.settings import DuckDBSettings

        self.settings = settings or DuckDBSettings()
        self._connection, self._spill = connect(self.settings)
        self._owns_spill = self.settings.spill_directory is None
        self._registered: dict[str, tuple[Any, ...]] = {}

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The underlying connection (python steps receive relations on it)."""
        return self._connection

    def register(self, inputs: Mapping[str, Input]) -> None:
        """Expose each input under its ``layer.name``, re-registering what reads differently.

        Steps of one run share the connection, so a registration is reused only when the
        input would read exactly the same rows: same table, version and file list (an
        incremental step by version reads only the added files), same watermark filter.
        """
        con = self._connection
        fast = fits_in_memory(list(inputs.values()), MemoryBudget.of(con).memory_limit)
        for name, item in inputs.items():
            identity = (item.uri, item.version, item.files, item.newer_than, fast)
            if self._registered.get(name) == identity:
                continue
            layer, _, table = name.partition(".")
            scan = f"__sw_scan_{len(self._registered)}_{layer}_{table}"
            view = exp.Create(
                this=exp.Table(this=exp.to_identifier(table), db=exp.to_identifier(layer)),
                kind="VIEW",
                replace=True,
                expression=self._scan(item, scan, fast=fast),
            )
            con.execute(
                exp.Create(this=exp.to_identifier(layer), kind="SCHEMA", exists=True).sql("duckdb")
            )
            con.execute(view.sql("duckdb"))
            self._registered[name] = identity

    def _scan(self, item: Input, name: str, *, fast: bool) -> exp.Query:
        """The SELECT reading ``item``: DuckDB's own reader over its file list where that
        is exact (:mod:`.files`), else one or two registered Arrow scans.

        Files storing string view types are scanned apart (:mod:`.views`): DuckDB filters
        them itself instead of pushing filters pyarrow cannot evaluate. The watermark of an
        incremental input is then a WHERE clause, which DuckDB pushes wherever it can.
        """
        if item.open_dataset is None:
            self._connection.register(name, item.dataset())
            return exp.select("*").from_(exp.to_identifier(name))
        if self.settings.reader == "auto":
            direct = file_scan(self._connection, item)
            if direct is not None:
                return direct
        split = split_views(item.open_dataset(), item.uri)
        parts = [split.plain] if split.viewed is None else [split.plain, split.viewed]
        selects: list[exp.Select] = []
        for index, part in enumerate(parts):
            scan = name if index == 0 else f"{name}_views"
            self._connection.register(scan, part if fast else bounded(part))
            selects.append(above_watermark(exp.select("*").from_(exp.to_identifier(scan)), item))
        query: exp.Query = selects[0]
        for other in selects[1:]:
            query = exp.union(query, other, distinct=False)
        return query

    def relation(self, sql: str, inputs: Mapping[str, Input]) -> duckdb.DuckDBPyRelation:
        """The lazy relation of ``sql`` over ``inputs`` (nothing runs until it is consumed)."""
        self.register(inputs)
        try:
            return self._connection.sql(sql)
        except duckdb.Error as exc:
            raise QueryError(f"DuckDB rejected the query: {exc}") from exc

    def python_input(self, item: Input, form: str) -> duckdb.DuckDBPyRelation:
        """``item`` as a lazy DuckDB relation, for python steps (``form`` = ``relation``)."""
        layer, _, table = item.name.partition(".")
        self.register({item.name: item})
        select = exp.select("*").from_(exp.table_(table, db=layer, quoted=True))
        return self._connection.sql(select.sql("duckdb"))

    def query(self, sql: str, inputs: Mapping[str, Input], *, limit: int | None = None) -> pa.Table:
        """Run a SELECT and return its rows as Arrow."""
        relation = self.relation(sql, inputs)
        if limit is not None:
            relation = relation.limit(limit)
        try:
            return relation.to_arrow_table()
        except duckdb.Error as exc:
            raise QueryError(f"the query failed in DuckDB: {exc}") from exc

    def stage(self, sql: str, inputs: Mapping[str, Input], output: Output) -> Staged:
        """Run a SELECT and let DuckDB write its rows as zstd Parquet into ``output``."""
        return _write(self._connection, self.relation(sql, inputs), output)

    def stage_arrow(self, rows: pa.RecordBatchReader, output: Output) -> Staged:
        """Write an Arrow stream as zstd Parquet into ``output`` (a python step's result).

        The stream may be a relation on this engine's connection that is still being read
        (a python step returning a DuckDB relation), and the connection may hold another
        result not yet drained; either would refuse new work on it. So the stream is
        registered and copied on a cursor of its own, closed afterwards, which also drops
        the registration.
        """
        second = cursor(self._connection)
        try:
            second.register(ROWS_VIEW, rows)
            select = exp.select("*").from_(exp.to_identifier(ROWS_VIEW)).sql("duckdb")
            try:
                relation = second.sql(select)
            except duckdb.Error as exc:
                raise QueryError(f"DuckDB rejected the rows: {exc}") from exc
            return _write(second, relation, output)
        finally:
            second.close()

    def close(self) -> None:
        """Close the connection and delete the spill folder if the engine created it."""
        self._connection.close()
        if self._owns_spill:
            shutil.rmtree(self._spill, ignore_errors=True)

    def __enter__(self) -> DuckDBEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _write(
    connection: duckdb.DuckDBPyConnection, relation: duckdb.DuckDBPyRelation, output: Output
) -> Staged:
    """``COPY`` ``relation`` (a relation on ``connection``) into ``output``; what was staged."""
    relation.create_view(RESULT_VIEW, replace=True)
    select = _projection(list(relation.columns), output)
    write_parquet(connection, select, output)
    try:
        schema = connection.sql(select.limit(0).sql("duckdb")).to_arrow_table().schema
    except duckdb.Error as exc:
        raise QueryError(f"the query failed in DuckDB: {exc}") from exc
    for name, value in output.constants:  # a one-value ENUM is written as a plain string
        index = schema.get_field_index(name)
        schema = schema.set(index, pa.field(name, value.type, schema.field(index).nullable))
    return list_staged(output, schema)


def _constant(value: pa.Scalar) -> exp.Expr:
    """A lineage constant as DuckDB should write it on every row.

    A string is cast to a one-value ``ENUM``: DuckDB writes an ENUM column as the same
    dictionary-encoded Parquet string, but from the enum's index instead of hashing and
    comparing the string on every row, which cost 0.3 s of a 5 s ``COPY`` of 6M rows with
    two such columns (``benchmarks/transforms.py``); as ENUMs, about half that.
    """
    if not pa.types.is_string(value.type) or not value.is_valid:
        return literal(value)
    text = exp.Literal.string(str(value.as_py()))
    return exp.cast(text, exp.DataType(this=exp.DataType.Type.ENUM, expressions=[text.copy()]))


def _projection(columns: list[str], output: Output) -> exp.Select:
    """``SELECT`` the query's columns (constants replaced), then the constants."""
    constants = dict(output.constants)
    partition = set(output.partition_by)
    data = [c for c in columns if c not in constants and c not in partition]
    select: list[exp.Expr] = [exp.column(c, quoted=True) for c in data]
    select += [_constant(v).as_(name, quoted=True) for name, v in output.constants]
    # Partition columns go last: Delta keeps them out of the files, in the log.
    select += [exp.column(c, quoted=True) for c in output.partition_by]
    missing = [c for c in output.partition_by if c not in columns]
    if missing:
        raise QueryError(
            f"the query has no column {', '.join(missing)} to partition by",
            hint="select the table's partition columns",
        )
    return exp.select(*select).from_(exp.to_identifier(RESULT_VIEW))
