"""``scd2`` on a local folder and on S3: the full history, row for row, over several batches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest

from sluiceway.lake.commit import CommitResult, WriteContext
from sluiceway.lake.errors import LakeError
from sluiceway.lake.lineage import CREATED_AT, RUN_ID, UPDATED_AT
from sluiceway.lake.names import TableName
from sluiceway.lake.service import Lake
from sluiceway.lake.storage import LakeStorage
from sluiceway.spec.materializations import Scd2

T0 = datetime(2024, 1, 1, tzinfo=UTC)
HISTORY = ["id", "name", "city", "valid_from", "valid_to", "is_current", RUN_ID]
NAME = "silver.customer_history"


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


class Scd2Table:
    """The history table, written through :class:`Lake` as a step would write it."""

    def __init__(self, storage: LakeStorage) -> None:
        self.lake = Lake(storage)
        self.storage = storage
        self.uri = storage.table_uri("prod", TableName.parse(NAME))


def target(storage: LakeStorage) -> Scd2Table:
    return Scd2Table(storage)


def snapshot(
    tgt: Scd2Table, batch: int, rows: list[tuple[int, str, str]], **spec: Any
) -> CommitResult:
    ctx = WriteContext(
        run_id=f"run-{batch}", app_id="crm/history", batch=batch, loaded_at=day(batch)
    )
    table = pa.table(
        {
            "id": pa.array([r[0] for r in rows], pa.int64()),
            "name": pa.array([r[1] for r in rows], pa.string()),
            "city": pa.array([r[2] for r in rows], pa.string()),
        }
    )
    return tgt.lake.write(NAME, table, Scd2(type="scd2", keys=["id"], **spec), ctx)


def history(tgt: Scd2Table, columns: list[str] = HISTORY) -> list[tuple[Any, ...]]:
    data = tgt.lake.table(NAME).read()
    ordered = data.select(columns).sort_by([("id", "ascending"), ("valid_from", "ascending")])
    return [tuple(row[c] for c in columns) for row in ordered.to_pylist()]


def test_history_over_three_batches(lake_storage: LakeStorage) -> None:
    tgt = target(lake_storage)
    first = snapshot(tgt, 1, [(1, "ann", "oslo"), (2, "bob", "rome"), (3, "cy", "lima")])
    # 1 unchanged, 2 moves, 3 disappears (closed), 4 is new
    second = snapshot(tgt, 2, [(1, "ann", "oslo"), (2, "bob", "paris"), (4, "dee", "kyiv")])
    # 1 unchanged, 2 moves again, 3 comes back, 4 disappears
    third = snapshot(tgt, 3, [(1, "ann", "oslo"), (2, "bob", "bern"), (3, "cy", "quito")])

    assert history(tgt) == [
        (1, "ann", "oslo", day(1), None, True, "run-1"),
        (2, "bob", "rome", day(1), day(2), False, "run-1"),
        (2, "bob", "paris", day(2), day(3), False, "run-2"),
        (2, "bob", "bern", day(3), None, True, "run-3"),
        (3, "cy", "lima", day(1), day(2), False, "run-1"),
        (3, "cy", "quito", day(3), None, True, "run-3"),
        (4, "dee", "kyiv", day(2), day(3), False, "run-2"),
    ]
    # Each version row is created when it opens and updated when it closes.
    assert history(tgt, ["id", "valid_from", CREATED_AT, UPDATED_AT]) == [
        (1, day(1), day(1), day(1)),
        (2, day(1), day(1), day(2)),
        (2, day(2), day(2), day(3)),
        (2, day(3), day(3), day(3)),
        (3, day(1), day(1), day(2)),
        (3, day(3), day(3), day(3)),
        (4, day(2), day(2), day(3)),
    ]
    assert (first.rows_added, first.version) == (3, 0)
    # batch 2: inserted the new version of 2 and key 4; closed 2's old version and key 3
    assert (second.rows_added, second.rows_updated, second.rows_unchanged) == (2, 2, 1)
    assert second.metrics["versions_changed"] == 1 and second.metrics["keys_closed"] == 1
    assert (third.rows_added, third.rows_updated, third.rows_unchanged) == (2, 2, 1)
    assert third.metrics["keys_new"] == 1  # key 3 reopened


def test_rerun_is_skipped_and_untracked_changes_open_no_version(lake_storage: LakeStorage) -> None:
    tgt = target(lake_storage)
    snapshot(tgt, 1, [(1, "ann", "oslo")], track=["city"])
    rename = snapshot(tgt, 2, [(1, "ANN", "oslo")], track=["city"])
    again = snapshot(tgt, 2, [(1, "ann", "lima")], track=["city"])
    assert (rename.rows_added, rename.rows_updated, rename.rows_unchanged) == (0, 0, 1)
    assert again.skipped and again.version == rename.version
    assert history(tgt) == [(1, "ann", "oslo", day(1), None, True, "run-1")]


def test_empty_snapshot_closes_every_current_row(lake_storage: LakeStorage) -> None:
    tgt = target(lake_storage)
    snapshot(tgt, 1, [(1, "ann", "oslo"), (2, "bob", "rome")])
    result = snapshot(tgt, 2, [])
    assert result.rows_updated == 2
    assert [row[3:6] for row in history(tgt)] == [(day(1), day(2), False)] * 2


def test_reserved_columns_and_duplicate_keys_are_refused(lake_storage: LakeStorage) -> None:
    tgt = target(lake_storage)
    with pytest.raises(LakeError, match=r"duplicate key.*id=1 \(2×\)"):
        snapshot(tgt, 1, [(1, "ann", "oslo"), (1, "ann", "rome")])
    ctx = WriteContext(run_id="r", app_id="a", batch=1, loaded_at=day(1))
    data = pa.table({"id": [1], "is_current": [True]})
    with pytest.raises(LakeError, match=r"'is_current'.*scd2 maintains itself"):
        tgt.lake.write(NAME, data, Scd2(type="scd2", keys=["id"]), ctx)
    assert not tgt.lake.table(NAME).exists()


def test_valid_from_takes_the_business_time_of_each_change(lake_storage: LakeStorage) -> None:
    tgt = target(lake_storage)

    def changes(batch: int, rows: list[tuple[int, str, datetime | None]]) -> CommitResult:
        ctx = WriteContext(run_id=f"r{batch}", app_id="crm/history", batch=batch, loaded_at=day(30))
        table = pa.table(
            {
                "id": pa.array([r[0] for r in rows], pa.int64()),
                "city": pa.array([r[1] for r in rows], pa.string()),
                # naive timestamps, as most sources give them: read as UTC
                "updated_at": pa.array(
                    [r[2].replace(tzinfo=None) if r[2] else None for r in rows],
                    pa.timestamp("us"),
                ),
            }
        )
        spec = Scd2(type="scd2", keys=["id"], track=["city"], valid_from="updated_at")
        return tgt.lake.write(NAME, table, spec, ctx)

    changes(1, [(1, "oslo", day(1)), (2, "rome", None)])
    changes(2, [(1, "bergen", day(5)), (2, "rome", None)])
    data = tgt.lake.table(NAME).read()
    rows = sorted(
        (r["id"], r["city"], r["valid_from"], r["valid_to"], r["is_current"])
        for r in data.to_pylist()
    )
    assert rows == [
        (1, "bergen", day(5), None, True),
        (1, "oslo", day(1), day(5), False),  # closed when the new version took effect
        (2, "rome", day(30), None, True),  # no business time: the load time
    ]


def test_valid_from_must_be_a_time_column(lake_storage: LakeStorage) -> None:
    tgt = target(lake_storage)
    with pytest.raises(LakeError, match="valid_from column 'city' is string"):
        snapshot(tgt, 1, [(1, "ann", "oslo")], valid_from="city")
