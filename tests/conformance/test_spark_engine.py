"""What the Spark engine refuses, how it reports errors, and how it reaches S3.

Refusals happen before Spark runs anything: a table feature a file list cannot honour, an
s3:// table without the s3a filesystem, or SQL the transpiler will not translate.
"""

from __future__ import annotations

import dataclasses

import pytest

from sluiceway.engines import engine_class
from sluiceway.engines.base import Engine, Input
from sluiceway.engines.errors import NotSupportedError, QueryError
from sluiceway.engines.spark.engine import SparkEngine, transpile
from sluiceway.engines.spark.reading import hadoop_path, has_s3a, s3a_options
from sluiceway.sql.errors import UntranslatableError

ORDERED_LIST = (
    "SELECT customer_id, list(order_id ORDER BY order_id DESC) AS ids FROM raw.orders GROUP BY 1"
)


def test_registered_under_its_name() -> None:
    assert engine_class("spark") is SparkEngine
    assert SparkEngine.capabilities.dialect == "spark"
    assert SparkEngine.capabilities.stages_files
    assert not SparkEngine.capabilities.stages_to_object_store


def test_ordered_list_is_refused_by_the_transpiler() -> None:
    # collect_list has no order: translating would silently return lists in scan order.
    with pytest.raises(NotSupportedError) as caught:
        transpile(ORDERED_LIST)
    assert isinstance(caught.value.__cause__, UntranslatableError)


def test_s3_needs_s3a() -> None:
    assert not has_s3a({"spark.executor.memory": "4g"})
    assert has_s3a({"spark.jars.packages": "org.apache.hadoop:hadoop-aws:3.4.1"})
    assert has_s3a({"spark.hadoop.fs.s3a.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem"})
    assert hadoop_path("s3://bucket/lake/prod/raw/orders") == "s3a://bucket/lake/prod/raw/orders"
    assert hadoop_path("/data/lake/prod/raw/orders") == "/data/lake/prod/raw/orders"


def test_s3a_options_from_storage_options() -> None:
    options = s3a_options(
        {
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9000",
            "AWS_ACCESS_KEY_ID": "key",
            "AWS_SECRET_ACCESS_KEY": "secret",
            "AWS_REGION": "us-east-1",
            "AWS_ALLOW_HTTP": "true",
        }
    )
    assert options == {
        "fs.s3a.endpoint": "http://127.0.0.1:9000",
        "fs.s3a.access.key": "key",
        "fs.s3a.secret.key": "secret",
        "fs.s3a.endpoint.region": "us-east-1",
        "fs.s3a.path.style.access": "true",
        "fs.s3a.connection.ssl.enabled": "false",
    }


@pytest.mark.spark
@pytest.mark.parametrize("feature", ["deletionVectors", "columnMapping"])
def test_refuses_reader_features(
    spark_engine: Engine, conformance_inputs: dict[str, Input], feature: str
) -> None:
    orders = dataclasses.replace(
        conformance_inputs["raw.orders"], features=("timestampNtz", feature)
    )
    with pytest.raises(NotSupportedError, match=f"raw.orders uses the Delta feature {feature}"):
        spark_engine.query("SELECT count(*) AS n FROM raw.orders", {"raw.orders": orders})


@pytest.mark.spark
def test_refuses_s3_without_s3a(spark_engine: Engine, conformance_inputs: dict[str, Input]) -> None:
    local = conformance_inputs["raw.customers"]
    remote = dataclasses.replace(
        local,
        uri="s3://bucket/lake/prod/raw/customers",
        files=tuple(
            f"s3://bucket/lake/prod/raw/customers/{f.rsplit('/', 1)[-1]}" for f in local.files
        ),
    )
    with pytest.raises(NotSupportedError, match="s3a") as caught:
        spark_engine.query("SELECT * FROM raw.customers", {"raw.customers": remote})
    assert "hadoop-aws" in str(caught.value)


@pytest.mark.spark
def test_unused_inputs_are_not_read(
    spark_engine: Engine, conformance_inputs: dict[str, Input]
) -> None:
    broken = dataclasses.replace(conformance_inputs["raw.orders"], features=("deletionVectors",))
    inputs = {**conformance_inputs, "raw.orders": broken}
    assert spark_engine.query("SELECT count(*) AS n FROM raw.customers", inputs).to_pylist() == [
        {"n": 5}
    ]


@pytest.mark.spark
def test_errors_name_the_users_tables(
    spark_engine: Engine, conformance_inputs: dict[str, Input]
) -> None:
    with pytest.raises(QueryError, match="Spark rejected the query") as caught:
        spark_engine.query("SELECT o.nope FROM raw.orders o", conformance_inputs)
    assert "sw_raw_orders" not in str(caught.value)
    with pytest.raises(QueryError, match=r"raw.*missing"):
        spark_engine.query("SELECT * FROM raw.missing", conformance_inputs)


@pytest.mark.spark
@pytest.mark.parametrize(
    "sql",
    [
        "SELECT CAST(status AS INTEGER) AS n FROM raw.orders",
        "SELECT CAST(9223372036854775807 AS BIGINT) + order_id AS n FROM raw.orders",
    ],
)
def test_bad_values_fail_like_duckdb(
    duckdb_engine: Engine, spark_engine: Engine, conformance_inputs: dict[str, Input], sql: str
) -> None:
    # ANSI mode: a failed cast or an overflow raises on both engines, never becomes NULL.
    for engine in (duckdb_engine, spark_engine):
        with pytest.raises(QueryError):
            engine.query(sql, conformance_inputs)


@pytest.mark.spark
def test_limit_and_fully_qualified_columns(
    spark_engine: Engine, conformance_inputs: dict[str, Input]
) -> None:
    rows = spark_engine.query(
        "SELECT raw.orders.order_id, orders.region FROM raw.orders ORDER BY order_id",
        conformance_inputs,
        limit=2,
    ).to_pylist()
    assert rows == [{"order_id": 101, "region": "eu"}, {"order_id": 102, "region": "eu"}]


@pytest.mark.spark
def test_views_are_dropped_after_each_query(
    spark_engine: SparkEngine, conformance_inputs: dict[str, Input]
) -> None:
    spark_engine.query("SELECT count(*) AS n FROM raw.orders", conformance_inputs)
    # A failure after the first view was made (the second input is refused) leaves none either.
    broken = dataclasses.replace(conformance_inputs["raw.orders"], features=("columnMapping",))
    with pytest.raises(NotSupportedError):
        spark_engine.query(
            "SELECT count(*) AS n FROM raw.customers, raw.orders",
            {**conformance_inputs, "raw.orders": broken},
        )
    with pytest.raises(QueryError):
        spark_engine.query("SELECT CAST(status AS INT) AS n FROM raw.orders", conformance_inputs)
    tables = spark_engine.session.catalog.listTables()
    assert not [t.name for t in tables if t.name.startswith("sw_")]
