"""``merge`` on a local folder and on S3: rows, lineage, metrics, errors, narrowing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest

from sluiceway.lake.commit import CommitResult, WriteContext
from sluiceway.lake.errors import LakeError
from sluiceway.lake.lineage import CREATED_AT, ROW_HASH, RUN_ID, UPDATED_AT, with_lineage
from sluiceway.lake.materializations.base import Target
from sluiceway.lake.materializations.merge import MergeMaterializer
from sluiceway.lake.names import TableName
from sluiceway.lake.storage import LakeStorage
from sluiceway.spec.materializations import Merge

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


def target(storage: LakeStorage, partition_by: tuple[str, ...] = ()) -> Target:
    name = TableName.parse("silver.customers")
    return Target(name, storage.table_uri("prod", name), storage, partition_by=partition_by)


def merge(
    tgt: Target,
    batch: int,
    rows: dict[str, list[Any]],
    keys: tuple[str, ...] = ("id",),
    **spec: Any,
) -> CommitResult:
    ctx = WriteContext(
        run_id=f"run-{batch}", app_id="crm/customers", batch=batch, loaded_at=day(batch)
    )
    data = with_lineage(pa.table(rows).to_reader(), ctx)
    return MergeMaterializer().write(tgt, data, ctx, Merge(type="merge", keys=list(keys), **spec))


def read(tgt: Target, columns: list[str], order: tuple[str, ...] = ("id",)) -> list[dict[str, Any]]:
    table = tgt.open()
    assert table is not None
    data = table.to_pyarrow_dataset(filesystem=tgt.storage.filesystem(tgt.uri)).to_table()
    return data.select(columns).sort_by([(c, "ascending") for c in order]).to_pylist()


def test_upsert_row_for_row(lake_storage: LakeStorage) -> None:
    tgt = target(lake_storage)
    first = merge(tgt, 1, {"id": [1, 2, 3, 4], "name": ["ann", "bob", "cy", "dee"]})
    assert (first.rows_added, first.version) == (4, 0)

    second = merge(tgt, 2, {"id": [2, 3, 5], "name": ["bob", "CY", "eve"]})

    columns = ["id", "name", RUN_ID, CREATED_AT, UPDATED_AT]
    assert read(tgt, columns) == [
        {"id": 1, "name": "ann", RUN_ID: "run-1", CREATED_AT: day(1), UPDATED_AT: day(1)},
        # unchanged: keeps the run id and timestamps of the load that last changed it
        {"id": 2, "name": "bob", RUN_ID: "run-1", CREATED_AT: day(1), UPDATED_AT: day(1)},
        # changed: keeps created-at, gets the new run and updated-at
        {"id": 3, "name": "CY", RUN_ID: "run-2", CREATED_AT: day(1), UPDATED_AT: day(2)},
        {"id": 4, "name": "dee", RUN_ID: "run-1", CREATED_AT: day(1), UPDATED_AT: day(1)},
        {"id": 5, "name": "eve", RUN_ID: "run-2", CREATED_AT: day(2), UPDATED_AT: day(2)},
    ]
    assert (second.rows_added, second.rows_updated, second.rows_unchanged) == (1, 1, 1)
    assert (second.rows_deleted, second.version, second.skipped) == (0, 1, False)
    assert second.files_added >= 1 and second.files_removed == 1


def test_rerun_of_a_committed_batch_is_skipped(lake_storage: LakeStorage) -> None:
    tgt = target(lake_storage)
    merge(tgt, 1, {"id": [1], "name": ["ann"]})
    merge(tgt, 2, {"id": [1], "name": ["ANN"]})
    again = merge(tgt, 2, {"id": [1], "name": ["something else"]})
    older = merge(tgt, 1, {"id": [1], "name": ["older"]})
    assert again.skipped and older.skipped and again.version == 1
    assert read(tgt, ["id", "name"]) == [{"id": 1, "name": "ANN"}]
    # A batch that changes nothing still records itself, so its re-run is skipped too.
    unchanged = merge(tgt, 3, {"id": [1], "name": ["ANN"]})
    assert (unchanged.rows_unchanged, unchanged.rows_updated, unchanged.version) == (1, 0, 2)
    assert merge(tgt, 3, {"id": [1], "name": ["late"]}).skipped
    assert read(tgt, ["id", "name"]) == [{"id": 1, "name": "ANN"}]


def test_only_tracked_columns_count_as_changes(lake_storage: LakeStorage) -> None:
    tgt = target(lake_storage)
    merge(tgt, 1, {"id": [1, 2], "name": ["ann", "bob"], "seen": [1, 1]}, track=["name"])
    result = merge(tgt, 2, {"id": [1, 2], "name": ["ann", "BOB"], "seen": [2, 2]}, track=["name"])
    assert (result.rows_updated, result.rows_unchanged) == (1, 1)
    assert read(tgt, ["id", "name", "seen"]) == [
        {"id": 1, "name": "ann", "seen": 1},
        {"id": 2, "name": "BOB", "seen": 2},
    ]


def test_new_nullable_column_is_added(lake_storage: LakeStorage) -> None:
    tgt = target(lake_storage)
    merge(tgt, 1, {"id": [1, 2], "name": ["ann", "bob"]})
    merge(tgt, 2, {"id": [2, 3], "name": ["bob", "cy"], "email": ["b@x", "c@x"]})
    assert read(tgt, ["id", "name", "email"]) == [
        {"id": 1, "name": "ann", "email": None},
        # the new column changes the row's hash, so the row takes the new value
        {"id": 2, "name": "bob", "email": "b@x"},
        {"id": 3, "name": "cy", "email": "c@x"},
    ]


def test_duplicate_keys_are_refused_with_their_values(lake_storage: LakeStorage) -> None:
    tgt = target(lake_storage)
    rows = {"id": [7, 8, 7, 9], "k": ["a'b", "x", "a'b", "y"], "v": [1, 2, 3, 4]}
    with pytest.raises(LakeError, match=r"1 duplicate key.*id=7, k=\"a'b\" \(2×\)"):
        merge(tgt, 1, rows, keys=("id", "k"))
    with pytest.raises(LakeError, match=r"id=7 \(2×\)"):
        merge(tgt, 1, rows, keys=("id",))
    assert tgt.open() is None  # nothing written


def test_null_and_missing_keys_are_refused(lake_storage: LakeStorage) -> None:
    tgt = target(lake_storage)
    with pytest.raises(LakeError, match="key column 'id' is null in 1 row"):
        merge(tgt, 1, {"id": [1, None], "v": [1, 2]})
    with pytest.raises(LakeError, match="key column\\(s\\) 'code' not in the result"):
        merge(tgt, 1, {"id": [1], "v": [1]}, keys=("code",))


def test_narrowed_merge_rewrites_only_the_touched_partition(lake_storage: LakeStorage) -> None:
    tgt = target(lake_storage, partition_by=("region",))
    regions = ["eu", "us", "ap"] * 4
    merge(tgt, 1, {"region": regions, "id": list(range(12)), "v": [0] * 12}, keys=("region", "id"))
    before = tgt.open()
    assert before is not None
    files_before = set(before.file_uris())

    result = merge(
        tgt, 2, {"region": ["eu", "eu"], "id": [0, 100], "v": [1, 1]}, keys=("region", "id")
    )

    after = tgt.open()
    assert after is not None
    files_after = set(after.file_uris())
    removed, added = files_before - files_after, files_after - files_before
    assert removed and all("region=eu" in f for f in removed)
    assert added and all("region=eu" in f for f in added)
    assert {f for f in files_before if "region=eu" not in f} <= files_after
    assert result.metrics["num_target_files_skipped_during_scan"] == 2
    assert (result.rows_added, result.rows_updated) == (1, 1)


def test_key_ranges_skip_files_of_other_keys(lake_storage: LakeStorage) -> None:
    tgt = target(lake_storage)
    merge(tgt, 1, {"id": list(range(100)), "v": [0] * 100})
    merge(tgt, 2, {"id": list(range(100, 200)), "v": [0] * 100})  # a second file
    table = tgt.open()
    assert table is not None
    files_before = set(table.file_uris())
    assert len(files_before) == 2

    result = merge(tgt, 3, {"id": [150, 160], "v": [1, 1]})

    table = tgt.open()
    assert table is not None
    kept = files_before & set(table.file_uris())
    assert len(kept) == 1 and result.files_removed == 1  # the 0..99 file was not rewritten
    assert result.metrics["num_target_files_skipped_during_scan"] == 1
    assert '"t"."id" >= 150' in result.metrics["predicate"]


def test_hash_is_stored(lake_storage: LakeStorage) -> None:
    tgt = target(lake_storage)
    merge(tgt, 1, {"id": [1, 2], "name": ["same", "same"]})
    rows = read(tgt, ["id", ROW_HASH])
    assert rows[0][ROW_HASH] == rows[1][ROW_HASH] and isinstance(rows[0][ROW_HASH], int)
