"""Helpers of the lake tests: contexts' fixed load time, row comparison, Parquet footers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sluiceway.lake.table import LakeTable

LOADED_AT = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)

# Catalog tests need a lake and a metadata store; every store pair is not worth its time.
LAKE_AND_STORE = pytest.mark.parametrize(
    ("lake_storage", "metadata_backend"),
    [
        pytest.param("file", "sqlite", id="file-sqlite"),
        pytest.param("s3", "sqlite", id="s3-sqlite", marks=pytest.mark.s3),
        pytest.param("file", "postgres", id="file-postgres", marks=pytest.mark.postgres),
    ],
    indirect=True,
)


def rows(table: pa.Table, *, lineage: bool = False) -> list[dict[str, Any]]:
    """The rows of ``table`` as dicts sorted by their values (lineage columns dropped)."""
    keep = [n for n in table.column_names if lineage or not n.startswith("_sw_")]
    return sorted(table.select(keep).to_pylist(), key=lambda r: [repr(r[k]) for k in keep])


def parquet_files(table: LakeTable) -> list[pq.FileMetaData]:
    """The Parquet footers of the table's current files, read on the lake's filesystem."""
    fs = table.storage.filesystem(table.uri)
    prefix = table.uri.rstrip("/") + "/"
    found = []
    for uri in table.delta().file_uris():
        relative = uri.split(prefix, 1)[-1] if prefix in uri else uri.rsplit("/", 1)[-1]
        with fs.open_input_file(relative) as handle:
            found.append(pq.ParquetFile(handle).metadata)
    return found
