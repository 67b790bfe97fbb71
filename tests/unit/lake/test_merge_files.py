"""Which files a copy-on-write merge reads: key ranges from the log's statistics."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa

from sluiceway.lake.merge_files import Candidate, DataFile, KeyIndex, candidates


def _actions(low: list[object], high: list[object], kind: pa.DataType) -> pa.Table:
    count = len(low)
    return pa.table(
        {
            "path": [f"f{i}.parquet" for i in range(count)],
            "size_bytes": [100] * count,
            "num_records": [10] * count,
            "min.k": pa.array(low, kind),
            "max.k": pa.array(high, kind),
        }
    )


def _spans(found: list[Candidate]) -> list[tuple[str, int, int]]:
    return [(c.file.path, c.start, c.stop) for c in found]


def test_each_file_gets_the_slice_of_sorted_keys_in_its_range() -> None:
    actions = _actions([0, 100, 200], [99, 199, 299], pa.int64())
    keys = pa.table({"k": pa.array([5, 7, 250, 400], pa.int64())})  # sorted
    assert _spans(candidates(actions, KeyIndex(keys, "k"))) == [
        ("f0.parquet", 0, 2),
        ("f2.parquet", 2, 3),
    ]


def test_a_file_without_statistics_is_read_for_every_key() -> None:
    actions = _actions([0, None], [9, None], pa.int64())
    keys = pa.table({"k": pa.array([50], pa.int64())})
    assert _spans(candidates(actions, KeyIndex(keys, "k"))) == [("f1.parquet", 0, 1)]
    assert candidates(actions, KeyIndex(keys, "k"))[0].file == DataFile("f1.parquet", 100, 10)


def test_timestamp_bounds_are_widened_by_a_millisecond() -> None:
    # delta-rs cuts timestamp statistics to the millisecond: 12:00:00.000999 is in a file
    # whose recorded maximum is 12:00:00.000
    noon = datetime(2024, 1, 1, 12, tzinfo=UTC)
    kind = pa.timestamp("us", tz="UTC")
    actions = _actions([noon], [noon], kind)
    inside = pa.table({"k": pa.array([noon.replace(microsecond=999)], kind)})
    outside = pa.table({"k": pa.array([noon.replace(microsecond=1001)], kind)})
    assert len(candidates(actions, KeyIndex(inside, "k"))) == 1
    assert candidates(actions, KeyIndex(outside, "k")) == []


def test_string_keys_and_keys_without_usable_bounds() -> None:
    actions = _actions(["a", "m"], ["l", "z"], pa.string())
    keys = pa.table({"k": ["b", "c"]})
    assert _spans(candidates(actions, KeyIndex(keys, "k"))) == [("f0.parquet", 0, 2)]
    floats = _actions([0.0], [1.0], pa.float64())
    far = pa.table({"k": pa.array([5.0])})  # no bounds for floats: every file is read
    assert _spans(candidates(floats, KeyIndex(far, "k"))) == [("f0.parquet", 0, 1)]
