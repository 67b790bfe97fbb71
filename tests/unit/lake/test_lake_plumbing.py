"""The registry of materializations, input shapes, and the ``table_defaults`` settings."""

from __future__ import annotations

from typing import get_args

import pyarrow as pa
import pytest
from pydantic import ValidationError

from sluiceway.errors import UsageError
from sluiceway.lake.materializations import REGISTRY, kind_of, kinds, materializer
from sluiceway.lake.materializations.append import AppendMaterializer
from sluiceway.lake.streams import as_reader, conform
from sluiceway.spec.materializations import Append, Kind
from sluiceway.spec.settings import ProjectSettings, TableDefaults


def test_the_registry_covers_every_spec_kind() -> None:
    assert set(kinds()) == set(get_args(Kind)) == set(REGISTRY)


def test_materializers_resolve_by_spec_or_name_once() -> None:
    assert isinstance(materializer(Append(type="append")), AppendMaterializer)
    assert materializer("append") is materializer(Append(type="append"))
    assert kind_of("overwrite") == "overwrite"
    for kind in kinds():
        assert materializer(kind).kind == kind
    with pytest.raises(UsageError, match="unknown materialization 'merg'"):
        materializer("merg")


def test_input_shapes_become_one_reader() -> None:
    table = pa.table({"a": [1, 2, 3]})
    for shape in (table, table.to_batches()[0], table.to_reader(), iter(table.to_batches())):
        assert as_reader(shape).read_all().equals(table)
    assert as_reader([], schema=table.schema).read_all().num_rows == 0
    with pytest.raises(UsageError, match="no record batches"):
        as_reader([])
    with pytest.raises(UsageError, match="cannot write"):
        as_reader(42)


def test_conform_orders_and_casts_safely() -> None:
    data = pa.table({"b": ["x"], "a": pa.array([1], pa.int32())})
    schema = pa.schema([("a", pa.int64()), ("b", pa.string())])
    assert conform(as_reader(data), schema).read_all().to_pylist() == [{"a": 1, "b": "x"}]
    overflow = pa.table({"a": pa.array([2**40], pa.int64())})
    with pytest.raises(pa.ArrowInvalid):
        conform(as_reader(overflow), pa.schema([("a", pa.int32())])).read_all()


@pytest.mark.parametrize(
    ("text", "size"),
    [("128MB", 128 * 1024**2), ("512KiB", 512 * 1024), ("1.5GB", 1536 * 1024**2), (1000, 1000)],
)
def test_target_file_size_accepts_sizes(text: object, size: int) -> None:
    assert TableDefaults(target_file_size=text).target_file_size == size  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["12XB", 0, -1, True, ""])
def test_target_file_size_refuses_non_sizes(bad: object) -> None:
    with pytest.raises(ValidationError, match="is not a size"):
        TableDefaults(target_file_size=bad)  # type: ignore[arg-type]


def test_table_defaults() -> None:
    defaults = ProjectSettings(name="x").table_defaults
    assert defaults.target_file_size == 128 * 1024**2 and defaults.compression_level == 3
    assert defaults.lineage_columns == "visible" and defaults.autocompact_files == 64
    assert defaults.vacuum_retention.days == 7
    with pytest.raises(ValidationError):
        TableDefaults(lineage_columns="shown")  # type: ignore[arg-type]
