"""``merge`` on a local folder and on S3: rows, lineage, metrics, errors, narrowing.

Every behaviour that does not depend on the strategy is checked on both: copy-on-write and
delta-rs MERGE (the ``strategy`` fixture forces the policy's choice where both apply).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest

from sluiceway.lake import merge_policy
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


@pytest.fixture(params=[s.value for s in merge_policy.Strategy])
def strategy(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Force the strategy wherever the policy could choose either (returns its name)."""
    forced = merge_policy.Strategy(request.param)
    choose = merge_policy.choose

    def forcing(refusal: str | None, *args: Any, **kwargs: Any) -> merge_policy.Decision:
        if refusal is not None:
            return choose(refusal, *args, **kwargs)
        return merge_policy.Decision(forced, "forced by the test")

    monkeypatch.setattr(merge_policy, "choose", forcing)
    return str(request.param)


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


def test_upsert_row_for_row(lake_storage: LakeStorage, strategy: str) -> None:
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
    assert second.metrics["strategy"] == strategy


def test_rerun_of_a_committed_batch_is_skipped(lake_storage: LakeStorage, strategy: str) -> None:
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


def test_only_tracked_columns_count_as_changes(lake_storage: LakeStorage, strategy: str) -> None:
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
    result = merge(tgt, 2, {"id": [2, 3], "name": ["bob", "cy"], "email": ["b@x", "c@x"]})
    # schema evolution is MERGE's: copy-on-write only rewrites files as they are
    assert result.metrics["strategy"] == "merge"
    assert result.metrics["strategy_reason"] == "the batch adds column 'email'"
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
    assert result.metrics["strategy_reason"] == "the table is partitioned"


def test_key_ranges_skip_files_of_other_keys(lake_storage: LakeStorage, strategy: str) -> None:
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
    if strategy == "merge":
        assert '"t"."id" >= 150' in result.metrics["predicate"]
    assert read(tgt, ["id", "v"])[149:152] == [
        {"id": 149, "v": 0},
        {"id": 150, "v": 1},
        {"id": 151, "v": 0},
    ]


def test_hash_is_stored(lake_storage: LakeStorage, strategy: str) -> None:
    tgt = target(lake_storage)
    merge(tgt, 1, {"id": [1, 2], "name": ["same", "same"]})
    rows = read(tgt, ["id", ROW_HASH])
    assert rows[0][ROW_HASH] == rows[1][ROW_HASH] and isinstance(rows[0][ROW_HASH], int)


def test_composite_keys_row_for_row(lake_storage: LakeStorage, strategy: str) -> None:
    tgt = target(lake_storage)
    keys = ("order", "line")
    merge(tgt, 1, {"order": [1, 1, 2], "line": [1, 2, 1], "qty": [5, 6, 7]}, keys=keys)
    result = merge(tgt, 2, {"order": [1, 2, 2], "line": [2, 1, 2], "qty": [60, 7, 8]}, keys=keys)
    assert result.metrics["strategy"] == strategy
    assert (result.rows_updated, result.rows_unchanged, result.rows_added) == (1, 1, 1)
    assert read(tgt, ["order", "line", "qty", RUN_ID], order=keys) == [
        {"order": 1, "line": 1, "qty": 5, RUN_ID: "run-1"},
        {"order": 1, "line": 2, "qty": 60, RUN_ID: "run-2"},
        {"order": 2, "line": 1, "qty": 7, RUN_ID: "run-1"},
        {"order": 2, "line": 2, "qty": 8, RUN_ID: "run-2"},
    ]


def test_a_table_without_files_takes_inserts(lake_storage: LakeStorage, strategy: str) -> None:
    tgt = target(lake_storage)
    merge(tgt, 1, {"id": pa.array([], pa.int64()), "name": pa.array([], pa.string())})
    result = merge(tgt, 2, {"id": [1, 2], "name": ["ann", "bob"]})
    assert (result.rows_added, result.metrics["strategy"]) == (2, strategy)
    assert read(tgt, ["id", "name", CREATED_AT]) == [
        {"id": 1, "name": "ann", CREATED_AT: day(2)},
        {"id": 2, "name": "bob", CREATED_AT: day(2)},
    ]


def test_table_columns_missing_from_the_batch_keep_their_values(
    lake_storage: LakeStorage, strategy: str
) -> None:
    tgt = target(lake_storage)
    merge(tgt, 1, {"id": [1, 2], "name": ["ann", "bob"], "email": ["a@x", "b@x"]})
    result = merge(tgt, 2, {"id": [2, 3], "name": ["BOB", "cy"]})
    assert result.metrics["strategy"] == strategy
    assert read(tgt, ["id", "name", "email", RUN_ID]) == [
        {"id": 1, "name": "ann", "email": "a@x", RUN_ID: "run-1"},
        {"id": 2, "name": "BOB", "email": "b@x", RUN_ID: "run-2"},  # updated, email kept
        {"id": 3, "name": "cy", "email": None, RUN_ID: "run-2"},  # inserted
    ]


