"""Pinned Delta snapshots as Spark DataFrames, without the delta-spark jars.

A snapshot is exactly the Parquet files its log lists, so Spark reads that file list with
``basePath`` at the table root: partition columns come back from the ``col=value`` folders.
The Input's schema is given to the reader, which saves a footer scan of every file and reads
columns added later as NULL in older files (``mergeSchema`` is the fallback when a type has
no Spark equivalent). Reading the folder instead would also return files the log removed.

Spark temporary views cannot be called ``raw.orders``, so each input is registered under a
unique view name and the query's table references are rewritten to it with sqlglot.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import sqlglot
from sqlglot import exp

from sluiceway.engines.base import Input
from sluiceway.engines.errors import NotSupportedError
from sluiceway.engines.inputs import UNSUPPORTED_READER_FEATURES
from sluiceway.engines.spark.types import UnknownType, quoted, spark_ddl, sql_type

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

S3A_HINT = (
    "put hadoop-aws on the cluster (e.g. spark.jars.packages: "
    "org.apache.hadoop:hadoop-aws:<its Hadoop version>) and set engines.spark.conf "
    "spark.hadoop.fs.s3a.impl: org.apache.hadoop.fs.s3a.S3AFileSystem"
)

# delta-rs storage options → Hadoop s3a settings, passed as reader options (Spark copies a
# file source's options into the Hadoop configuration of that scan only).
_S3A_OPTIONS = {
    "AWS_ENDPOINT_URL": "fs.s3a.endpoint",
    "AWS_REGION": "fs.s3a.endpoint.region",
    "AWS_ACCESS_KEY_ID": "fs.s3a.access.key",
    "AWS_SECRET_ACCESS_KEY": "fs.s3a.secret.key",
    "AWS_SESSION_TOKEN": "fs.s3a.session.token",
}


def check_input(item: Input, *, s3a: bool) -> None:
    """Refuse an input Spark would read wrongly or not at all.

    Raises:
        NotSupportedError: the snapshot uses deletion vectors or column mapping (a file
            list cannot honour them), or it is on s3:// and Spark has no s3a filesystem.
    """
    for feature in item.features:
        if feature in UNSUPPORTED_READER_FEATURES:
            raise NotSupportedError(
                f"table {item.name} uses the Delta feature {feature}, which Spark cannot read "
                "from a file list without the delta-spark jars",
                hint="run this step on DuckDB (engine: duckdb), or rewrite the table without "
                f"{feature}",
            )
    if is_s3(item.uri) and not s3a:
        raise NotSupportedError(
            f"table {item.name} is on {item.uri}: Spark reads S3 through the s3a filesystem, "
            "which this Spark is not configured for",
            hint=S3A_HINT,
        )


def is_s3(uri: str) -> bool:
    """True for ``s3://``/``s3a://`` locations."""
    return urlparse(uri).scheme in ("s3", "s3a")


def has_s3a(conf: Mapping[str, str]) -> bool:
    """True when the project configured Spark's s3a filesystem (it cannot be probed remotely)."""
    jars = conf.get("spark.jars.packages", "") + conf.get("spark.jars", "")
    return "hadoop-aws" in jars or any(k.startswith("spark.hadoop.fs.s3a.") for k in conf)


def hadoop_path(uri: str) -> str:
    """The path Spark opens: ``s3://`` becomes ``s3a://``; local paths stay as they are."""
    if uri.startswith("s3://"):
        return "s3a://" + uri.removeprefix("s3://")
    return uri


def s3a_options(storage_options: Mapping[str, str]) -> dict[str, str]:
    """Hadoop s3a reader options equivalent to a table's delta-rs storage options."""
    options = {
        _S3A_OPTIONS[key]: value for key, value in storage_options.items() if key in _S3A_OPTIONS
    }
    if "fs.s3a.endpoint" in options:
        # S3-compatible stores rarely have virtual-host bucket names.
        options["fs.s3a.path.style.access"] = "true"
    if storage_options.get("AWS_ALLOW_HTTP", "").lower() == "true":
        options["fs.s3a.connection.ssl.enabled"] = "false"
    return options


