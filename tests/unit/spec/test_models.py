"""Happy paths of every model, shorthands, default names and union errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml
from pydantic import ValidationError

from sluiceway.spec.checks import Aggregate, Expression, NotNull, Relationships
from sluiceway.spec.materializations import Append, Merge
from sluiceway.spec.pipeline import Pipeline
from sluiceway.spec.settings import ProjectSettings
from sluiceway.spec.sources import CsvFormat, DatabaseSource, FilesSource, StreamSource
from sluiceway.spec.steps import CheckStep, IngestStep, PublishStep, PythonStep, SqlStep
from sluiceway.spec.tables import TableMeta
from sluiceway.spec.triggers import (
    FilesTrigger,
    ManualTrigger,
    ScheduleTrigger,
    TablesTrigger,
    WebhookTrigger,
)

FULL = """
name: orders
description: Load orders
owner: data-team
tags: [ingest]
params: {country: FR}
engine: duckdb
retries: 3
timeout: 10m
max_concurrent_runs: 1
on:
  - {type: files, glob: "orders/*.csv"}
  - {type: schedule, cron: "0 6 * * *", timezone: Europe/Paris, catchup: false}
  - {type: tables, tables: [raw.orders], debounce: 30s}
  - {type: webhook, name: orders_ready, secret: "${env:ORDERS_HOOK_SECRET}"}
  - {type: manual}
  - manual
tables:
  silver.orders:
    description: One row per order
    owner: sales
    tags: [pii]
    columns: {email: {description: Customer e-mail, tags: [pii]}}
    partition_by: [order_date]
    zorder_by: [customer_id]
    schema_policy: evolve
    retention: {days: 730, column: order_date, archive: true}
    sla: {fresh_within: 2h}
    checks: [{type: unique, columns: [order_id]}]
  gold.daily:
    sla: {ready_by: "06:00", timezone: Europe/Paris, days: [mon, tue, wed, thu, fri]}
steps:
  - name: load
    type: ingest
    table: raw.orders
    materialization: append
    source:
      type: files
      glob: "orders/*.csv"
      format: {type: csv, delimiter: ",", quote: '"', escape: '"', header: true,
               encoding: utf-8, null_values: [""], date_format: "%Y-%m-%d",
               timestamp_format: null, compression: gzip}
      contract: {columns: [{name: order_id, type: bigint, required: true, format: null}],
                 infer: false}
      on_processed: move
      duplicate_content: load
  - name: pull
    type: ingest
    table: raw.accounts
    source: {type: database, url: "postgresql+psycopg://app:${env:APP_DB_PASSWORD}@db/app",
             table: accounts, cursor: updated_at, mode: incremental, chunk_size: 50000}
  - name: events
    type: ingest
    table: raw.events
    source: {type: stream, broker: nats, url: "nats://127.0.0.1:4222", subject: events.>,
             batch_size: 10000, max_wait: 5s}
  - name: orders
    type: sql
    sql: sql/silver/orders.sql
    table: silver.orders
    materialization: {type: merge, keys: [order_id]}
    incremental: {by: updated_at}
    depends_on: [load]
    checks:
      - {type: not_null, columns: [order_id], severity: error}
      - {type: accepted_values, column: status, values: [placed, shipped]}
      - {type: range, column: qty, min: 1, max_inclusive: false, max: 100}
      - {type: regex, column: email, pattern: "^[^@]+@[^@]+$", severity: warn}
      - {type: row_count, min: 1}
      - {type: freshness, column: updated_at, max_age: 1d}
      - {type: relationships, column: customer_id, to: silver.customers, field: customer_id}
      - {type: schema, columns: {order_id: bigint}}
      - {type: expression, expr: "shipped_at >= ordered_at", mode: shadow}
      - {type: aggregate, sql: "sum(amount)", min: 0}
  - name: score
    type: python
    function: transforms.py:score_customers
    inputs: [silver.customers]
    table: gold.customer_scores
    materialization: overwrite
  - {name: audit, type: check, table: silver.orders, checks: [{type: row_count, min: 1}]}
  - name: export
    type: publish
    table: gold.daily_revenue
    target: {url: "postgresql+psycopg://bi:${env:BI_PASSWORD}@bi/bi", table: daily_revenue,
             mode: merge, keys: [day]}
