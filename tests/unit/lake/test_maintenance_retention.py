"""Retention: exactly the old rows go, archived first, and a crash in between is harmless."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable, write_deltalake

from sluiceway.events import EventLog
from sluiceway.lake.errors import LakeError
from sluiceway.lake.history import read_rows
from sluiceway.lake.maintenance import (
    RetentionPolicy,
    TableRef,
    apply_retention,
    archive_rows,
    store_sink,
)
from sluiceway.lake.maintenance.retention import (
    ARCHIVE_BATCH,
    archive_ref_uri,
    batch_number,
)
from sluiceway.lake.names import TableName

NOW = datetime(2024, 7, 1, 9, 30, tzinfo=UTC)
POLICY = RetentionPolicy(days=30, column="order_date", archive=True)  # cutoff 2024-06-01


@pytest.fixture
def ref(lake_storage) -> TableRef:
    return TableRef(lake_storage, "prod", TableName("silver", "orders"))


def _orders(ref: TableRef, *, partition: bool = False, timestamps: bool = False) -> None:
    days = [date(2024, 5, 1), date(2024, 5, 31), date(2024, 6, 1), date(2024, 6, 30)]
    dates: Any = pa.array([days[i % 4] for i in range(8)], pa.date32())
    if timestamps:
        instants = [datetime(d.year, d.month, d.day, 23, 59, tzinfo=UTC) for d in days]
        dates = pa.array([instants[i % 4] for i in range(8)], pa.timestamp("us", tz="UTC"))
    data = pa.table({"order_id": pa.array(range(8), pa.int64()), "order_date": dates})
    write_deltalake(
        ref.uri,
        data,
        partition_by=["order_date"] if partition else None,
        storage_options=ref.storage.storage_options(),
    )


def _ids(ref: TableRef) -> list[int]:
    return sorted(read_rows(ref, ref.open()).column("order_id").to_pylist())


def _archive(ref: TableRef) -> pa.Table:
    uri = archive_ref_uri(ref)
    table = DeltaTable(uri, storage_options=ref.storage.storage_options())
    return table.to_pyarrow_dataset(filesystem=ref.storage.filesystem(uri)).to_table()


OLD = [0, 1, 4, 5]  # ordered on 2024-05-01 and 2024-05-31, before the cutoff


@pytest.mark.parametrize("partition", [False, True], ids=["plain", "partitioned"])
def test_retention_deletes_exactly_the_old_rows_and_archives_them(
    ref: TableRef, partition: bool
) -> None:
    _orders(ref, partition=partition)
    events: list[Any] = []

    result = apply_retention(ref, POLICY, now=NOW, emit=events.append)

    assert result.cutoff == date(2024, 6, 1) and result.batch == batch_number(date(2024, 6, 1))
    assert (result.rows_deleted, result.rows_archived) == (4, 4)
    assert _ids(ref) == [2, 3, 6, 7]
    archived = _archive(ref)
    assert sorted(archived.column("order_id").to_pylist()) == OLD
    assert set(archived.column(ARCHIVE_BATCH).to_pylist()) == {result.batch}
    [event] = events
    assert (event.type, event.rows_deleted, event.cutoff) == (
        "table.retention_applied",
        4,
        "2024-06-01",
    )
    assert ref.open().version() == 1  # one commit
    if partition:
        assert result.partitions == ["order_date=2024-05-01", "order_date=2024-05-31"]
        assert (result.files_removed, result.files_added) == (2, 0)  # dropped, not rewritten
    else:
        assert result.partitions == []
        assert (result.files_removed, result.files_added) == (1, 1)


def test_the_archive_is_written_with_the_tables_codec(ref: TableRef) -> None:
    from deltalake import WriterProperties

    _orders(ref)
    apply_retention(ref, POLICY, now=NOW, writer_properties=WriterProperties(compression="ZSTD"))
    uri = archive_ref_uri(ref)
    archive = DeltaTable(uri, storage_options=ref.storage.storage_options())
    filesystem = ref.storage.filesystem(uri)
    for path in pa.table(archive.get_add_actions(flatten=True)).column("path").to_pylist():
        with filesystem.open_input_file(path) as handle:
            column = pq.ParquetFile(handle).metadata.row_group(0).column(0)
            assert column.compression == "ZSTD", path


def test_a_crash_between_archive_and_delete_leaves_no_duplicates(ref: TableRef) -> None:
    _orders(ref)
    batch = batch_number(POLICY.cutoff(NOW))
    assert archive_rows(ref, ref.open(), POLICY, batch, now=NOW) == 4  # then the crash

    result = apply_retention(ref, POLICY, now=NOW)  # the re-run does the whole thing

    assert (result.rows_deleted, result.rows_archived) == (4, 4)
    assert sorted(_archive(ref).column("order_id").to_pylist()) == OLD
    assert _ids(ref) == [2, 3, 6, 7]
    again = apply_retention(ref, POLICY, now=NOW)  # and a re-run after success does nothing
    assert again.already_applied and again.rows_deleted == 0
    assert sorted(_archive(ref).column("order_id").to_pylist()) == OLD


def test_old_rows_written_during_retention_are_archived_before_deleted(
    ref: TableRef, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sluiceway.lake.maintenance import retention

    _orders(ref)
    real_archive = retention.archive_rows
    copied: list[int] = []

    def archive_then_race(*args: Any, **kwargs: Any) -> int:
        count = real_archive(*args, **kwargs)
        if not copied:  # another writer lands a late, already-old order right now
            late = pa.table(
                {"order_id": pa.array([99], pa.int64()), "order_date": [date(2024, 5, 2)]}
            )
            write_deltalake(
                ref.uri, late, mode="append", storage_options=ref.storage.storage_options()
            )
        copied.append(count)
        return count

    monkeypatch.setattr(retention, "archive_rows", archive_then_race)
    result = apply_retention(ref, POLICY, now=NOW)

    assert copied == [4, 5]  # the delete was refused and both steps ran again
    assert (result.rows_deleted, result.rows_archived) == (5, 5)
    assert sorted(_archive(ref).column("order_id").to_pylist()) == [*OLD, 99]
    assert _ids(ref) == [2, 3, 6, 7]


def test_next_day_archives_only_the_newly_old_rows(ref: TableRef) -> None:
    _orders(ref)
    apply_retention(ref, POLICY, now=NOW)
    later = apply_retention(ref, POLICY, now=NOW + timedelta(days=30))  # cutoff 2024-07-01
    assert later.rows_deleted == 4 and _ids(ref) == []
    archived = _archive(ref)
    assert sorted(archived.column("order_id").to_pylist()) == list(range(8))
    assert len(set(archived.column(ARCHIVE_BATCH).to_pylist())) == 2


def test_dry_run_counts_and_changes_nothing(ref: TableRef) -> None:
    _orders(ref, partition=True)
    result = apply_retention(ref, POLICY, now=NOW, dry_run=True)
    assert (result.rows_deleted, result.rows_archived, result.dry_run) == (4, 4, True)
    assert len(result.partitions) == 2
    assert _ids(ref) == list(range(8)) and ref.open().version() == 0
    fs = ref.storage.filesystem(ref.storage.uri("_archive"))
    assert fs.get_file_info("prod/silver/orders/_delta_log").type == pafs.FileType.NotFound


def test_without_archive_timestamps_are_cut_at_midnight_utc(ref: TableRef, store) -> None:
    _orders(ref, timestamps=True)
    policy = RetentionPolicy(days=30, column="order_date")

    result = apply_retention(ref, policy, now=NOW, emit=store_sink(store))

    assert (result.rows_deleted, result.rows_archived, result.archive_uri) == (4, 0, None)
    assert _ids(ref) == [2, 3, 6, 7]
    [event] = EventLog(store).tail(1, ["table.retention_applied"])
    assert event.table == "silver.orders" and event.payload()["rows_deleted"] == 4


def test_nothing_old_means_no_commit(ref: TableRef) -> None:
    _orders(ref)
    result = apply_retention(ref, RetentionPolicy(days=3650, column="order_date"), now=NOW)
    assert result.rows_deleted == 0 and ref.open().version() == 0


def test_policies_parse_from_the_spec_and_refuse_bad_columns(ref: TableRef) -> None:
    from sluiceway.spec.tables import Retention

    spec = Retention(days=7, column="order_date", archive=True)
    assert RetentionPolicy.parse(spec) == RetentionPolicy(7, "order_date", True)
    assert RetentionPolicy.parse('{"days": 7, "column": "d"}') == RetentionPolicy(7, "d")
    assert RetentionPolicy.parse(None) is None
    with pytest.raises(LakeError, match="not a policy"):
        RetentionPolicy.parse("730d")
    _orders(ref)
    with pytest.raises(LakeError, match="'nope' is not in the table"):
        apply_retention(ref, RetentionPolicy(days=1, column="nope"), now=NOW)
