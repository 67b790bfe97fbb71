"""What every maintenance operation shares: opening a table, finding tables, sending events.

Maintenance works on bare lakes too (a unit test, a lake copied to a laptop): events go to
an optional :data:`EventSink`, a plain callback, so nothing here needs a metadata store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from sluiceway.errors import UsageError
from sluiceway.lake.errors import (
    LakeError,
    TableNotFoundError,
    VersionUnavailableError,
    clean_message,
)
from sluiceway.lake.names import TableName

if TYPE_CHECKING:
    from deltalake import DeltaTable

    from sluiceway.events.base import Event
    from sluiceway.lake.storage import LakeStorage
    from sluiceway.meta.store import MetaStore

EventSink = Callable[["Event"], Any]
"""Receives the event an operation emits; ``store_sink(store)`` appends it to the log."""

DELTA_LOG = "_delta_log"


def store_sink(store: MetaStore | None) -> EventSink | None:
    """A sink appending events to ``store``'s event log (None when there is no store)."""
    if store is None:
        return None
    from sluiceway.events import emit

    return lambda event: emit(store, event)


def send(sink: EventSink | None, event: Event) -> None:
    """Hand ``event`` to ``sink``, if there is one."""
    if sink is not None:
        sink(event)


@dataclass(frozen=True)
class TableRef:
    """A table of the lake: its name, environment and location."""

    storage: LakeStorage
    env: str
    name: TableName

    @property
    def uri(self) -> str:
        """Where delta-rs finds the table."""
        return self.storage.table_uri(self.env, self.name)

    def exists(self) -> bool:
        """True once the table has a Delta log."""
        try:
            self.open()
        except TableNotFoundError:
            return False
        return True

    def open(self, version: int | None = None) -> DeltaTable:
        """The table (at ``version``, else the latest); TableNotFoundError when absent.

        Not ``DeltaTable.is_deltatable``: it holds the GIL while it waits on the network,
        which deadlocks against an S3 endpoint served from the same process (tests).
        """
        from deltalake import DeltaTable
        from deltalake.exceptions import TableNotFoundError as DeltaTableNotFound

        try:
            return DeltaTable(
                self.uri, version=version, storage_options=self.storage.storage_options()
            )
        except DeltaTableNotFound as exc:
            if version is not None and self.exists():
                raise VersionUnavailableError(
                    f"{self.name}: version {version} cannot be loaded: {clean_message(exc)}",
                    hint="see `sluiceway history` for the versions that exist",
                ) from exc
            raise TableNotFoundError(
                f"table {self.name} has no Delta log at {self.uri}",
                hint="run the pipeline that writes it, or check --env",
            ) from exc
        except Exception as exc:
            if version is None:
                raise LakeError(f"cannot open {self.name}: {clean_message(exc)}") from exc
            raise VersionUnavailableError(
                f"{self.name}: version {version} cannot be loaded: {clean_message(exc)}",
                hint="see `sluiceway history` for the versions that exist",
            ) from exc


def add_action_paths(table: DeltaTable) -> list[str]:
    """Paths (relative to the table) of the data files of the loaded version, as stored.

    The log percent-encodes paths once more than the object store does (a partition value
    ``a b`` is ``a%20b`` in the folder name and ``a%2520b`` in the log), hence the unquote.
    """
    return [unquote(p) for p in file_sizes(table)]


def file_sizes(table: DeltaTable) -> dict[str, int]:
    """Size in bytes of each data file of the loaded version, by path as the log has it."""
    import pyarrow as pa

    actions = pa.table(table.get_add_actions(flatten=True))
    paths = actions.column("path").to_pylist()
    sizes = actions.column("size_bytes").to_pylist()
    return dict(zip(paths, sizes, strict=True))


def row_count(table: DeltaTable) -> int | None:
    """Rows of the loaded version from the log's statistics, without reading data.

    None when a file has no statistics (written by an engine that did not supply them).
    """
    import pyarrow as pa

    actions = pa.table(table.get_add_actions(flatten=True))
    if "num_records" not in actions.column_names:
        return None
    counts = actions.column("num_records").to_pylist()
    if any(c is None for c in counts):
        return None
    return int(sum(counts))


def discover_tables(storage: LakeStorage, env: str) -> list[TableName]:
    """Tables present in the lake for ``env``: every ``{env}/{layer}/{name}/_delta_log``.

    Finds tables the catalog does not know (written by hand, or by an older version).
    """
    import pyarrow.fs as pafs

    env_uri = storage.uri(env)
    if storage.is_local and not Path(env_uri).is_dir():
        return []  # filesystem() would create the folder: a listing must not change the lake
    fs = storage.filesystem(env_uri)
    found: list[TableName] = []
    for layer in _folders(fs, ""):
        for name in _folders(fs, layer):
            log_info = fs.get_file_info(f"{name}/{DELTA_LOG}")
            if log_info.type != pafs.FileType.Directory:
                continue
            layer_name, table_name = name.split("/")[-2:]
            try:
                found.append(TableName.parse(f"{layer_name}.{table_name}"))
            except UsageError:
                continue  # a folder whose name is not a table name is not a table
    return sorted(found)


def _folders(fs: Any, path: str) -> list[str]:
    import pyarrow.fs as pafs

    selector = pafs.FileSelector(path, allow_not_found=True, recursive=False)
    return sorted(i.path for i in fs.get_file_info(selector) if i.type == pafs.FileType.Directory)
