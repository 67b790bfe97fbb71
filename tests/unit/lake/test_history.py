"""History, time travel and restore, on a local lake and on S3 (moto)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest
from deltalake import CommitProperties, Transaction, write_deltalake

from sluiceway.events import EventLog
from sluiceway.lake.errors import VersionUnavailableError
from sluiceway.lake.history import (
    entry_from_commit,
    history,
    open_version,
    read_rows,
    restore,
    version_at,
)
from sluiceway.lake.maintenance import TableRef, store_sink, vacuum
from sluiceway.lake.names import TableName


@pytest.fixture
def ref(lake_storage) -> TableRef:
    return TableRef(lake_storage, "prod", TableName("silver", "orders"))


def _write(ref: TableRef, ids: list[int], mode: str = "append", run: str | None = None) -> None:
    data = pa.table({"id": pa.array(ids, pa.int64()), "amount": [float(i) for i in ids]})
    properties = None
    if run is not None:
        properties = CommitProperties(
            custom_metadata={
                "sluiceway.run_id": run,
                "sluiceway.app_id": "silver/orders",
                "sluiceway.batch": str(len(run)),
            },
            app_transactions=[Transaction("silver/orders", len(run))],
        )
    write_deltalake(
        ref.uri,
        data,
        mode=mode,  # type: ignore[arg-type]
        storage_options=ref.storage.storage_options(),
        commit_properties=properties,
    )


def _ids(ref: TableRef, version: int | None = None) -> list[int]:
    table = open_version(ref, version)
    return sorted(read_rows(ref, table).column("id").to_pylist())


def test_history_names_operations_runs_and_row_counts(ref: TableRef) -> None:
    _write(ref, [1, 2, 3], run="run-a")
    _write(ref, [4, 5], run="run-bb")
    table = ref.open()
    source = pa.table({"id": pa.array([5, 6], pa.int64()), "amount": [50.0, 60.0]})
    table.merge(
        source, "t.id = s.id", source_alias="s", target_alias="t"
    ).when_matched_update_all().when_not_matched_insert_all().execute()
    table.delete("id = 1")

    entries = history(ref.open())

    assert [e.version for e in entries] == [3, 2, 1, 0]
    assert [e.operation for e in entries] == ["DELETE", "MERGE", "WRITE", "WRITE"]
    delete, merge, second, first = entries
    assert (first.run_id, first.rows_added, first.files_added) == ("run-a", 3, 1)
    assert (second.run_id, second.app_id, second.batch) == ("run-bb", "silver/orders", 6)
    assert (merge.rows_added, merge.rows_updated, merge.rows_removed) == (1, 1, 0)
    assert (delete.rows_removed, delete.run_id) == (1, None)
    assert all(e.time.tzinfo is UTC for e in entries)
    assert len(history(ref.open(), limit=2)) == 2
    assert first.to_json()["time"] == first.time.isoformat()


def test_commit_metrics_are_normalised_across_operations() -> None:
    optimize = {
        "version": 7,
        "timestamp": 0,
        "operation": "OPTIMIZE",
        "operationMetrics": {"numFilesAdded": 1, "numFilesRemoved": 9},
    }
    entry = entry_from_commit(optimize)
    assert (entry.files_added, entry.files_removed, entry.rows_added) == (1, 9, None)
    assert entry.time == datetime(1970, 1, 1, tzinfo=UTC)


def test_time_travel_by_version_and_by_timestamp(ref: TableRef) -> None:
    _write(ref, [1])
    time.sleep(0.05)
    _write(ref, [2])
    time.sleep(0.05)
    _write(ref, [3], mode="overwrite")
    first, second, third = sorted(history(ref.open()), key=lambda e: e.version)

    assert _ids(ref, 0) == [1]
    assert _ids(ref, 1) == [1, 2]
    assert _ids(ref) == [3]
    table = ref.open()
    assert version_at(table, first.time) == 0
    assert version_at(table, second.time + (third.time - second.time) / 2) == 1
    assert version_at(table, third.time + timedelta(days=1)) == 2
    naive = (second.time + timedelta(milliseconds=1)).replace(tzinfo=None)
    assert version_at(table, naive) == 1  # naive means UTC
    as_of = open_version(ref, as_of=second.time)
    assert sorted(read_rows(ref, as_of).column("id").to_pylist()) == [1, 2]


def test_time_travel_before_the_first_commit_or_past_the_last_is_an_error(ref: TableRef) -> None:
    _write(ref, [1])
    first = history(ref.open())[0]
    with pytest.raises(VersionUnavailableError, match="did not exist at"):
        version_at(ref.open(), first.time - timedelta(seconds=1))
    with pytest.raises(VersionUnavailableError, match="has no version 5"):
        open_version(ref, 5)


def test_read_rows_limits_and_selects_columns(ref: TableRef) -> None:
    _write(ref, [1, 2, 3])
    rows = read_rows(ref, ref.open(), limit=2, columns=["amount"])
    assert rows.num_rows == 2 and rows.column_names == ["amount"]
    with pytest.raises(Exception, match="no column 'nope'"):
        read_rows(ref, ref.open(), columns=["nope"])


def test_restore_makes_a_new_version_and_emits_the_event(ref: TableRef, store) -> None:
    _write(ref, [1, 2])
    _write(ref, [9], mode="overwrite")

    result = restore(ref, 0, emit=store_sink(store))

    assert (result.restored_version, result.version) == (0, 2)
    assert _ids(ref) == [1, 2]
    assert history(ref.open())[0].operation == "RESTORE"
    [event] = EventLog(store).tail(1, ["table.restored"])
    assert event.table == "silver.orders"
    assert event.payload() == {"restored_version": 0, "version": 2}


def test_restore_is_refused_after_vacuum_and_the_table_is_unchanged(ref: TableRef) -> None:
    _write(ref, [1, 2])
    _write(ref, [9], mode="overwrite")
    deleted = vacuum(ref.open(), name="silver.orders", retention=timedelta(0), force=True)
    assert deleted.count == 1
    version = ref.open().version()  # vacuum logs VACUUM START/END commits of its own
    events: list[object] = []

    with pytest.raises(VersionUnavailableError, match="vacuum deleted"):
        restore(ref, 0, emit=events.append)

    assert ref.open().version() == version
    assert _ids(ref) == [9]
    assert events == []
    with pytest.raises(VersionUnavailableError):
        _ids(ref, 0)  # time travel to the vacuumed version fails the same clear way


def test_restore_of_partitioned_table_checks_encoded_paths(ref: TableRef) -> None:
    data = pa.table({"id": [1, 2], "region": ["north east", "a/b:c"]})
    options = ref.storage.storage_options()
    write_deltalake(ref.uri, data, partition_by=["region"], storage_options=options)
    write_deltalake(ref.uri, data.slice(0, 1), mode="overwrite", storage_options=options)

    result = restore(ref, 0)

    assert result.version == 2
    regions = read_rows(ref, ref.open()).column("region").to_pylist()
    assert sorted(regions) == ["a/b:c", "north east"]


def test_restore_time_is_recorded(ref: TableRef) -> None:
    _write(ref, [1])
    _write(ref, [2])
    before = datetime.now(UTC) - timedelta(seconds=5)
    restore(ref, 0)
    assert history(ref.open(), limit=1)[0].time >= before