"""


def test_a_pipeline_with_every_kind_of_thing() -> None:
    pipeline = Pipeline.model_validate(yaml.safe_load(FULL.replace("\non:", '\n"on":')))
    kinds = [type(t) for t in pipeline.on]
    assert kinds == [
        FilesTrigger,
        ScheduleTrigger,
        TablesTrigger,
        WebhookTrigger,
        ManualTrigger,
        ManualTrigger,
    ]
    load, pull, events, orders, score, audit, export = pipeline.steps
    assert isinstance(load, IngestStep) and isinstance(load.source, FilesSource)
    assert isinstance(load.source.format, CsvFormat) and load.source.format.compression == "gzip"
    assert load.materialization == Append(type="append")
    assert isinstance(pull, IngestStep) and isinstance(pull.source, DatabaseSource)
    assert isinstance(events, IngestStep) and isinstance(events.source, StreamSource)
    assert events.source.max_wait == timedelta(seconds=5)
    assert isinstance(orders, SqlStep)
    assert orders.materialization == Merge(type="merge", keys=["order_id"])
    assert [c.name for c in orders.checks] == [
        "not_null_order_id",
        "accepted_values_status",
        "range_qty",
        "regex_email",
        "row_count",
        "freshness_updated_at",
        "relationships_customer_id_silver_customers",
        "schema",
        Expression(type="expression", expr="shipped_at >= ordered_at").name,
        Aggregate(type="aggregate", sql="sum(amount)").name,
    ]
    assert isinstance(score, PythonStep)
    assert (score.module_file, score.function_name) == ("transforms.py", "score_customers")
    assert isinstance(audit, CheckStep) and isinstance(export, PublishStep)
    assert pipeline.written() == {
        "raw.orders",
        "raw.accounts",
        "raw.events",
        "silver.orders",
        "gold.customer_scores",
    }
    meta = pipeline.tables["silver.orders"]
    assert isinstance(meta, TableMeta) and meta.sla and meta.sla.fresh_within == timedelta(hours=2)
    assert pipeline.timeout == timedelta(minutes=10)


def test_default_materializations() -> None:
    sql = SqlStep.model_validate({"name": "s", "type": "sql", "query": "q", "table": "raw.t"})
    assert sql.materialization.type == "overwrite"


def test_check_names_are_stable_and_explicit_names_win() -> None:
    assert NotNull(type="not_null", columns=["a", "b"]).name == "not_null_a_b"
    assert NotNull(type="not_null", columns=["a"], name="mine").name == "mine"
    rel = Relationships(type="relationships", column="c", to="raw.x", field="id")
    assert rel.name == "relationships_c_raw_x"
    assert (
        Expression(type="expression", expr="a > 0").name
        == Expression(type="expression", expr="a > 0").name
    )


def _errors(model: type, data: dict) -> list[dict]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return caught.value.errors()


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"type": "sql", "name": "s", "table": "raw.t"}, "exactly one of sql"),
        ({"type": "sql", "name": "s", "table": "raw.t", "sql": "a", "query": "b"}, "exactly one"),
        (
            {
                "type": "ingest",
                "name": "s",
                "table": "raw.t",
                "source": {
                    "type": "database",
                    "url": "sqlite:///x",
                    "table": "t",
                    "mode": "incremental",
                },
            },
            "needs a cursor",
        ),
        (
            {
                "type": "ingest",
                "name": "s",
                "table": "raw.t",
                "source": {"type": "database", "url": "sqlite:///x"},
            },
            "exactly one of table or query",
        ),
        (
            {
                "type": "publish",
                "name": "s",
                "table": "raw.t",
                "target": {"url": "sqlite:///x", "table": "t", "mode": "merge"},
            },
            "needs keys",
        ),
        (
            {
                "type": "check",
                "name": "s",
                "table": "raw.t",
                "checks": [{"type": "range", "column": "c"}],
            },
            "min, max or both",
        ),
        (
            {
                "type": "check",
                "name": "s",
                "table": "raw.t",
                "checks": [{"type": "regex", "column": "c", "pattern": "("}],
            },
            "does not compile",
        ),
    ],
)
def test_model_level_rules(data: dict, fragment: str) -> None:
    from pydantic import TypeAdapter

    from sluiceway.spec.steps import Step

    with pytest.raises(ValidationError, match=fragment):
        TypeAdapter(Step).validate_python(data)


def test_sla_needs_exactly_one_kind() -> None:
    assert "exactly one" in _errors(TableMeta, {"sla": {}})[0]["msg"]
    assert _errors(TableMeta, {"sla": {"ready_by": "6:00"}})[0]["type"] == "string_pattern_mismatch"


def test_schedule_rules() -> None:
    (error,) = _errors(ScheduleTrigger, {"type": "schedule", "cron": "61 * * * *"})
    assert error["type"] == "cron"
    (error,) = _errors(
        ScheduleTrigger, {"type": "schedule", "cron": "@daily", "timezone": "Europe/Pari"}
    )
    assert error["ctx"]["hint"] == "did you mean 'Europe/Paris'?"


def test_settings_happy_path() -> None:
    settings = ProjectSettings.model_validate(
        {
            "name": "shop",
            "lake": "s3://bucket/prefix",
            "storage": {
                "s3": {
                    "endpoint_url": "http://127.0.0.1:9000",
                    "region": "us-east-1",
                    "access_key_id": "${env:AWS_ACCESS_KEY_ID}",
                    "secret_access_key": "${env:AWS_SECRET_ACCESS_KEY}",
                    "allow_http": True,
                }
            },
            "environments": {"dev": {"lake": "./lake-dev", "defaults": {"retries": 0}}},
        }
    )
    assert settings.storage.s3 and settings.storage.s3.allow_http
    assert settings.environments["dev"].lake == "./lake-dev"


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        ({"name": "Shop"}, "string_pattern_mismatch"),
        ({"name": "shop", "lake": "gs://bucket"}, "value_error"),
        ({"name": "shop", "storage": {"s3": {"secret_access_key": "abc"}}}, "secret_literal"),
    ],
)
def test_settings_rules(data: dict, kind: str) -> None:
    assert _errors(ProjectSettings, data)[0]["type"] == kind
