"""OpenLineage names: the same run, job or table always gets the same name."""

from __future__ import annotations

import uuid

import pytest

from sluiceway.events.sinks.openlineage_naming import (
    DatasetName,
    catalog_namespace,
    dataset_name,
    job_namespace,
    run_uuid,
    step_job,
    step_run_uuid,
)


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("/data/lake/prod/silver/orders", DatasetName("file", "/data/lake/prod/silver/orders")),
        ("file:///data/lake/prod/raw/a/", DatasetName("file", "/data/lake/prod/raw/a")),
        (
            "s3://bucket/lake/prod/silver/orders",
            DatasetName("s3://bucket", "lake/prod/silver/orders"),
        ),
        ("s3a://bucket/lake/t", DatasetName("s3://bucket", "lake/t")),
        ("gs://b/t", DatasetName("gs://b", "t")),
        (
            "abfss://c@acct.dfs.core.windows.net/lake/t",
            DatasetName("abfss://c@acct.dfs.core.windows.net", "lake/t"),
        ),
        ("hdfs://nn:8020/lake/t", DatasetName("hdfs://nn:8020", "/lake/t")),
    ],
)
def test_datasets_follow_the_openlineage_naming_spec(location: str, expected: DatasetName) -> None:
    assert dataset_name(location) == expected


def test_a_run_keeps_its_uuid_and_other_ids_map_to_the_same_uuid_every_time() -> None:
    ours = str(uuid.uuid4())
    assert run_uuid(ours) == ours
    assert run_uuid("backfill-2026-01-05") == run_uuid("backfill-2026-01-05")
    assert uuid.UUID(run_uuid("backfill-2026-01-05")).version == 5


def test_steps_of_a_run_have_distinct_stable_ids() -> None:
    run = str(uuid.uuid4())
    assert step_run_uuid(run, "orders") == step_run_uuid(run, "orders")
    assert step_run_uuid(run, "orders") != step_run_uuid(run, "customers")
    assert step_run_uuid(run, "orders") != step_run_uuid(str(uuid.uuid4()), "orders")
    assert step_job("silver", "orders") == "silver.orders"


def test_environments_other_than_prod_get_their_own_namespaces() -> None:
    assert job_namespace("shop", "prod") == "shop"
    assert job_namespace("shop", "dev") == "shop.dev"
    assert catalog_namespace("shop", "prod") == "sluiceway://shop"
    assert catalog_namespace("shop", "dev") == "sluiceway://shop/dev"
