"""Spark as a Sluiceway engine: the project's DuckDB SQL, transpiled, over pinned snapshots.

The SQL is transpiled to Spark's dialect first; a construct that would silently change
meaning (an ordered ``list()``, say) is refused there, before Spark runs anything. Inputs are
read from their snapshot's file list (see :mod:`~sluiceway.engines.spark.reading`) and the
result is either collected as Arrow or written as Parquet for the lake to commit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sluiceway.engines.base import Capabilities, Input, Output, Staged
from sluiceway.engines.errors import NotSupportedError, QueryError
from sluiceway.engines.spark import reading, staging
from sluiceway.engines.spark.session import first_line, is_connect, open_session
from sluiceway.engines.spark.types import conform_result, duckdb_columns
from sluiceway.sql.errors import UntranslatableError
from sluiceway.sql.transpile import to_dialect

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

    from sluiceway.spec.settings import SparkSettings

DIALECT = "spark"
# Spark prints "SQLSTATE: 42703" and query context after the message proper.
_SQLSTATE = re.compile(r"\s*SQLSTATE: \w+;?.*$")


class SparkEngine:
    """The scale-out engine: a local JVM, a cluster master, or a Spark Connect server."""

    name = "spark"
    capabilities = Capabilities(
        dialect=DIALECT,
        stages_files=True,
        stages_to_object_store=False,
        spills=True,
        python_inputs=("arrow",),
        startup_seconds=10.0,
    )

    def __init__(self, settings: SparkSettings | None = None) -> None:
        from sluiceway.spec.settings import SparkSettings

        self.settings = settings or SparkSettings()
        self._session: SparkSession | None = None
        self._s3a = reading.has_s3a(self.settings.conf)

    @property
    def session(self) -> SparkSession:
        """The engine's session, started on first use (a JVM start takes ~10 s)."""
        if self._session is None:
            self._session = open_session(self.settings)
        return self._session

    def query(self, sql: str, inputs: Mapping[str, Input], *, limit: int | None = None) -> pa.Table:
        """Run a SELECT and return its rows as Arrow, typed as DuckDB would type them."""
        with self._frame(sql, inputs) as (frame, views):
            if limit is not None:
                frame = frame.limit(limit)
            with _translated(views):
                return conform_result(frame.toArrow())

    @property
    def staging_root(self) -> str | None:
        """The shared folder results must be staged in (None: the lake's default place)."""
        return self.settings.staging_dir

    def stage(self, sql: str, inputs: Mapping[str, Input], output: Output) -> Staged:
        """Run a SELECT and write its rows as zstd Parquet into ``output.directory``.

        Raises:
            NotSupportedError: the master is a cluster and no shared ``staging_dir`` is
                set: executors would write to their own disks, out of the driver's sight.
        """
        if _cluster(self.settings.master) and self.settings.staging_dir is None:
            raise NotSupportedError(
                f"Spark on {self.settings.master} cannot stage a result: its executors "
                "write to their own disks",
                hint="set engines.spark.staging_dir to a folder the driver and every "
                "executor mount at the same path",
            )
        with self._frame(sql, inputs) as (frame, views), _translated(views):
            return staging.write(staging.layout(frame, output), output)

    def close(self) -> None:
        """End the engine's session; a local JVM stays up for the process's next engine."""
        session, self._session = self._session, None
        if session is not None and is_connect(self.settings.master):
            session.stop()

    def __enter__(self) -> SparkEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _frame(
        self, sql: str, inputs: Mapping[str, Input]
    ) -> Iterator[tuple[DataFrame, Mapping[str, str]]]:
        """The lazy DataFrame of ``sql`` over ``inputs``; their views are dropped after."""
        spark_sql = transpile(sql, inputs)
        spark = self.session
        views: dict[str, str] = {}
        try:
            with _translated(views):
                rewritten = reading.register(spark, spark_sql, inputs, views, s3a=self._s3a)
                frame = spark.sql(rewritten)
            yield frame, views
        finally:
            for view in views.values():
                spark.catalog.dropTempView(view)


def _cluster(master: str) -> bool:
    """Whether executors run on other machines than this process (not local, not Connect)."""
    return master.startswith(("spark://", "k8s://")) or master == "yarn"


def transpile(sql: str, inputs: Mapping[str, Input] | None = None) -> str:
    """``sql`` (DuckDB) in Spark's dialect.

    The inputs' column types let the transpiler translate type-dependent constructs (a
    cast of a DOUBLE to INT rounds in DuckDB and truncates in Spark) instead of refusing them.

    Raises:
        NotSupportedError: the SQL uses a construct Spark would run with another meaning.
    """
    schemas = {name: duckdb_columns(item.schema) for name, item in (inputs or {}).items()}
    try:
        return to_dialect(sql, DIALECT, schemas=schemas)
    except UntranslatableError as exc:
        raise NotSupportedError(exc.message, hint=exc.hint) from exc


@contextmanager
def _translated(views: Mapping[str, str]) -> Iterator[None]:
    """Spark's analysis and runtime errors as :class:`QueryError`, in the user's table names."""
    from pyspark.errors import (
        AnalysisException,
        ArithmeticException,
        ArrayIndexOutOfBoundsException,
        DateTimeException,
        IllegalArgumentException,
        NumberFormatException,
        SparkNoSuchElementException,
        SparkRuntimeException,
        UnsupportedOperationException,
    )

    try:
        yield
    except (
        AnalysisException,
        ArithmeticException,
        ArrayIndexOutOfBoundsException,
        DateTimeException,
        IllegalArgumentException,
        NumberFormatException,
        SparkNoSuchElementException,
        SparkRuntimeException,
        UnsupportedOperationException,
    ) as exc:
        message = _SQLSTATE.sub("", first_line(exc))
        for name, view in views.items():
            message = message.replace(f"`{view}`", name).replace(view, name)
        raise QueryError(f"Spark rejected the query: {message}") from exc
