"""A copy-on-write merge that races another writer: the loser's commit is rejected, nothing
it wrote stays behind, and its retry applies the batch on top of the winner's rows.

The race is staged deterministically: the loser probes and rewrites against a table handle
loaded *before* the winner committed, exactly as a slower concurrent process would.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest

from sluiceway.lake import merge_policy
from sluiceway.lake.commit import CommitResult, WriteContext, is_conflict
from sluiceway.lake.lineage import with_lineage
from sluiceway.lake.materializations.base import Target
from sluiceway.lake.materializations.merge import MergeMaterializer, merge_into, prepare
from sluiceway.lake.merge_source import read_source
from sluiceway.lake.names import TableName
from sluiceway.lake.storage import LakeStorage
from sluiceway.spec.materializations import Merge

LOADED_AT = datetime(2026, 3, 1, tzinfo=UTC)


def _target(storage: LakeStorage) -> Target:
    name = TableName.parse("silver.raced")
    return Target(name, storage.table_uri("prod", name), storage)


def _ctx(app: str, batch: int) -> WriteContext:
    return WriteContext(run_id=f"{app}-{batch}", app_id=app, batch=batch, loaded_at=LOADED_AT)


def _merge(tgt: Target, app: str, batch: int, rows: dict[str, list[Any]]) -> CommitResult:
    ctx = _ctx(app, batch)
    data = with_lineage(pa.table(rows).to_reader(), ctx)
    return MergeMaterializer().write(tgt, data, ctx, Merge(type="merge", keys=["id"]))


def _stale_merge(
    tgt: Target, stale: Any, app: str, batch: int, rows: dict[str, list[Any]]
) -> CommitResult:
    """The loser's attempt: everything computed from ``stale``, the pre-race version."""
    ctx = _ctx(app, batch)
    source = read_source(with_lineage(pa.table(rows).to_reader(), ctx))
    return merge_into(stale, tgt, prepare(source, ["id"], None, ctx, "silver.raced"), ["id"], ctx)


def _rows(tgt: Target) -> list[tuple[int, int]]:
    table = tgt.open()
    assert table is not None
    data = table.to_pyarrow_dataset(filesystem=tgt.storage.filesystem(tgt.uri)).to_table()
    return sorted(zip(data["id"].to_pylist(), data["v"].to_pylist(), strict=True))


def _folder(tgt: Target) -> set[str]:
    from pyarrow.fs import FileSelector

    found = tgt.storage.filesystem(tgt.uri).get_file_info(FileSelector("", recursive=False))
    return {f.path for f in found if f.path.endswith(".parquet")}


def test_a_rewrite_of_a_file_another_writer_rewrote_is_rejected_and_retried(
    lake_storage: LakeStorage,
) -> None:
    tgt = _target(lake_storage)
    _merge(tgt, "seed/step", 1, {"id": [1, 2, 3], "v": [0, 0, 0]})
    stale = tgt.open()

    winner = _merge(tgt, "a/step", 1, {"id": [1], "v": [10]})
    assert winner.metrics["strategy"] == "copy_on_write"
    files = _folder(tgt)
    with pytest.raises(Exception) as lost:
        _stale_merge(tgt, stale, "b/step", 1, {"id": [2], "v": [20]})
    assert is_conflict(lost.value)
    assert _folder(tgt) == files  # the loser's new files were deleted
    assert _rows(tgt) == [(1, 10), (2, 0), (3, 0)]

    retried = _merge(tgt, "b/step", 1, {"id": [2], "v": [20]})  # what the retry loop runs
    assert (retried.rows_updated, retried.skipped) == (1, False)
    assert _rows(tgt) == [(1, 10), (2, 20), (3, 0)]


@pytest.mark.parametrize("winner_strategy", [s.value for s in merge_policy.Strategy])
def test_two_writers_inserting_the_same_new_key_never_both_commit(
    lake_storage: LakeStorage, monkeypatch: pytest.MonkeyPatch, winner_strategy: str
) -> None:
    # delta-rs checks a plain write only against files removed concurrently, not added: the
    # insert guard is what makes the second insert of key 9 conflict.
    tgt = _target(lake_storage)
    _merge(tgt, "seed/step", 1, {"id": [1, 2, 3], "v": [0, 0, 0]})
    stale = tgt.open()

    forced = merge_policy.Decision(merge_policy.Strategy(winner_strategy), "forced by the test")
    with monkeypatch.context() as patch:
        patch.setattr(merge_policy, "choose", lambda *args, **kwargs: forced)
        winner = _merge(tgt, "a/step", 1, {"id": [9], "v": [1]})
    assert winner.metrics["strategy"] == winner_strategy and winner.rows_added == 1
    with pytest.raises(Exception) as lost:
        _stale_merge(tgt, stale, "b/step", 1, {"id": [9], "v": [2]})
    assert is_conflict(lost.value)

    retried = _merge(tgt, "b/step", 1, {"id": [9], "v": [2]})
    assert (retried.rows_added, retried.rows_updated) == (0, 1)
    assert _rows(tgt) == [(1, 0), (2, 0), (3, 0), (9, 2)]
