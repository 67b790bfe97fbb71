"""Pin lake tables to the snapshot an engine reads: one :class:`Input` per table.

Pinning happens once per step: every engine, every retry and every check of the step then
reads the same version, even while other writers commit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sluiceway.engines.base import Input

if TYPE_CHECKING:
    from datetime import datetime

    import pyarrow.dataset as ds

    from sluiceway.lake.table import LakeTable

UNSUPPORTED_READER_FEATURES = ("deletionVectors", "columnMapping")
"""Delta reader features a file-list reader cannot honour (it would return deleted rows or
wrong column names); engines that read files directly refuse tables using them."""


def pin(
    table: LakeTable,
    *,
    version: int | None = None,
    as_of: datetime | None = None,
    name: str | None = None,
) -> Input:
    """The snapshot of ``table`` at ``version`` / ``as_of`` (default: latest) as an Input.

    Args:
        table: the lake table.
        version: a Delta version to pin.
        as_of: an instant to pin instead.
        name: the name the SQL uses (default ``layer.name``).
    """
    import pyarrow as pa

    delta = table.delta(version, as_of)
    pinned = int(delta.version())
    protocol = delta.protocol()
    features = tuple(protocol.reader_features or ())

    def open_dataset() -> ds.Dataset:
        return table.dataset(version=pinned, hide_lineage=False)

    size_bytes, never_null = _from_log(delta)

    return Input(
        name=name or str(table.name),
        uri=table.uri,
        version=pinned,
        files=tuple(delta.file_uris()),
        schema=pa.schema(delta.schema().to_arrow()),
        partition_by=tuple(delta.metadata().partition_columns),
        open_dataset=open_dataset,
        storage_options=dict(table.storage.storage_options()),
        features=features,
        size_bytes=size_bytes,
        never_null=never_null,
    )


def _from_log(delta: Any) -> tuple[int | None, frozenset[str] | None]:
    """Total size of the snapshot's data files, and the columns whose statistics show no
    null in any file — both from the log, no data file touched."""
    import pyarrow as pa
    import pyarrow.compute as pc

    actions = pa.table(delta.get_add_actions(flatten=True))
    size = None
    if "size_bytes" in actions.column_names:
        size = int(pc.sum(actions.column("size_bytes")).as_py() or 0)
    prefix = "null_count."
    found = set()
    for name in actions.column_names:
        if not name.startswith(prefix):
            continue
        counts = actions.column(name)
        if counts.null_count == 0 and (pc.sum(counts).as_py() or 0) == 0:
            found.add(name[len(prefix) :])  # every file has the statistic, and it is 0
    return size, frozenset(found) if actions.num_rows else None
