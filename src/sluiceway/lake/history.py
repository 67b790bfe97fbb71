"""A table's history, time travel to a version or an instant, and restore.

Every Delta commit is a version; the commit info says which operation made it and, for
Sluiceway's writes, which run and batch (``sluiceway.*`` custom metadata, see
:meth:`~sluiceway.lake.commit.WriteContext.custom_metadata`). delta-rs names its row and
file counts differently per operation; :func:`history` normalises them, so one column means
the same thing for an append, a MERGE and a DELETE.

Time travel only works while a version's data files exist: ``vacuum`` deletes the files
that no current version needs. :func:`restore` therefore checks the files first and
refuses with :class:`~sluiceway.lake.errors.VersionUnavailableError` rather than producing
a table whose reads fail.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from sluiceway.lake.errors import LakeError, VersionUnavailableError, clean_message
from sluiceway.lake.maintenance.common import EventSink, TableRef, add_action_paths, send

if TYPE_CHECKING:
    import pyarrow as pa
    from deltalake import DeltaTable

    from sluiceway.lake.table import LakeTable

RUN_ID_KEY = "sluiceway.run_id"
APP_ID_KEY = "sluiceway.app_id"
BATCH_KEY = "sluiceway.batch"
WATERMARK_KEY = "sluiceway.watermark"
"""An incremental step's watermark, JSON: ``{"column": …, "type": …, "value": …}``."""

STAGED_COUNTS = {
    "rows_added": "sluiceway.rows_added",
    "rows_removed": "sluiceway.rows_removed",
    "files_added": "sluiceway.files_added",
    "files_removed": "sluiceway.files_removed",
}
"""Commit metadata keys of the counts a staged commit records itself (delta-rs writes no
operation metrics for a transaction whose files it did not write)."""

# delta-rs's metric names per operation, first present wins (WRITE, MERGE, UPDATE, OPTIMIZE…).
_ROWS_ADDED = ("num_added_rows", "num_target_rows_inserted", "num_inserted_rows")
_ROWS_UPDATED = ("num_target_rows_updated", "num_updated_rows")
_ROWS_REMOVED = ("num_deleted_rows", "num_target_rows_deleted", "num_removed_rows")
_FILES_ADDED = ("num_added_files", "num_target_files_added", "numFilesAdded", "numRestoredFile")
_FILES_REMOVED = (
    "num_removed_files",
    "num_target_files_removed",
    "numFilesRemoved",
    "numRemovedFile",
)


@dataclass(frozen=True)
class HistoryEntry:
    """One version of a table: what made it, when, and how much it changed.

    Counts are None when the commit did not record them (e.g. files committed by an
    engine through the log only).
    """

    version: int
    time: datetime
    operation: str
    run_id: str | None = None
    rows_added: int | None = None
    rows_updated: int | None = None
    rows_removed: int | None = None
    files_added: int | None = None
    files_removed: int | None = None
    app_id: str | None = None
    batch: int | None = None
    watermark: dict[str, Any] | None = None
    """The watermark an incremental step committed with these rows (``column``, ``value``)."""

    @property
    def watermark_text(self) -> str | None:
        """The watermark as one short line: ``updated_at=2026-05-01T03:00:00+00:00``, or
        the input versions read (``raw.events@3``) for ``incremental: {by: version}``."""
        if self.watermark is None:
            return None
        value = self.watermark.get("value")
        if isinstance(value, dict) and isinstance(value.get("versions"), dict):
            return ", ".join(f"{name}@{v}" for name, v in sorted(value["versions"].items()))
        return f"{self.watermark.get('column')}={value}"

    def to_json(self) -> dict[str, Any]:
        """The entry as a JSON object (time in ISO 8601, UTC)."""
        data = asdict(self)
        data["time"] = self.time.isoformat()
        return data


@dataclass(frozen=True)
class RestoreResult:
    """A restore: the version the table went back to, and the new version it made."""

    table: str
    restored_version: int
    version: int
    files_restored: int | None = None
    files_removed: int | None = None


def history(table: DeltaTable, limit: int | None = None) -> list[HistoryEntry]:
    """The table's versions, newest first (at most ``limit``)."""
    return [entry_from_commit(c) for c in table.history(limit)]


def entry_from_commit(commit: Mapping[str, Any]) -> HistoryEntry:
    """One :class:`HistoryEntry` from a delta-rs commit info dictionary."""
    metrics = commit.get("operationMetrics") or {}
    batch = commit.get(BATCH_KEY)

    def count(names: Sequence[str], key: str) -> int | None:
        found = _metric(metrics, names)
        return found if found is not None else _metric(commit, [STAGED_COUNTS[key]])

    return HistoryEntry(
        version=int(commit["version"]),
        time=datetime.fromtimestamp(int(commit["timestamp"]) / 1000, UTC),
        operation=str(commit.get("operation", "UNKNOWN")),
        run_id=commit.get(RUN_ID_KEY),
        rows_added=count(_ROWS_ADDED, "rows_added"),
        rows_updated=_metric(metrics, _ROWS_UPDATED),
        rows_removed=count(_ROWS_REMOVED, "rows_removed"),
        files_added=count(_FILES_ADDED, "files_added"),
        files_removed=count(_FILES_REMOVED, "files_removed"),
        app_id=commit.get(APP_ID_KEY),
        batch=int(batch) if batch is not None and str(batch).isdigit() else None,
        watermark=_watermark(commit.get(WATERMARK_KEY)),
    )