def test_rows_of_a_file_written_before_a_column_was_added(
    lake_storage: LakeStorage, strategy: str
) -> None:
    tgt = target(lake_storage)
    merge(tgt, 1, {"id": [1, 2], "name": ["ann", "bob"]})  # this file has no email column
    merge(tgt, 2, {"id": [3], "name": ["cy"], "email": ["c@x"]})  # MERGE adds the column
    result = merge(tgt, 3, {"id": [1, 3], "name": ["ANN", "CY"], "email": ["a@x", "c@x"]})
    assert result.metrics["strategy"] == strategy
    assert (result.rows_updated, result.rows_added) == (2, 0)
    assert read(tgt, ["id", "name", "email", CREATED_AT, UPDATED_AT]) == [
        {"id": 1, "name": "ANN", "email": "a@x", CREATED_AT: day(1), UPDATED_AT: day(3)},
        {"id": 2, "name": "bob", "email": None, CREATED_AT: day(1), UPDATED_AT: day(1)},
        {"id": 3, "name": "CY", "email": "c@x", CREATED_AT: day(2), UPDATED_AT: day(3)},
    ]


def test_copy_on_write_keeps_rows_in_place_and_file_ranges_tight(
    lake_storage: LakeStorage,
) -> None:
    """A rewritten file keeps its rows' order, so a table sorted by key stays narrowable."""
    tgt = target(lake_storage)
    merge(tgt, 1, {"id": list(range(0, 1000, 2)), "v": [0] * 500})
    merge(tgt, 2, {"id": list(range(1000, 2000, 2)), "v": [0] * 500})  # a second file
    ranges_before = _file_ranges(tgt)

    changed = merge(tgt, 3, {"id": [10, 500, 1500, 1502], "v": [1, 1, 1, 1]})

    assert changed.metrics["strategy"] == "copy_on_write"
    assert (changed.files_removed, changed.files_added) == (2, 2)
    assert _file_ranges(tgt) == ranges_before  # same key range per file
    assert _file_order(tgt) == sorted(_file_order(tgt))
    narrow = merge(tgt, 4, {"id": [1998], "v": [2]})
    assert (narrow.files_removed, narrow.metrics["num_target_files_scanned"]) == (1, 1)


def test_copy_on_write_writes_the_statistics_delta_rs_writes(lake_storage: LakeStorage) -> None:
    """Readers skip files by the log's statistics: a rewritten file must keep them exact."""
    from deltalake import write_deltalake

    tgt = target(lake_storage)
    rows = {
        "id": list(range(6)),
        "name": ["ann", "bob", None, "dee", "eve", "fay"],
        "amount": [1.5, -2.0, 3.25, None, 0.0, 7.0],
        "day": [date(2024, 1, d) for d in range(1, 7)],
        "at": [datetime(2024, 1, d, 12, 30, 15, 123456, tzinfo=UTC) for d in range(1, 7)],
    }
    merge(tgt, 1, rows)
    result = merge(tgt, 2, {k: v[:1] for k, v in {**rows, "name": ["ANN"]}.items()})
    assert result.metrics["strategy"] == "copy_on_write" and result.files_added == 1
    ours = _stats(tgt.open())

    name = TableName.parse("silver.reference")
    reference = Target(name, lake_storage.table_uri("prod", name), lake_storage)
    table = tgt.open()
    assert table is not None
    written = table.to_pyarrow_dataset(filesystem=tgt.storage.filesystem(tgt.uri)).to_table()
    write_deltalake(reference.uri, written, storage_options=reference.storage_options())
    theirs = _stats(reference.open())
    # Delta keeps timestamps to the millisecond; delta-rs cuts the maximum down (12:30:15.123
    # for .123456), which is no upper bound. The lake rounds it up, so it stays one.
    assert theirs.pop("max.at") == datetime(2024, 1, 6, 12, 30, 15, 123000, tzinfo=UTC)
    assert ours.pop("max.at") == datetime(2024, 1, 6, 12, 30, 15, 124000, tzinfo=UTC)
    assert ours == theirs


def _stats(table: Any) -> dict[str, Any]:
    """The single file's record count, per-column null counts and bounds (ms timestamps)."""
    stats = pa.table(table.get_add_actions(flatten=True)).to_pylist()
    assert len(stats) == 1
    return {k: v for k, v in stats[0].items() if k.split(".")[0] in BOUNDS}


BOUNDS = ("num_records", "null_count", "min", "max")


def _file_ranges(tgt: Target) -> list[tuple[int, int]]:
    table = tgt.open()
    assert table is not None
    actions = pa.table(table.get_add_actions(flatten=True))
    return sorted(zip(actions["min.id"].to_pylist(), actions["max.id"].to_pylist(), strict=True))


def _file_order(tgt: Target) -> list[int]:
    """The ids in storage order, file by file (files taken by their smallest id)."""
    import pyarrow.parquet as pq

    table = tgt.open()
    assert table is not None
    fs = tgt.storage.filesystem(tgt.uri)
    files = pa.table(table.get_add_actions(flatten=True)).sort_by("min.id")
    ids: list[int] = []
    for path in files["path"].to_pylist():
        with fs.open_input_file(path) as handle:
            ids += pq.read_table(handle, columns=["id"])["id"].to_pylist()
    return ids
