"""The table handle: existence, versions, time travel, schema, datasets, counts, files."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from sluiceway.errors import UsageError
from sluiceway.lake.commit import WriteContext
from sluiceway.lake.errors import TableNotFoundError, VersionUnavailableError
from sluiceway.lake.registration import TableOptions
from sluiceway.lake.service import Lake
from sluiceway.spec.settings import TableDefaults

Ctx = Callable[..., WriteContext]


def numbers(*values: int) -> pa.Table:
    return pa.table({"n": pa.array(values, pa.int64()), "part": [v % 2 for v in values]})


def test_a_table_never_written_does_not_exist(lake: Lake) -> None:
    table = lake.table("silver.nothing")
    assert not table.exists() and not table.is_view and table.view_sql is None
    with pytest.raises(
        TableNotFoundError, match=r"silver\.nothing \(prod\) has never been written"
    ):
        table.version()


def test_versions_time_travel_and_reads(lake: Lake, batch_ctx: Ctx) -> None:
    options = TableOptions(partition_by=("part",))
    lake.write("silver.n", numbers(1, 2), "append", batch_ctx(1), table_options=options)
    # A commit's time is its log file's modification time: S3 keeps whole seconds only.
    gap = 0.05 if lake.storage.is_local else 1.1
    time.sleep(gap)
    between = datetime.now(UTC)
    time.sleep(gap)
    lake.write("silver.n", numbers(3), "append", batch_ctx(2), table_options=options)
    table = lake.table("silver.n")

    assert table.exists() and table.version() == 1
    assert table.uri.endswith("/prod/silver/n")
    assert table.partition_by == ("part",)
    assert table.count() == 3 and table.count(version=0) == 2
    assert table.count(as_of=between) == 2
    assert table.count(as_of=between.replace(tzinfo=None)) == 2  # naive means UTC
    assert table.file_count() == 3 and table.file_count(version=0) == 2
    assert table.schema().names == ["n", "part", "_sw_run_id", "_sw_loaded_at", "_sw_source"]
    assert sorted(table.read(version=0).column("n").to_pylist()) == [1, 2]
    assert table.read(columns=["n"], filter=pc.field("n") > 1).to_pylist() == [
        {"n": 2},
        {"n": 3},
    ] or (
        sorted(table.read(columns=["n"], filter=pc.field("n") > 1).column("n").to_pylist())
        == [2, 3]
    )
    assert table.dataset(hide_lineage=True).schema.names == ["n", "part"]
    assert table.dataset(columns=["part", "n"]).schema.names == ["part", "n"]
    with pytest.raises(VersionUnavailableError, match="no version 7"):
        table.read(version=7)
    with pytest.raises(ValueError, match="not both"):
        table.delta(version=0, as_of=between)
    with pytest.raises(UsageError, match="no column nope"):
        table.dataset(columns=["nope"])


def test_lineage_columns_can_be_hidden_by_default(lake_storage: Any, batch_ctx: Ctx) -> None:
    lake = Lake(lake_storage, defaults=TableDefaults(lineage_columns="hidden"))
    lake.write("silver.n", numbers(1), "append", batch_ctx(1))
    table = lake.table("silver.n")
    assert table.read().column_names == ["n", "part"]
    assert "_sw_run_id" in table.read(hide_lineage=False).column_names
    assert "_sw_run_id" in table.schema().names  # always stored


def test_as_of_before_the_first_commit_is_the_first_version_or_an_error(
    lake: Lake, batch_ctx: Ctx
) -> None:
    lake.write("silver.n", numbers(1), "append", batch_ctx(1))
    table = lake.table("silver.n")
    try:
        count = table.count(as_of=datetime.now(UTC) - timedelta(days=365))
    except VersionUnavailableError:
        return
    assert count == 1  # delta-rs 1.6 answers with version 0


@pytest.mark.s3
def test_a_missing_bucket_is_one_plain_error(s3_endpoint: Any) -> None:
    from sluiceway.lake.errors import LakeError
    from sluiceway.lake.storage import LakeStorage, S3Access
    from sluiceway.lake.table import open_delta

    env = s3_endpoint.environ()
    storage = LakeStorage(
        root="s3://no-such-bucket-here/lake",
        s3=S3Access(
            endpoint_url=env["AWS_ENDPOINT_URL"],
            region=env["AWS_REGION"],
            access_key_id=env["AWS_ACCESS_KEY_ID"],
            secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            allow_http=True,
        ),
    )
    with pytest.raises(LakeError) as caught:
        open_delta("s3://no-such-bucket-here/lake/prod/raw/x", storage.storage_options())
    assert caught.value.message == (
        "the lake's bucket 'no-such-bucket-here' does not exist "
        "(s3://no-such-bucket-here/lake/prod/raw/x)"
    )
    assert "create the bucket" in (caught.value.hint or "")
    assert env["AWS_SECRET_ACCESS_KEY"] not in str(caught.value)