def read_input(spark: SparkSession, item: Input) -> DataFrame:
    """The pinned snapshot of ``item`` as a DataFrame, columns in the table's order."""
    names = [quoted(name) for name in item.schema.names]
    if not item.files:
        # Typed NULLs over zero rows, built in the JVM: createDataFrame([]) would start a
        # Python worker (seconds) to parallelize nothing.
        try:
            columns = [
                exp.cast(exp.null(), sql_type(f.type)).as_(f.name, quoted=True).sql("spark")
                for f in item.schema
            ]
        except UnknownType as exc:
            raise NotSupportedError(f"table {item.name}: {exc}") from exc
        return spark.range(0).selectExpr(*columns)
    reader = spark.read.option("basePath", hadoop_path(item.uri)).option("mergeSchema", "true")
    if is_s3(item.uri):
        reader = reader.options(**s3a_options(item.storage_options))
    ddl = spark_ddl(item.schema)
    if ddl is not None:
        reader = reader.schema(ddl)
    frame = reader.parquet(*(hadoop_path(f) for f in item.files))
    if item.newer_than is not None:
        # An incremental step's watermark: only rows above it, as every engine must. The
        # condition is SQL text, not a pyspark Column: once a process has used Spark
        # Connect, pyspark's column functions build Connect columns a JVM session rejects.
        frame = frame.where(_above(*item.newer_than))
    # Spark moves partition columns last; DuckDB (and SELECT *) keep the table's order.
    return frame.selectExpr(*names)


def register(
    spark: SparkSession,
    sql: str,
    inputs: Mapping[str, Input],
    views: dict[str, str],
    *,
    s3a: bool,
) -> str:
    """Register the inputs ``sql`` (Spark dialect) reads as temporary views; return ``sql``
    rewritten to use them.

    ``views`` (``layer.name`` → view) is filled as views are created, so the caller can drop
    them even when a later input fails. Every input is checked before any is read.
    """
    tree = sqlglot.parse_one(sql, read="spark")
    used = {table_key(t) for t in tree.find_all(exp.Table)}
    wanted = {key: item for key, item in inputs.items() if key.lower() in used}
    for item in wanted.values():
        check_input(item, s3a=s3a)
    for key, item in wanted.items():
        view = "sw_" + "_".join(key.lower().split(".")) + f"_{item.version}_{uuid.uuid4().hex[:8]}"
        read_input(spark, item).createOrReplaceTempView(view)
        views[key] = view
    mapping = {key.lower(): view for key, view in views.items()}
    for table in list(tree.find_all(exp.Table)):
        target = mapping.get(table_key(table))
        if target is not None:
            alias = table.args.get("alias") or exp.TableAlias(this=exp.to_identifier(table.name))
            table.replace(exp.Table(this=exp.to_identifier(target), alias=alias.copy()))
    for column in tree.find_all(exp.Column):
        # ``raw.orders.id`` names the table the way the view's alias now does: ``orders.id``.
        if (
            column.args.get("db") is not None
            and ".".join(p.name.lower() for p in column.parts[:-1]) in mapping
        ):
            column.set("db", None)
    return tree.sql(dialect="spark")


def table_key(table: exp.Table) -> str:
    """``layer.name`` of a table reference, lower-cased (both dialects fold unquoted names)."""
    return ".".join(part.name.lower() for part in table.parts)


def _above(column: str, value: object) -> str:
    """``column > value`` in Spark SQL, the value as a typed literal (built with sqlglot)."""
    import datetime as dt

    literal: exp.Expr
    if isinstance(value, dt.datetime):
        literal = exp.cast(exp.Literal.string(value.isoformat()), "TIMESTAMP")
    elif isinstance(value, dt.date):
        literal = exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    elif isinstance(value, bool) or not isinstance(value, int | float):
        literal = exp.Literal.string(str(value))
    else:
        literal = exp.Literal.number(value)
    return exp.GT(this=exp.column(column, quoted=True), expression=literal).sql("spark")
