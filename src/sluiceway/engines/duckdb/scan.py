"""Arrow scans of the inputs that stay small: Arrow's memory is outside DuckDB's limit.

A registered pyarrow dataset is read and decoded by Arrow, in Arrow's memory pool, before
DuckDB sees a row, so ``memory_limit`` does not cover it. pyarrow's scanner defaults are
tuned for throughput: it pre-buffers every selected column chunk of a file
(``pre_buffer``), reads 4 files and 16 batches ahead, and decodes on its own thread pool,
which keeps running ahead of a consumer that is busy spilling. Measured here on a 3M-row
input (one file, 17 MiB row groups) under a 128 MiB DuckDB limit, Arrow held up to 490 MiB
with the defaults, still 200–320 MiB with less read-ahead but its thread pool on, and
40–80 MiB with the options below, where decoding happens on the DuckDB thread that pulls
the next batch (scans decode on one thread, so scan-heavy queries ran 1.3–3.3× slower on
2 threads; what DuckDB does with the rows stays parallel).
Freed scan memory must also leave the process: with Arrow's default pool (mimalloc) about
120 MiB stayed resident after the scan had freed it, and with the system allocator ~60 MiB
(glibc raises its mmap threshold after the first large free and then keeps such blocks).
Scans therefore allocate from Arrow's jemalloc pool with its decay set to 0, which returns
freed pages at once; only this engine's scans use that pool unless the process chose
jemalloc as Arrow's default. Builds of pyarrow without jemalloc use the system allocator.

That cost is only worth paying when memory is short. When every input of the query,
decoded, fits in a small share of the limit (:func:`fits_in_memory`: on-disk size times
:data:`DECODED_RATIO` at most :data:`FAST_SHARE` of ``memory_limit``), Arrow's own read-ahead
cannot hold more than that either, and the inputs are scanned with pyarrow's defaults
(threads, read-ahead, pre-buffering). On TPC-H SF 1 (``benchmarks/transforms.py``: 250 MiB
of inputs, a 19 GiB limit) that took the join step from 9.0 s to 7.0 s and the aggregate
over its result from 1.4 s to 0.9 s (medians of 3), for a peak of 2.0 GB instead of 0.9 GB.

DuckDB's Python client builds the scanner by calling ``type(dataset).scanner(dataset,
columns=…, filter=…)`` (projection and filter pushdown), so a dataset subclass can set the
other scanner options; ``tests/integration/engines/test_bounded_scan.py`` fails if DuckDB
stops calling it. What remains outside the limit is a few decoded row groups: Arrow decodes
a whole row group at a time, and each DuckDB thread holds the batch it is converting (which
keeps its row group alive) while the scanner decodes the next, so about (threads + 2) row
groups of the columns read. Inputs written with million-row row groups cost that much.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.dataset as ds

if TYPE_CHECKING:
    from sluiceway.engines.base import Input

DECODED_RATIO = 6
"""Decoded Arrow bytes per compressed Parquet byte assumed (zstd text and decimals: 3-6)."""
FAST_SHARE = 0.25
"""Inputs decoded up to this share of ``memory_limit`` are scanned with Arrow's defaults."""
BATCH_ROWS = 16_384
"""Rows per Arrow batch handed to DuckDB (8 of its vectors)."""
READ_BUFFER_BYTES = 1024 * 1024
"""Column chunks are read through a buffer of this size instead of whole."""


class BoundedScanDataset(ds.FileSystemDataset):
    """A Parquet dataset whose scans read one file and one batch ahead, on the caller's thread."""

    def scanner(self, columns: Any = None, filter: Any = None, **options: Any) -> ds.Scanner:
        """The scanner DuckDB asks for (its projection and filter), with bounded read-ahead."""
        options.update(
            batch_size=BATCH_ROWS,
            batch_readahead=1,
            fragment_readahead=1,
            use_threads=False,
            fragment_scan_options=_fragment_options(self.format),
            memory_pool=scan_memory_pool(),
        )
        return super().scanner(columns=columns, filter=filter, **options)


def fits_in_memory(inputs: list[Input], memory_limit: int) -> bool:
    """True when all ``inputs``, decoded, take at most :data:`FAST_SHARE` of the limit."""
    sizes = [item.size_bytes for item in inputs]
    if any(size is None for size in sizes):
        return False
    return sum(size or 0 for size in sizes) * DECODED_RATIO <= memory_limit * FAST_SHARE


def bounded_dataset(item: Input) -> ds.Dataset:
    """``item``'s snapshot as a dataset whose scans hold little memory (filters kept).

    Datasets other than Parquet files (an in-memory table in tests) are returned unchanged.
    """
    if item.open_dataset is None:
        return item.dataset()
    opener = item.open_dataset
    # ``Input.dataset`` applies the incremental watermark with ``Dataset.filter``, which
    # keeps the dataset's class, so the bounded scanner survives it.
    return dataclasses.replace(item, open_dataset=lambda: bounded(opener())).dataset()


def bounded(dataset: ds.Dataset) -> ds.Dataset:
    """``dataset`` with bounded scans, if it is made of Parquet files (else unchanged)."""
    if type(dataset) is not ds.FileSystemDataset or not isinstance(
        dataset.format, ds.ParquetFileFormat
    ):
        return dataset
    return BoundedScanDataset(
        list(dataset.get_fragments()),
        dataset.schema,
        dataset.format,
        dataset.filesystem,
        root_partition=dataset.partition_expression,
    )


@functools.cache
def scan_memory_pool() -> pa.MemoryPool:
    """Arrow's jemalloc pool returning freed memory at once (the system pool without it)."""
    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:  # a pyarrow built without jemalloc
        return pa.system_memory_pool()
    pa.jemalloc_set_decay_ms(0)
    return pool


def _fragment_options(file_format: Any) -> ds.ParquetFragmentScanOptions:
    """The format's own Parquet options, reading column chunks piecewise, not pre-buffered."""
    options = copy.copy(file_format.default_fragment_scan_options)
    options.pre_buffer = False
    options.use_buffered_stream = True
    options.buffer_size = READ_BUFFER_BYTES
    return options
