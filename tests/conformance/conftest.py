"""Fixtures of the conformance suite: the input lake, the engines, DuckDB's reference answers.

Engines are session-scoped: one local Spark (a JVM start costs ~10 s) and at most one Spark
Connect server per test session, started only when a test asks for them. Without Java or
pyspark the Spark tests skip with the reason, and fail under ``CI=true``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from conformance.data import build_lake
from sluiceway.engines.base import Input
from sluiceway.engines.duckdb.engine import DuckDBEngine
from sluiceway.engines.spark.engine import SparkEngine
from sluiceway.spec.settings import SparkSettings
from support.services import require_service
from support.spark import TEST_CONF, ConnectServer, probe_spark, start_connect_server

SPARK_HINT = "install the spark extra (pyspark) and a Java 17 or 21 runtime"


@pytest.fixture(scope="session")
def conformance_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Input]:
    """The suite's tables in a file:// lake, each pinned to its latest version."""
    return build_lake(tmp_path_factory.mktemp("conformance") / "lake")


@pytest.fixture(scope="session")
def duckdb_engine() -> Iterator[DuckDBEngine]:
    """The reference engine."""
    engine = DuckDBEngine()
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def reference(
    duckdb_engine: DuckDBEngine, conformance_inputs: dict[str, Input]
) -> Callable[[str], pa.Table]:
    """DuckDB's answer to a query over the suite's tables (computed once per query)."""
    answers: dict[str, pa.Table] = {}

    def answer(sql: str) -> pa.Table:
        if sql not in answers:
            answers[sql] = duckdb_engine.query(sql, conformance_inputs)
        return answers[sql]

    return answer


@pytest.fixture(scope="session")
def spark_engine() -> Iterator[SparkEngine]:
    """A local Spark engine, its JVM started once for the whole test session."""
    require_service("Spark (pyspark and Java)", probe_spark, hint=SPARK_HINT)
    engine = SparkEngine(SparkSettings(master="local[2]", conf=TEST_CONF))
    require_service("a local Spark session", lambda: engine.session, hint=SPARK_HINT)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def connect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConnectServer]:
    """A Spark Connect server on a free loopback port; stopped, JVM and all, afterwards."""
    require_service("Spark (pyspark and Java)", probe_spark, hint=SPARK_HINT)
    work: Path = tmp_path_factory.mktemp("spark-connect")
    server = require_service(
        "a Spark Connect server", lambda: start_connect_server(work), hint=SPARK_HINT
    )
    yield server
    server.stop()


@pytest.fixture(scope="session")
def connect_engine(
    connect_server: ConnectServer, spark_engine: SparkEngine
) -> Iterator[SparkEngine]:
    """A Spark engine talking to :func:`connect_server` over Spark Connect.

    The local session is started first, whatever order tests run in: pyspark puts the whole
    process in Connect mode once a Connect session exists, and a JVM session cannot start
    after that (one already running keeps working).
    """
    engine = SparkEngine(SparkSettings(master=connect_server.url))
    require_service("a Spark Connect session", lambda: engine.session, hint=SPARK_HINT)
    yield engine
    engine.close()
