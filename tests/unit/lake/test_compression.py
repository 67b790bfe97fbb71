"""The lake's codec setting reaches every writer: plain writes, staged engine output, merges."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sluiceway.engines.duckdb.engine import DuckDBEngine
from sluiceway.lake.commit import WriteContext
from sluiceway.lake.maintenance import optimize
from sluiceway.lake.service import Lake
from sluiceway.lake.storage import LakeStorage
from sluiceway.spec.materializations import Merge
from sluiceway.spec.settings import TableDefaults


def _codecs(lake: Lake, table: str) -> set[str]:
    root = Path(lake.storage.table_uri(lake.env, lake.table(table).name))
    found = set()
    for path in root.rglob("*.parquet"):
        if "_sw_staging" in path.parts:
            continue
        meta = pq.read_metadata(path)
        found |= {meta.row_group(0).column(i).compression for i in range(meta.num_columns)}
    return found


@pytest.mark.parametrize(("codec", "expected"), [("snappy", "SNAPPY"), ("zstd", "ZSTD")])
def test_every_writer_uses_the_configured_codec(tmp_path: Path, codec: str, expected: str) -> None:
    lake = Lake(LakeStorage(str(tmp_path / "lake")), defaults=TableDefaults(compression=codec))  # type: ignore[arg-type]
    rows = pa.table({"id": pa.array(range(100), pa.int64()), "v": [f"v{i}" for i in range(100)]})

    lake.write("raw.plain", rows, "append", WriteContext("r", "t/plain", 1, source="test"))
    assert _codecs(lake, "raw.plain") == {expected}

    merge = Merge(type="merge", keys=["id"])
    lake.write("raw.keyed", rows, merge, WriteContext("r", "t/keyed", 1, source="test"))
    changed = pa.table({"id": pa.array([5, 500], pa.int64()), "v": ["new", "added"]})
    result = lake.write("raw.keyed", changed, merge, WriteContext("r", "t/keyed", 2, source="t"))
    assert result.metrics["strategy"] == "copy_on_write"
    assert _codecs(lake, "raw.keyed") == {expected}

    ctx = WriteContext("r", "t/staged", 1, source="test")
    with DuckDBEngine() as engine, lake.staging("raw.staged", ctx) as output:
        staged = engine.stage("SELECT range AS id FROM range(10)", {}, output)
        lake.commit_staged("raw.staged", staged, "append", ctx)
    assert _codecs(lake, "raw.staged") == {expected}

    for batch in range(2, 5):  # small files, compacted by maintenance
        ctx = WriteContext("r", "t/plain", batch, source="test")
        lake.write("raw.plain", rows, "append", ctx)
    target = lake.target("raw.plain")
    table = target.open()
    assert table is not None
    result = optimize(table, name="raw.plain", writer_properties=target.writer_properties())
    assert result.files_removed == 4
    live = {Path(uri).name for uri in table.file_uris()}
    root = Path(lake.storage.table_uri(lake.env, lake.table("raw.plain").name))
    compacted = [pq.read_metadata(root / name) for name in live]
    assert {m.row_group(0).column(0).compression for m in compacted} == {expected}