def _watermark(recorded: Any) -> dict[str, Any] | None:
    """The recorded watermark as an object (None when the commit has none or it is unreadable)."""
    if recorded is None:
        return None
    try:
        value = json.loads(str(recorded))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _metric(metrics: Mapping[str, Any], names: Sequence[str]) -> int | None:
    for name in names:
        value = metrics.get(name)
        if value is not None:
            return int(value)
    return None


def version_at(table: DeltaTable, as_of: datetime) -> int:
    """The newest version committed at or before ``as_of`` (naive times are UTC).

    delta-rs silently loads the first version for an instant before it; a user asking
    for the table as it was before it existed gets an error instead.
    """
    instant = as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)
    entries = history(table)
    candidates = [e.version for e in entries if e.time <= instant]
    if not candidates:
        first = min(entries, key=lambda e: e.version) if entries else None
        since = f" (its first version is from {first.time.isoformat()})" if first else ""
        raise VersionUnavailableError(
            f"the table did not exist at {instant.isoformat()}{since}",
            hint="pick a later time, or one of the versions `sluiceway history` lists",
        )
    return max(candidates)


def open_version(
    ref: TableRef, version: int | None = None, as_of: datetime | None = None
) -> DeltaTable:
    """The table at ``version``, or as it was at ``as_of``, or at its latest version."""
    if version is not None and as_of is not None:
        raise LakeError("give a version or a time, not both")
    table = ref.open()
    if as_of is not None:
        version = version_at(table, as_of)
    if version is not None and version != table.version():
        latest = table.version()
        if version < 0 or version > latest:
            raise VersionUnavailableError(
                f"{ref.name} has no version {version} (latest is {latest})",
                hint="see `sluiceway history` for the versions that exist",
            )
        try:
            table.load_as_version(version)
        except Exception as exc:
            raise VersionUnavailableError(
                f"{ref.name}: version {version} cannot be loaded: {clean_message(exc)}",
                hint="its log entry was cleaned up; pick a later version",
            ) from exc
    return table


def missing_files(ref: TableRef, table: DeltaTable) -> list[str]:
    """Data files the loaded version needs that are no longer in storage (vacuumed)."""
    import pyarrow.fs as pafs

    paths = add_action_paths(table)
    if not paths:
        return []
    fs = ref.storage.filesystem(ref.uri)
    infos = fs.get_file_info(paths)
    return [p for p, info in zip(paths, infos, strict=True) if info.type == pafs.FileType.NotFound]


def require_files(ref: TableRef, table: DeltaTable) -> None:
    """Raise VersionUnavailableError when the loaded version's files were vacuumed."""
    missing = missing_files(ref, table)
    if missing:
        raise VersionUnavailableError(
            f"{ref.name}: version {table.version()} needs {len(missing)} data file(s) "
            f"that vacuum deleted (e.g. {missing[0]})",
            hint="only versions newer than the last vacuum's retention can be read or restored",
        )


def read_rows(
    ref: TableRef,
    table: DeltaTable,
    *,
    limit: int | None = None,
    columns: Sequence[str] | None = None,
) -> pa.Table:
    """Rows of the loaded version (the first ``limit``), read through a native filesystem."""
    require_files(ref, table)
    dataset = table.to_pyarrow_dataset(filesystem=ref.storage.filesystem(ref.uri))
    unknown = [c for c in columns or () if c not in dataset.schema.names]
    if unknown:
        raise LakeError(
            f"{ref.name} has no column {unknown[0]!r}",
            hint="columns: " + ", ".join(dataset.schema.names),
        )
    selected = list(columns) if columns else None
    if limit is None:
        return dataset.to_table(columns=selected)
    return dataset.head(limit, columns=selected)


def restore(ref: TableRef, version: int, *, emit: EventSink | None = None) -> RestoreResult:
    """Make ``version`` the table's current state again, as a new version.

    Refused, with the table unchanged, when a file the version needs was vacuumed: delta-rs
    would otherwise restore it with ``ignore_missing_files`` into a table that cannot be read.
    """
    from sluiceway.events.types import TableRestored

    target = open_version(ref, version)
    require_files(ref, target)
    table = ref.open()
    try:
        metrics = table.restore(version)
    except Exception as exc:
        message = f"restore of {ref.name} to version {version} failed: {clean_message(exc)}"
        raise LakeError(message) from exc
    table.update_incremental()
    result = RestoreResult(
        table=str(ref.name),
        restored_version=version,
        version=table.version(),
        files_restored=_metric(metrics, ("numRestoredFile",)),
        files_removed=_metric(metrics, ("numRemovedFile",)),
    )
    send(emit, TableRestored(table=result.table, restored_version=version, version=result.version))
    return result


@dataclass(frozen=True)
class CommittedFile:
    """A data file one commit added: its path (relative to the table), partition values and
    size in bytes."""

    path: str
    partition_values: Mapping[str, str | None]
    size: int = 0


def commit_files(ref: TableRef | LakeTable, version: int) -> list[CommittedFile]:
    """The data files commit ``version`` added to the table, read from its log entry.

    Empty if the entry is gone (cleaned up after a checkpoint) or added no file.
    """
    import json

    filesystem = ref.storage.filesystem(ref.uri)
    try:
        with filesystem.open_input_stream(f"_delta_log/{version:020d}.json") as stream:
            lines = stream.read().decode("utf-8").splitlines()
    except FileNotFoundError:
        return []
    found = []
    for line in lines:
        action = json.loads(line) if line.strip() else {}
        add = action.get("add")
        if add and add.get("dataChange", True):
            values = dict(add.get("partitionValues") or {})
            found.append(CommittedFile(unquote(add["path"]), values, int(add.get("size") or 0)))
    return found
