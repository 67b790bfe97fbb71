"""Which strategy applies a merge batch: the pure choice, and what rules copy-on-write out."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from sluiceway.lake.merge_policy import Decision, Strategy, choose, refusal

ROWS = pa.table({"id": pa.array([1, 2], pa.int64()), "name": ["a", "b"]})


def test_copy_on_write_when_nothing_refuses_it_and_the_batch_is_small() -> None:
    assert choose(None, 10, 1_000).strategy is Strategy.COPY_ON_WRITE
    assert choose(None, 10, 0).strategy is Strategy.COPY_ON_WRITE  # only new keys


def test_merge_when_refused_or_when_the_batch_outweighs_the_files() -> None:
    assert choose("the table is partitioned", 1, 1_000) == Decision(
        Strategy.MERGE, "the table is partitioned"
    )
    assert choose(None, 2_000, 1_000, share=1.0).strategy is Strategy.MERGE
    assert choose(None, 1_000, 1_000, share=1.0).strategy is Strategy.COPY_ON_WRITE


def _table(path: Path, data: pa.Table = ROWS, **options: object) -> DeltaTable:
    write_deltalake(str(path), data, **options)  # type: ignore[arg-type]
    return DeltaTable(str(path))


def test_a_plain_table_and_a_batch_of_its_columns_allow_copy_on_write(tmp_path: Path) -> None:
    assert refusal(_table(tmp_path / "t"), ROWS.schema, ["id"]) is None
    assert refusal(_table(tmp_path / "u"), ROWS.select(["id"]).schema, ["id"]) is None


@pytest.mark.parametrize(
    ("options", "batch", "reason"),
    [
        ({"partition_by": ["name"]}, ROWS.schema, "the table is partitioned"),
        (
            {"configuration": {"delta.appendOnly": "true"}},
            ROWS.schema,
            "the table has constraints or is append-only",
        ),
        (
            {},
            ROWS.append_column("email", pa.array(["x", "y"])).schema,
            "the batch adds column 'email'",
        ),
        ({}, pa.schema([("id", pa.int32()), ("name", pa.string())]), "column 'id' needs a cast"),
    ],
)
def test_what_rules_copy_on_write_out(
    tmp_path: Path, options: dict[str, object], batch: pa.Schema, reason: str
) -> None:
    assert refusal(_table(tmp_path / "t", **options), batch, ["id"]) == reason


def test_tables_with_constraints_or_odd_keys_go_to_merge(tmp_path: Path) -> None:
    table = _table(tmp_path / "c")
    table.alter.add_constraint({"positive": "id > 0"})
    assert refusal(table, ROWS.schema, ["id"]) == (
        "the table uses Delta features a file rewrite must not bypass"
    )
    listed = pa.table({"id": [[1], [2]], "name": ["a", "b"]})
    odd = _table(tmp_path / "l", listed)
    assert refusal(odd, pa.schema(odd.schema().to_arrow()), ["id"]) == (
        "key 'id' has type list<element: int64>"
    )
