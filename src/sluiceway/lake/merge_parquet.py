"""Reading and writing the Parquet files of a copy-on-write merge, in bounded memory.

* :func:`open_file` opens a table file once for both reads (its keys, then maybe all of
  it); a small file is fetched whole, one request on S3.
* :func:`slices` streams a file in slices of about :data:`SLICE_BYTES` of Arrow data.
* :func:`ahead` produces the next slice in a thread while the previous one is written.
* :func:`write_file` writes slices as one file, one row group per slice, as the lake writes
  every file (zstd at the table's level, statistics), and returns the Delta ``stats`` of
  the file from its footer, so readers keep skipping files.
"""

from __future__ import annotations

import contextlib
import itertools
import queue
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.fs as pafs
    import pyarrow.parquet as pq

    from sluiceway.lake.merge_files import DataFile

T = TypeVar("T")

BUFFERED_FILE_BYTES = 32 * 1024 * 1024
"""Files up to this size are fetched whole, once, for both reads (one request on S3)."""
SLICE_BYTES = 32 * 1024 * 1024
"""Arrow bytes of a file read (and changed, and written) at a time: this bounds memory.

Measured on ``benchmarks/lake.py``'s 10M-row merge, a file being rewritten holds about
four slices at its peak (the slice read, its changed columns, the slice being written,
reader buffers): with 32 MiB slices the merge peaked below a delta-rs MERGE's memory.
"""
READ_ROWS = 64 * 1024
"""Rows per batch read from a file; batches are gathered into slices."""
ROW_GROUP_ROWS = 1024 * 1024
"""Most rows in one slice, and in one row group of a file the merge writes."""
DICTIONARY_SAMPLE = 10_000
"""Rows sampled to decide which columns are dictionary-encoded."""


@dataclass(frozen=True)
class Written:
    """A file this merge wrote into the table's folder, not yet in the log."""

    path: str
    size: int
    rows: int
    stats: str


@dataclass(frozen=True)
class FileFormat:
    """How files are written: the table's schema, and its compression level."""

    schema: pa.Schema
    compression_level: int
    compression: str = "zstd"


@contextmanager
def open_file(filesystem: pafs.FileSystem, file: DataFile) -> Iterator[pq.ParquetFile]:
    """``file`` for reading (keys first, then maybe every column): small files in memory."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with filesystem.open_input_file(file.location) as handle:
        if 0 < file.size <= BUFFERED_FILE_BYTES:
            yield pq.ParquetFile(pa.BufferReader(handle.read()))
        else:
            yield pq.ParquetFile(handle)


def slices(parquet: pq.ParquetFile, columns: list[str] | None = None) -> Iterator[pa.Table]:
    """The file's rows in slices of about :data:`SLICE_BYTES` (at most a row group's rows)."""
    import pyarrow as pa

    pending: list[pa.RecordBatch] = []
    size = rows = 0
    for batch in parquet.iter_batches(batch_size=READ_ROWS, columns=columns):
        pending.append(batch)
        size, rows = size + batch.nbytes, rows + batch.num_rows
        if size >= SLICE_BYTES or rows + READ_ROWS > ROW_GROUP_ROWS:
            yield pa.Table.from_batches(pending)
            pending, size, rows = [], 0, 0
    if pending:
        yield pa.Table.from_batches(pending)


def row_numbers(count: int) -> pa.Array:
    """``0 … count-1`` as int64, built in C (no Python list of ``count`` ints)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ones = pa.repeat(pa.scalar(1, pa.int64()), count)
    return pc.subtract(pc.cumulative_sum(ones), 1)


def ahead(items: Iterator[T]) -> Iterator[T]:
    """``items``, each produced in a thread while the previous one is consumed.

    Reading and changing a slice overlaps with writing the one before: pyarrow releases
    the GIL in both, so a file's rewrite keeps two cores busy instead of one.
    """
    slot: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(kind: str, value: Any) -> bool:
        while not stop.is_set():
            try:
                slot.put((kind, value), timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put("item", item):
                    return
            put("end", None)
        except BaseException as exc:  # handed to the consumer, raised there
            put("error", exc)

    thread = threading.Thread(target=produce, name="merge-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = slot.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        thread.join()


def write_file(
    filesystem: pafs.FileSystem, groups: Iterator[pa.Table], form: FileFormat
) -> Written:
    """Write ``groups`` as one new file of the table (deleted again if writing fails)."""
    import pyarrow.parquet as pq

    from sluiceway.lake.file_stats import stats_json

    path = f"part-00000-{uuid.uuid4()}-c000.{form.compression}.parquet"
    first = next(groups, None)
    try:
        with filesystem.open_output_stream(path) as sink:
            writer = pq.ParquetWriter(
                sink,
                form.schema,
                compression=form.compression,
                compression_level=form.compression_level if form.compression == "zstd" else None,
                use_dictionary=dictionary_columns(first) if first is not None else True,
            )
            try:
                for group in itertools.chain([first] if first is not None else [], groups):
                    writer.write_table(group, row_group_size=max(1, group.num_rows))
            finally:
                writer.close()
            size = sink.tell()
    except BaseException:
        with contextlib.suppress(OSError):
            filesystem.delete_file(path)
        raise
    metadata = writer.writer.metadata
    return Written(path, size, metadata.num_rows, stats_json(metadata, form.schema))


def remove(filesystem: pafs.FileSystem, written: list[Written]) -> None:
    """Delete files written for a commit that did not happen (best effort: vacuum would)."""
    for item in written:
        with contextlib.suppress(OSError):
            filesystem.delete_file(item.path)


def dictionary_columns(group: pa.Table) -> list[str]:
    """The columns worth dictionary-encoding: under half distinct values in a sample.

    Writers try a dictionary on every column by default and fall back to plain encoding
    where it grows too large, paying for the attempt. On ``benchmarks/lake.py``'s tables,
    choosing by a sample wrote 1.5-4% smaller files in 9-21% less CPU time.
    """
    import pyarrow.compute as pc

    sample = group.slice(0, DICTIONARY_SAMPLE)
    if sample.num_rows == 0:
        return list(group.column_names)

    def repeats(name: str) -> bool:
        try:
            distinct = pc.count_distinct(sample.column(name), mode="all").as_py()
        except NotImplementedError:  # a type without the kernel: let the writer decide
            return True
        return bool(distinct * 2 <= sample.num_rows)

    return [name for name in group.column_names if repeats(name)]
