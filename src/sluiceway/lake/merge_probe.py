"""The reading half of a copy-on-write merge: which rows of a file the batch really changes.

Only the key columns and ``_sw_row_hash`` of a candidate file (see
:mod:`sluiceway.lake.merge_files`) are read, slice by slice, and joined with the batch's
keys. That tells, before anything is written:

* the positions of the file's rows whose hash changed, with the batch row replacing each
  — a file with no changed row is not rewritten at all, so unchanged rows keep their run
  id and timestamps, and their file stays;
* the batch rows the file matched; once every candidate file is probed, the batch rows
  no file matched are the inserts (:func:`inserts`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sluiceway.lake.lineage import ROW_HASH
from sluiceway.lake.merge_files import Candidate, DataFile, KeyIndex
from sluiceway.lake.merge_parquet import row_numbers, slices

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.parquet as pq

SOURCE_ROW = "_sw_source_row"
TARGET_ROW = "_sw_target_row"
OLD_HASH = "_sw_old_hash"


@dataclass(frozen=True)
class FileChanges:
    """The rows of one file the batch changes: ascending file positions, batch positions."""

    file: DataFile
    target_rows: pa.Array
    source_rows: pa.Array


@dataclass(frozen=True)
class FileProbe:
    """What the batch does to one file: its changes (None: none), matched batch rows."""

    changes: FileChanges | None
    matched: pa.Array
    unchanged: int

    @property
    def updated(self) -> int:
        """Rows of the file the batch changes."""
        return 0 if self.changes is None else len(self.changes.target_rows)


def sorted_keys(source: pa.Table, keys: Sequence[str]) -> pa.Table:
    """The batch's keys, hash and row position, sorted by the first key."""
    import pyarrow.compute as pc

    keyed = source.select([*keys, ROW_HASH]).append_column(SOURCE_ROW, row_numbers(source.num_rows))
    return keyed.take(pc.sort_indices(keyed, sort_keys=[(keys[0], "ascending")]))


def probe_file(
    parquet: pq.ParquetFile, candidate: Candidate, index: KeyIndex, keys: Sequence[str]
) -> FileProbe:
    """Match the file's keys with the batch's (``index``: of :func:`sorted_keys`).

    Each slice of the file is matched only with the batch keys within its own key range,
    so a file sorted by its keys costs a lookup among few keys per slice.

    A file without ``_sw_row_hash`` (written before the table was first merged into) has
    every matched row changed; a file without a key column (added to the table later)
    matches nothing.
    """
    import pyarrow as pa

    names = set(parquet.schema_arrow.names)
    if not set(keys) <= names:
        return FileProbe(None, pa.array([], pa.int64()), 0)
    columns = [*keys, ROW_HASH] if ROW_HASH in names else list(keys)
    matched: list[pa.Array] = []
    changed: list[pa.Table] = []
    offset = 0
    for part in slices(parquet, columns):
        low, high = index.bounds(part.column(keys[0]))
        span = index.span(low, high, candidate.start, candidate.stop)
        if len(span):
            batch = index.table.slice(span.start, len(span))
            found, rows = _match(part, offset, batch, keys)
            matched.append(found)
            changed.append(rows)
        offset += part.num_rows
    every = pa.concat_arrays(matched) if matched else pa.array([], pa.int64())
    rows = pa.concat_tables(changed) if changed else None
    if rows is None or rows.num_rows == 0:
        return FileProbe(None, every, len(every))
    change = FileChanges(
        candidate.file,
        rows.column(TARGET_ROW).combine_chunks(),
        rows.column(SOURCE_ROW).combine_chunks(),
    )
    return FileProbe(change, every, len(every) - rows.num_rows)


def inserts(count: int, probes: Sequence[FileProbe]) -> pa.Array:
    """Positions (ascending) of the batch's ``count`` rows that no probed file matched."""
    import pyarrow as pa
    import pyarrow.compute as pc

    matched = [p.matched for p in probes if len(p.matched)]
    if not matched or count == 0:
        return row_numbers(count)
    hits = pa.repeat(pa.scalar(True), sum(len(m) for m in matched))
    seen = pc.fill_null(pc.scatter(hits, pa.concat_arrays(matched), max_index=count - 1), False)
    return pc.cast(pc.indices_nonzero(pc.invert(seen)), pa.int64())


def _match(
    part: pa.Table, offset: int, batch: pa.Table, keys: Sequence[str]
) -> tuple[pa.Array, pa.Table]:
    """The batch rows matching ``part`` (a slice of a file starting at row ``offset``), and
    the changed ones as (file position, batch position), in file order."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(keys) == 1:  # a hash lookup, without materializing a join
        key = part.column(keys[0]).cast(batch.schema.field(keys[0]).type)
        found = pc.index_in(key, value_set=batch.column(keys[0]))
        hit = pc.is_valid(found)
        positions = pc.add(pc.cast(pc.indices_nonzero(hit), pa.int64()), offset)
        rows = batch.take(found.filter(hit))
        joined = pa.table({TARGET_ROW: positions, SOURCE_ROW: rows.column(SOURCE_ROW)})
        joined = joined.append_column(ROW_HASH, rows.column(ROW_HASH))
        old = part.column(ROW_HASH).filter(hit) if ROW_HASH in part.column_names else None
    else:
        target = part.select(list(keys)).cast(batch.select(list(keys)).schema)
        target = target.append_column(TARGET_ROW, pc.add(row_numbers(part.num_rows), offset))
        if ROW_HASH in part.column_names:
            target = target.append_column(OLD_HASH, part.column(ROW_HASH))
        joined = target.join(batch, list(keys), join_type="inner").sort_by(TARGET_ROW)
        old = joined.column(OLD_HASH) if OLD_HASH in joined.column_names else None
    if old is None:
        old = pa.nulls(joined.num_rows, pa.int64())
    changed = pc.fill_null(pc.not_equal(old, joined.column(ROW_HASH)), True)
    rows = joined.filter(changed).select([TARGET_ROW, SOURCE_ROW])
    return joined.column(SOURCE_ROW).combine_chunks(), rows
