"""Files an engine wrote that are not in any Delta log yet: where they go, how to read them.

Engines write results as Parquet themselves (faster and leaner than streaming Arrow into
another writer); the lake then commits the files to the log without rewriting them. Staged
files are invisible to readers until that commit, so checks can audit them first
(write-audit-publish), and a failed step leaves nothing behind but a folder to delete.

For a local lake the staging folder is inside the table's folder, so publishing a file is a
rename on the same disk. For an object store, engines that cannot write there stage locally
and the lake uploads each finished file once.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.dataset as ds

    from sluiceway.lake.materializations.base import Target

STAGING_FOLDER = "_sw_staging"
"""Folder under a local table where results are staged; Delta readers and vacuum ignore
names starting with ``_``."""
HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"


@dataclass(frozen=True)
class Output:
    """Where and how an engine writes a staged result.

    Attributes:
        directory: an empty local folder (absolute path) to write Parquet files into, with
            ``col=value/`` sub-folders for :attr:`partition_by` (partition columns are not
            stored in the files, as Delta expects).
        partition_by: partition columns of the target table.
        target_file_size: cut files at about this many bytes.
        compression: ``zstd`` or ``snappy``.
        compression_level: zstd level.
        constants: columns appended to every row, in order (the lineage columns); a column of
            the query with the same name is replaced.
    """

    directory: str
    partition_by: tuple[str, ...] = ()
    target_file_size: int = 128 * 1024 * 1024
    compression: str = "zstd"
    compression_level: int = 3
    constants: tuple[tuple[str, pa.Scalar], ...] = ()


@dataclass(frozen=True)
class StagedFile:
    """One Parquet file an engine wrote: path relative to the staging folder."""

    path: str
    size: int
    partition_values: Mapping[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Staged:
    """Files staged for one commit, not yet in any Delta log.

    ``schema`` is the rows' schema with the partition columns included (last, in
    ``partition_by`` order); the files themselves do not hold partition columns.
    """

    directory: str
    files: tuple[StagedFile, ...]
    schema: pa.Schema
    rows: int
    partition_by: tuple[str, ...] = ()

    def reader(self) -> pa.RecordBatchReader:
        """The staged rows as a stream, partition columns restored from the folder names."""
        import pyarrow as pa

        if not self.files:
            return pa.RecordBatchReader.from_batches(self.schema, iter(()))
        return self.dataset().scanner().to_reader()

    def dataset(self) -> ds.Dataset:
        """The staged rows as a pyarrow dataset (partition columns from the folder names)."""
        import pyarrow as pa
        import pyarrow.dataset as ds

        paths = [str(Path(self.directory) / f.path) for f in self.files]
        if not paths:
            return ds.dataset(pa.table({f.name: pa.array([], f.type) for f in self.schema}))
        partitioning = None
        if self.partition_by:
            keys = pa.schema([self.schema.field(c) for c in self.partition_by])
            partitioning = ds.HivePartitioning(
                keys, null_fallback=HIVE_NULL, segment_encoding="uri"
            )
        return ds.dataset(
            paths,
            schema=self.schema,
            format="parquet",
            partitioning=partitioning,
            partition_base_dir=self.directory,
        )


@contextmanager
def staging_area(target: Target, root: str | None = None) -> Iterator[str]:
    """An empty local folder to stage ``target``'s next commit in; deleted afterwards.

    ``root``: where to make it instead (a folder an engine's executors share); by default
    inside a local table's folder, so that publishing a file is a rename.

    Whatever is still in it on exit (everything, after a failure; nothing, after a
    publish that moved the files) is removed.
    """
    if root is not None:
        folder = Path(root) / uuid.uuid4().hex
        folder.mkdir(parents=True)
        path = str(folder)
    elif target.storage.is_local:
        base = Path(target.uri.removeprefix("file://")) / STAGING_FOLDER
        base.mkdir(parents=True, exist_ok=True)
        folder = base / uuid.uuid4().hex
        folder.mkdir()
        path = str(folder)
    else:
        path = tempfile.mkdtemp(prefix="sluiceway-stage-")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
