"""The source side of ``merge`` and ``scd2``: one batch in memory, its keys checked.

A MERGE needs its source whole (delta-rs joins it against the target, and the narrowing
needs its key ranges before the merge starts), so the batch is read into one Arrow table
here. Its keys are then checked, because delta-rs would accept bad keys silently: a key
twice in the source makes the MERGE fail half-way with an opaque error (or, for inserts,
write both rows), and a null key matches nothing, so it would be inserted again on every run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sluiceway.lake.errors import LakeError

if TYPE_CHECKING:
    import pyarrow as pa

SHOWN_DUPLICATES = 5


def read_source(data: pa.RecordBatchReader) -> pa.Table:
    """The whole batch as one table (merges need their source in memory anyway)."""
    return data.read_all()


def check_keys(source: pa.Table, keys: Sequence[str], table: str) -> None:
    """Raise a :class:`LakeError` naming the problem if ``keys`` do not identify rows.

    Cheap on the good path: one ``count_distinct`` (one key) or one hash aggregation
    (several keys); the duplicates are only looked up to write the message.
    """
    import pyarrow.compute as pc

    missing = [k for k in keys if k not in source.column_names]
    if missing:
        raise LakeError(
            f"{table}: key column(s) {', '.join(map(repr, missing))} not in the result",
            hint=f"the result has {', '.join(source.column_names)}",
        )
    for key in keys:
        nulls = source.column(key).null_count
        if nulls:
            raise LakeError(
                f"{table}: key column {key!r} is null in {nulls} row(s) of the batch",
                hint="a null key matches nothing; filter or fill those rows in the query",
            )
    if source.num_rows < 2:
        return
    if len(keys) == 1:
        distinct = pc.count_distinct(source.column(keys[0])).as_py()
    else:
        distinct = source.select(list(keys)).group_by(list(keys)).aggregate([]).num_rows
    if distinct == source.num_rows:
        return
    examples = duplicate_keys(source, keys, SHOWN_DUPLICATES)
    shown = "; ".join(
        ", ".join(f"{k}={row[k]!r}" for k in keys) + f" ({row['count_all']}×)" for row in examples
    )
    raise LakeError(
        f"{table}: {source.num_rows - distinct} duplicate key(s) in the batch, e.g. {shown}",
        hint=f"make ({', '.join(keys)}) unique in the query, e.g. with QUALIFY ROW_NUMBER() = 1",
    )


def duplicate_keys(source: pa.Table, keys: Sequence[str], limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` key values that occur more than once, with how often."""
    import pyarrow.compute as pc

    counts = source.select(list(keys)).group_by(list(keys)).aggregate([([], "count_all")])
    dupes = counts.filter(pc.greater(counts.column("count_all"), 1))
    return dupes.slice(0, limit).to_pylist()


def replace_column(table: pa.Table, name: str, values: pa.Array | pa.ChunkedArray) -> pa.Table:
    """``table`` with column ``name`` set to ``values`` (appended if it was not there)."""
    if name in table.column_names:
        return table.set_column(table.column_names.index(name), name, values)
    return table.append_column(name, values)


def constant(value: Any, type_: pa.DataType, length: int) -> pa.Array:
    """An array of ``length`` copies of ``value`` (no Python list of that length)."""
    import pyarrow as pa

    if value is None:
        return pa.nulls(length, type_)
    return pa.repeat(pa.scalar(value, type_), length)


def keyed_and_hashed(
    source: pa.Table, keys: Sequence[str], track: Sequence[str] | None, table: str
) -> pa.Table:
    """``source`` with its keys checked and ``_sw_row_hash`` of the tracked columns set."""
    from sluiceway.lake.lineage import ROW_HASH
    from sluiceway.lake.merge_hash import row_hash, tracked_columns

    check_keys(source, keys, table)
    tracked = tracked_columns(source.column_names, keys, track)
    missing = [c for c in tracked if c not in source.column_names]
    if missing:
        raise LakeError(
            f"{table}: tracked column(s) {', '.join(map(repr, missing))} not in the result",
            hint="fix `track:` in the step's materialization",
        )
    return replace_column(source, ROW_HASH, row_hash(source, tracked))
