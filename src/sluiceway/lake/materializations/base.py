"""The one interface every materialization implements, and the table it writes to.

A materialization turns a stream of Arrow batches (already carrying the lineage columns)
into exactly one Delta commit on its :class:`Target`, tagged by ``commit_properties(ctx)``,
and returns a :class:`~sluiceway.lake.commit.CommitResult`. It checks
``already_committed`` first and returns ``skipped=True`` without writing when the batch is
in the log. One module per materialization; :mod:`sluiceway.lake.materializations` maps the
spec's ``type`` to the implementation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from sluiceway.lake.names import TableName
from sluiceway.lake.storage import LakeStorage

if TYPE_CHECKING:
    from deltalake import DeltaTable, WriterProperties

    from sluiceway.lake.commit import CommitResult, WriteContext
    from sluiceway.lake.materializations.writing import Rows

DEFAULT_TARGET_FILE_SIZE = 128 * 1024 * 1024


@dataclass(frozen=True)
class Target:
    """A table to write: its name, location and the settings that shape its files."""

    name: TableName
    uri: str
    storage: LakeStorage
    partition_by: tuple[str, ...] = ()
    target_file_size: int = DEFAULT_TARGET_FILE_SIZE
    compression: str = "zstd"
    compression_level: int = 3
    configuration: dict[str, str] = field(default_factory=dict)

    def storage_options(self) -> dict[str, str]:
        """delta-rs storage options for this table's location."""
        return self.storage.storage_options()

    def open(self) -> DeltaTable | None:
        """The table at its latest version, or None when nothing was ever committed."""
        from sluiceway.lake.table import open_delta

        return open_delta(self.uri, self.storage_options())

    def writer_properties(self) -> WriterProperties:
        """Parquet written with the lake's codec (zstd at its level, or snappy)."""
        from deltalake import WriterProperties

        if self.compression == "snappy":
            return WriterProperties(compression="SNAPPY")
        return WriterProperties(compression="ZSTD", compression_level=self.compression_level)


class Materializer(Protocol):
    """Writes one batch of data to a table as one Delta commit."""

    kind: ClassVar[str]
    maintained: ClassVar[tuple[str, ...]]
    """Columns the materialization adds to every row itself (not expected in the data)."""

    def write(self, target: Target, data: Rows, ctx: WriteContext, spec: Any) -> CommitResult:
        """Commit ``data`` to ``target`` for batch ``ctx``; ``spec`` is the YAML model."""
        ...
