"""Optimize, z-order, vacuum and auto-compaction, on a local lake and on S3 (moto)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pyarrow as pa
import pytest
from deltalake import write_deltalake

from sluiceway.errors import UsageError
from sluiceway.events.types import TableOptimized, TableVacuumed
from sluiceway.lake.history import read_rows
from sluiceway.lake.maintenance import (
    TableRef,
    maybe_compact,
    optimize,
    small_files,
    vacuum,
)
from sluiceway.lake.maintenance.common import file_sizes
from sluiceway.lake.names import TableName


@pytest.fixture
def ref(lake_storage) -> TableRef:
    return TableRef(lake_storage, "prod", TableName("silver", "events"))


def _append(ref: TableRef, start: int, n: int = 10, partition: bool = False) -> None:
    data = pa.table(
        {
            "id": pa.array(range(start, start + n), pa.int64()),
            "kind": [f"k{i % 3}" for i in range(start, start + n)],
            "value": [float(i) * 1.5 for i in range(start, start + n)],
        }
    )
    write_deltalake(
        ref.uri,
        data,
        mode="append",
        partition_by=["kind"] if partition else None,
        storage_options=ref.storage.storage_options(),
    )


def _rows(ref: TableRef) -> list[dict[str, Any]]:
    return sorted(read_rows(ref, ref.open()).to_pylist(), key=lambda r: r["id"])


def test_optimize_compacts_small_files_without_changing_a_row(ref: TableRef) -> None:
    for batch in range(12):
        _append(ref, batch * 10)
    before = _rows(ref)
    assert len(file_sizes(ref.open())) == 12
    events: list[Any] = []

    planned = optimize(ref.open(), name="silver.events", dry_run=True, emit=events.append)
    assert (planned.files_removed, planned.files_added, planned.dry_run) == (12, 1, True)
    assert len(file_sizes(ref.open())) == 12 and events == []  # a dry run changes nothing

    result = optimize(ref.open(), name="silver.events", emit=events.append)

    assert (result.files_removed, result.files_added) == (12, 1)
    assert len(file_sizes(ref.open())) == 1
    assert _rows(ref) == before
    [event] = events
    assert isinstance(event, TableOptimized)
    assert (event.table, event.version, event.files_removed) == ("silver.events", 12, 12)


def test_optimize_of_a_compact_table_commits_nothing(ref: TableRef) -> None:
    _append(ref, 0)
    events: list[Any] = []
    result = optimize(ref.open(), name="silver.events", emit=events.append)
    assert (result.files_removed, result.version, result.changed) == (0, 0, False)
    assert events == []


def test_z_order_rewrites_by_the_configured_columns(ref: TableRef) -> None:
    for batch in range(4):
        _append(ref, batch * 10, partition=True)
    before = _rows(ref)
    assert len(file_sizes(ref.open())) == 12

    planned = optimize(ref.open(), name="silver.events", zorder_by=["id"], dry_run=True)
    result = optimize(ref.open(), name="silver.events", zorder_by=["id", "value"])

    assert planned.files_removed == result.files_removed == 12
    assert result.zorder_by == ("id", "value") and result.files_added == 3  # one per partition
    assert _rows(ref) == before
    assert len(file_sizes(ref.open())) == 3
    # Partitions holding a single file are z-ordered too, and the dry run says so.
    planned = optimize(ref.open(), name="silver.events", zorder_by=["value"], dry_run=True)
    result = optimize(ref.open(), name="silver.events", zorder_by=["value"])
    assert planned.files_removed == result.files_removed == 3
    with pytest.raises(Exception, match="cannot z-order by 'nope'"):
        optimize(ref.open(), name="silver.events", zorder_by=["nope"])


def test_vacuum_dry_run_lists_files_and_deletes_nothing(ref: TableRef) -> None:
    for batch in range(3):
        _append(ref, batch * 10)
    optimize(ref.open(), name="silver.events")  # 3 files now unreferenced
    events: list[Any] = []

    listed = vacuum(
        ref.open(),
        name="silver.events",
        retention=timedelta(0),
        force=True,
        dry_run=True,
        emit=events.append,
    )

    assert listed.count == 3 and all(p.endswith(".parquet") for p in listed.files)
    assert events == []
    fs = ref.storage.filesystem(ref.uri)
    assert all(fs.get_file_info(p).is_file for p in listed.files)

    done = vacuum(
        ref.open(), name="silver.events", retention=timedelta(0), force=True, emit=events.append
    )

    assert sorted(done.files) == sorted(listed.files)
    assert not any(fs.get_file_info(p).is_file for p in listed.files)
    assert [type(e) for e in events] == [TableVacuumed]
    assert events[0].files_deleted == 3
    assert len(_rows(ref)) == 30


def test_vacuum_keeps_files_younger_than_the_default_retention(ref: TableRef) -> None:
    _append(ref, 0)
    _append(ref, 10)
    optimize(ref.open(), name="silver.events")
    result = vacuum(ref.open(), name="silver.events")
    assert result.count == 0 and result.retention == timedelta(days=7)


def test_vacuum_below_seven_days_needs_force(ref: TableRef) -> None:
    _append(ref, 0)
    with pytest.raises(UsageError, match="below the 168 h safety limit"):
        vacuum(ref.open(), name="silver.events", retention=timedelta(hours=1))


def test_auto_compaction_triggers_at_the_threshold_and_not_below(ref: TableRef) -> None:
    for batch in range(4):
        _append(ref, batch * 10)
    events: list[Any] = []

    assert small_files(ref.open()) == 4
    assert maybe_compact(ref.open(), threshold=5, name="silver.events", emit=events.append) is None
    assert len(file_sizes(ref.open())) == 4 and events == []

    _append(ref, 40)
    result = maybe_compact(ref.open(), threshold=5, name="silver.events", emit=events.append)

    assert result is not None and result.files_removed == 5
    assert len(file_sizes(ref.open())) == 1
    assert [type(e) for e in events] == [TableOptimized]
    assert maybe_compact(ref.open(), threshold=0) is None  # 0 turns it off


def test_auto_compaction_ignores_lone_small_files_of_partitions(ref: TableRef) -> None:
    _append(ref, 0, n=3, partition=True)  # one file in each of three partitions
    assert small_files(ref.open()) == 0
    assert maybe_compact(ref.open(), threshold=2) is None
    _append(ref, 10, n=3, partition=True)
    assert small_files(ref.open()) == 6
    compacted = maybe_compact(ref.open(), threshold=6)
    assert compacted is not None and len(file_sizes(ref.open())) == 3
