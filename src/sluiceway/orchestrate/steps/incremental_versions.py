"""Incremental steps by version: read only the data files committed since the last run.

With ``incremental: {by: version}`` the step records, in its own commit, the Delta version
of every input it read. The next run reads, per input, only the files *added* by the commits
after that version — exactly the new rows of an append-only table, with no column to trust
and no late-row blind spot. A commit in between that removed data (an overwrite, a merge, a
delete) cannot be expressed as "new files": the step then stops with an error naming the
commit, rather than silently missing updates; a full refresh (dropping the step's table)
starts over.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from sluiceway.errors import UsageError

if TYPE_CHECKING:
    import pyarrow.dataset as ds

    from sluiceway.engines.base import Input
    from sluiceway.lake.table import LakeTable

VERSION = "version"


def encode(inputs: dict[str, Input]) -> dict[str, Any]:
    """The watermark of a run: each input's pinned version."""
    return {"versions": {name: item.version for name, item in inputs.items()}}


def since(item: Input, table: LakeTable, after: int | None) -> Input:
    """``item`` restricted to the files added by the commits after version ``after``."""
    if after is None or after >= item.version:
        return item if after is None else _only(item, table, [])
    added = _added_files(table, after, item.version)
    return _only(item, table, added)


def _added_files(table: LakeTable, after: int, upto: int) -> list[dict[str, Any]]:
    """The ``add`` actions of commits ``after+1 … upto``; refuses commits that removed data."""
    filesystem = table.storage.filesystem(table.uri)
    added: dict[str, dict[str, Any]] = {}
    for version in range(after + 1, upto + 1):
        try:
            with filesystem.open_input_stream(f"_delta_log/{version:020d}.json") as stream:
                lines = stream.read().decode("utf-8").splitlines()
        except FileNotFoundError:
            raise UsageError(
                f"{table.name}: the log of version {version} is gone (log retention), so the "
                "changes since the last run cannot be read",
                hint="drop the step's table for a full refresh",
            ) from None
        actions = [json.loads(line) for line in lines if line.strip()]
        operation = next(
            (a["commitInfo"].get("operation") for a in actions if "commitInfo" in a), "?"
        )
        for action in actions:
            remove = action.get("remove")
            if remove and remove.get("dataChange", True):
                raise UsageError(
                    f"{table.name} version {version} ({operation}) removed or rewrote rows; "
                    "incremental by version reads appended rows only",
                    hint="use incremental: {by: <column>}, or drop the step's table for a "
                    "full refresh",
                )
            add = action.get("add")
            if add and add.get("dataChange", True):
                added[add["path"]] = add
    return list(added.values())


def _only(item: Input, table: LakeTable, adds: list[dict[str, Any]]) -> Input:
    """``item`` whose files and dataset are just ``adds``."""
    root = table.uri.rstrip("/")
    paths = [unquote(a["path"]) for a in adds]

    def open_dataset() -> ds.Dataset:
        return _dataset(item, table, adds)

    return replace(item, files=tuple(f"{root}/{p}" for p in paths), open_dataset=open_dataset)


def _dataset(item: Input, table: LakeTable, adds: list[dict[str, Any]]) -> ds.Dataset:
    """A dataset of exactly these files, partition values taken from the log, not paths."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    schema = item.schema
    if not adds:
        return ds.dataset(pa.table({f.name: pa.array([], f.type) for f in schema}))
    partitions = []
    for add in adds:
        values = add.get("partitionValues") or {}
        expression = pc.scalar(True)
        for column in item.partition_by:
            field = schema.field(column)
            raw = values.get(column)
            value = None if raw is None else pa.scalar(raw).cast(field.type)
            term = (
                pc.field(column).is_null()
                if value is None
                else pc.field(column) == pa.scalar(value.as_py(), field.type)
            )
            expression = expression & term
        partitions.append(expression)
    return ds.FileSystemDataset.from_paths(
        [unquote(a["path"]) for a in adds],
        schema=schema,
        format=ds.ParquetFileFormat(),
        filesystem=table.storage.filesystem(table.uri),
        partitions=partitions,
    )
