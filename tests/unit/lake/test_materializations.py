"""overwrite, append and partition_overwrite, row for row, on a local lake and on S3."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pyarrow as pa
import pytest
from deltalake.exceptions import CommitFailedError

from sluiceway.errors import UsageError
from sluiceway.lake.commit import WriteContext
from sluiceway.lake.lineage import LOADED_AT as LOADED_AT_COLUMN
from sluiceway.lake.lineage import RUN_ID, SOURCE
from sluiceway.lake.materializations import materializer
from sluiceway.lake.materializations.writing import commit_write, write_options
from sluiceway.lake.registration import TableOptions
from sluiceway.lake.service import Lake
from sluiceway.spec.materializations import PartitionOverwrite
from unit.lake.lake_support import LOADED_AT, parquet_files, rows

Ctx = Callable[..., WriteContext]
DAY1, DAY2, DAY3 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)


def orders(ids: list[int], day: date | list[date], amount: float = 1.0) -> pa.Table:
    days = day if isinstance(day, list) else [day] * len(ids)
    return pa.table(
        {
            "order_id": pa.array(ids, pa.int64()),
            "order_date": pa.array(days, pa.date32()),
            "amount": [amount * i for i in ids],
        }
    )


def by_day(partitioned: bool) -> TableOptions:
    return TableOptions(partition_by=("order_date",) if partitioned else ())


def test_append_adds_rows_with_lineage_zstd_and_partitions(lake: Lake, batch_ctx: Ctx) -> None:
    options = by_day(True)
    first = lake.write(
        "silver.orders", orders([1, 2], DAY1), "append", batch_ctx(1), table_options=options
    )
    second = lake.write(
        "silver.orders", orders([3], DAY2), "append", batch_ctx(2), table_options=options
    )

    assert (first.version, first.rows_added, first.operation) == (0, 2, "append")
    assert (second.version, second.rows_added, second.files_added) == (1, 1, 1)
    table = lake.table("silver.orders")
    got = table.read()
    assert rows(got) == rows(pa.concat_tables([orders([1, 2], DAY1), orders([3], DAY2)]))
    lineage = {(r["order_id"], r[RUN_ID], r[SOURCE], r[LOADED_AT_COLUMN]) for r in got.to_pylist()}
    assert lineage == {
        (1, "run-1", "unit", LOADED_AT),
        (2, "run-1", "unit", LOADED_AT),
        (3, "run-2", "unit", LOADED_AT),
    }
    assert got.schema.field(LOADED_AT_COLUMN).type == pa.timestamp("us", tz="UTC")
    assert table.partition_by == ("order_date",)
    assert all("order_date=" in uri for uri in table.delta().file_uris())
    for footer in parquet_files(table):
        codecs = {footer.row_group(0).column(i).compression for i in range(footer.num_columns)}
        assert codecs == {"ZSTD"}


def test_overwrite_replaces_every_row_in_one_commit(lake: Lake, batch_ctx: Ctx) -> None:
    lake.write("gold.totals", orders([1, 2, 3], DAY1), "overwrite", batch_ctx(1))
    result = lake.write("gold.totals", orders([7], DAY2, 2.0), "overwrite", batch_ctx(2))

    assert (result.version, result.rows_added, result.rows_deleted) == (1, 1, 3)
    table = lake.table("gold.totals")
    assert rows(table.read()) == rows(orders([7], DAY2, 2.0))
    assert rows(table.read(version=0)) == rows(orders([1, 2, 3], DAY1))  # still readable
    assert table.delta().history(1)[0]["operationParameters"]["mode"] == "Overwrite"


@pytest.mark.parametrize("partitioned", [True, False], ids=["partitioned", "unpartitioned"])
def test_partition_overwrite_replaces_only_incoming_partitions(
    lake: Lake, batch_ctx: Ctx, partitioned: bool
) -> None:
    spec = PartitionOverwrite(type="partition_overwrite", partition_by=["order_date"])
    options = by_day(partitioned)
    start = orders([1, 2, 3, 4], [DAY1, DAY1, DAY2, DAY3])
    lake.write("gold.daily", start, spec, batch_ctx(1), table_options=options)
    incoming = orders([20, 21, 30], [DAY2, DAY2, DAY3], 5.0)
    result = lake.write("gold.daily", incoming, spec, batch_ctx(2), table_options=options)

    assert (result.rows_added, result.rows_deleted) == (3, 2)
    expected = pa.concat_tables([orders([1, 2], DAY1), incoming])
    assert rows(lake.table("gold.daily").read()) == rows(expected)


def test_partition_overwrite_matches_partition_combinations_not_each_column(
    lake: Lake, batch_ctx: Ctx
) -> None:
    spec = PartitionOverwrite(type="partition_overwrite", partition_by=["region", "order_date"])
    start = pa.table(
        {"region": ["eu", "us", "eu"], "order_date": [DAY1, DAY2, DAY2], "n": [1, 2, 3]}
    )
    lake.write("gold.by_region", start, spec, batch_ctx(1))
    # eu and DAY2 are each present elsewhere: only the (eu, DAY2) partition may be replaced.
    incoming = pa.table({"region": ["eu"], "order_date": [DAY2], "n": [30]})
    lake.write("gold.by_region", incoming, spec, batch_ctx(2))
    assert rows(lake.table("gold.by_region").read()) == [
        {"region": "eu", "order_date": DAY1, "n": 1},
        {"region": "eu", "order_date": DAY2, "n": 30},
        {"region": "us", "order_date": DAY2, "n": 2},
    ]


def test_partition_overwrite_needs_its_columns(lake: Lake, batch_ctx: Ctx) -> None:
    spec = PartitionOverwrite(type="partition_overwrite", partition_by=["region"])
    with pytest.raises(UsageError, match="no column region"):
        lake.write("gold.daily", orders([1], DAY1), spec, batch_ctx(1))


@pytest.mark.parametrize("kind", ["append", "overwrite", "partition_overwrite"])
def test_a_batch_committed_twice_is_written_once(lake: Lake, batch_ctx: Ctx, kind: str) -> None:
    spec: Any = kind
    if kind == "partition_overwrite":
        spec = PartitionOverwrite(type=kind, partition_by=["order_date"])
    data = orders([1, 2], DAY1)
    first = lake.write("silver.once", data, spec, batch_ctx(5))
    again = lake.write("silver.once", data, spec, batch_ctx(5))
    older = lake.write("silver.once", data, spec, batch_ctx(4))

    assert not first.skipped and again.skipped and older.skipped
    assert again.version == older.version == first.version == 0
    table = lake.table("silver.once")
    assert table.version() == 0
    assert rows(table.read()) == rows(data)


def test_a_commit_conflict_is_retried_with_the_same_rows(lake: Lake, batch_ctx: Ctx) -> None:
    """The stream is consumed before a conflict shows; the retry must replay it, not lose it."""
    from deltalake import write_deltalake

    target = lake.target("silver.retried")
    attempts: list[int] = []

    def flaky_write(table: Any, data: pa.RecordBatchReader, plan: Any) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            data.read_all()  # the first attempt consumes everything, then loses the race
            raise CommitFailedError("Failed to commit transaction: Concurrent transaction failed.")
        write_deltalake(
            target.uri if table is None else table,
            data,
            mode="append",
            **write_options(target, batch_ctx(1), table),
        )

    source = orders(list(range(100)), DAY1)
    batches = pa.RecordBatchReader.from_batches(source.schema, source.to_batches(max_chunksize=10))
    result = commit_write(target, batches, batch_ctx(1), operation="append", write=flaky_write)

    assert len(attempts) == 2 and result.rows_added == 100
    assert rows(lake.table("silver.retried").read()) == rows(source)


def test_files_are_cut_at_the_target_file_size(lake_storage: Any, batch_ctx: Ctx) -> None:
    from sluiceway.spec.settings import TableDefaults

    small = Lake(lake_storage, defaults=TableDefaults(target_file_size="64KB"))
    data = pa.table({"n": pa.array(range(200_000), pa.int64())})
    small.write("raw.numbers", data, "append", batch_ctx(1))
    assert small.table("raw.numbers").file_count() > 1
    assert small.table("raw.numbers").count() == 200_000


def test_a_view_is_not_written_as_rows(lake: Lake, batch_ctx: Ctx) -> None:
    with pytest.raises(UsageError, match="view"):
        lake.write("gold.v", orders([1], DAY1), "view", batch_ctx(1))
    with pytest.raises(UsageError, match="stores no rows"):
        materializer("view").write(lake.target("gold.v"), None, batch_ctx(1), "view")  # type: ignore[arg-type]
