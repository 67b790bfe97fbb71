"""The writing half of a copy-on-write merge: new versions of changed files, and the inserts.

A changed file is streamed in :func:`~sluiceway.lake.merge_parquet.slices`: each slice is
read, its changed rows are replaced in place (same position, so a file sorted by its keys
stays sorted and keeps a tight key range for the next merge), and it is written out as one
row group of the new file. Memory is bounded by a few slices, whatever the file size.

For a changed row, the batch's columns replace the file's, except ``_sw_created_at``,
which is kept from the file (the key was created then); columns of the table the batch does
not have keep the file's values, as an SQL ``UPDATE SET`` of the batch's columns would.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from typing import TYPE_CHECKING

from sluiceway.lake.lineage import CREATED_AT
from sluiceway.lake.merge_parquet import (
    ROW_GROUP_ROWS,
    FileFormat,
    Written,
    ahead,
    row_numbers,
    slices,
    write_file,
)

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.fs as pafs
    import pyarrow.parquet as pq

    from sluiceway.lake.merge_probe import FileChanges


def rewrite(
    parquet: pq.ParquetFile,
    change: FileChanges,
    source: pa.Table,
    filesystem: pafs.FileSystem,
    form: FileFormat,
) -> Written:
    """Write the new version of the file ``parquet``: its rows, the changed ones replaced."""
    positions = change.target_rows.to_pylist()

    def groups() -> Iterator[pa.Table]:
        offset, done = 0, 0
        for group in slices(parquet):
            group = conform(group, form.schema)
            end = offset + group.num_rows
            upto = bisect.bisect_left(positions, end, lo=done)
            if upto > done:
                local = _minus(change.target_rows.slice(done, upto - done), offset)
                rows = source.take(change.source_rows.slice(done, upto - done))
                group = replace_rows(group, local, rows)
            offset, done = end, upto
            yield group

    return write_file(filesystem, ahead(groups()), form)


def write_rows(
    filesystem: pafs.FileSystem, rows: pa.Table, form: FileFormat, rows_per_file: int
) -> list[Written]:
    """Write ``rows`` (the inserts) as new files of about ``rows_per_file`` rows each."""
    rows = conform(rows, form.schema)
    step = max(1, rows_per_file)
    written = []
    for start in range(0, rows.num_rows, step):
        part = rows.slice(start, step)
        chunks = (
            part.slice(offset, ROW_GROUP_ROWS) for offset in range(0, len(part), ROW_GROUP_ROWS)
        )
        written.append(write_file(filesystem, chunks, form))
    return written


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with exactly ``schema``'s columns: cast, and null where a file lacks one."""
    import pyarrow as pa

    columns = []
    for field in schema:
        if field.name in table.column_names:
            column = table.column(field.name)
            columns.append(column if column.type == field.type else column.cast(field.type))
        else:
            columns.append(pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def replace_rows(group: pa.Table, positions: pa.Array, rows: pa.Table) -> pa.Table:
    """``group`` with the rows at ``positions`` (ascending) set from ``rows`` (same order)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    count = group.num_rows
    mask = pc.scatter(pa.repeat(pa.scalar(True), len(positions)), positions, max_index=count - 1)
    mask = pc.fill_null(mask, False)
    columns: list[pa.Array | pa.ChunkedArray] = []
    for field in group.schema:
        if field.name not in rows.column_names:
            columns.append(group.column(field.name))  # kept as read: no copy
            continue
        new = rows.column(field.name).combine_chunks().cast(field.type)
        before = group.column(field.name).take(positions).combine_chunks()
        if field.name == CREATED_AT:
            new = pc.coalesce(before, new)
        if _same(before, new):  # e.g. the keys, or a column this change did not touch
            columns.append(group.column(field.name))
            continue
        columns.append(_replace(group.column(field.name).combine_chunks(), mask, new))
    return pa.Table.from_arrays(columns, schema=group.schema)


def _same(before: pa.Array, after: pa.Array) -> bool:
    """True when every value is equal and non-null on both sides (nulls count as a change)."""
    import pyarrow.compute as pc

    try:
        return bool(pc.all(pc.fill_null(pc.equal(before, after), False)).as_py())
    except (NotImplementedError, TypeError, ValueError):  # types without equality
        return False


def _replace(old: pa.Array, mask: pa.Array, new: pa.Array) -> pa.Array:
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        return pc.replace_with_mask(old, mask, new)
    except pa.ArrowNotImplementedError:  # nested types: pick each row from old or new
        picks = pc.replace_with_mask(
            row_numbers(len(old)), mask, pc.add(row_numbers(len(new)), len(old))
        )
        return pa.concat_arrays([old, new]).take(picks)


def _minus(values: pa.Array, offset: int) -> pa.Array:
    import pyarrow.compute as pc

    return pc.subtract(values, offset) if offset else values
