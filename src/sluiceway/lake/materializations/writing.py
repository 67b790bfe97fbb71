"""The mechanics every single-commit write shares: policy, replay, retry, and its result.

One call of :func:`commit_write` is one Delta transaction for one batch:

1. reload the table; if the batch is already in its log, return ``skipped``;
2. plan the schema against the table as it is *now* (:mod:`~sluiceway.lake.schema_policy`),
   so a refusal happens before any data is consumed or written;
3. write with ``commit_properties(ctx)`` (the app transaction makes it exactly-once);
4. on a conflict with a concurrent writer, start again from 1 (``retry_on_conflict``).

The input is a stream, and a conflict is only detected when committing, after the stream was
consumed. :class:`Replay` therefore spools the batches to a local Arrow IPC file as they pass
(lz4, memory-mapped when read back), so a retry writes the same rows, never an empty table.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from sluiceway.lake.commit import (
    CommitResult,
    WriteContext,
    already_committed,
    commit_properties,
    retry_on_conflict,
)
from sluiceway.lake.errors import CommitConflictError
from sluiceway.lake.materializations.base import Target
from sluiceway.lake.schema_policy import DEFAULT_POLICY, Policy, SchemaPlan, plan_write
from sluiceway.lake.streams import conform
from sluiceway.lake.table import open_delta

if TYPE_CHECKING:
    import pyarrow as pa
    from deltalake import DeltaTable

HISTORY_SEARCH = 50
"""How many recent commits are searched for this batch's own commit after writing."""


class TableCache:
    """One write's handle on the table: loaded once, then refreshed incrementally.

    Loading a table reads every commit since its last checkpoint, which on an object store
    is one request per commit; the skip check, the schema plan and each retry of one write
    would otherwise each pay it again.
    """

    def __init__(self) -> None:
        self.table: DeltaTable | None = None

    def open(self, target: Target) -> DeltaTable | None:
        """The table at its latest version, or None before its first commit."""
        if self.table is None:
            self.table = open_delta(target.uri, target.storage_options())
        else:
            self.table.update_incremental()
        return self.table


@dataclass(frozen=True)
class TableTarget(Target):
    """A :class:`Target` that also knows the table's schema policy and caches its handle.

    ``schema_version`` is the catalog's current version, only for the refusal message.
    """

    schema_policy: Policy = DEFAULT_POLICY
    schema_version: int | None = None
    cache: TableCache = field(default_factory=TableCache, compare=False, repr=False)


def policy_of(target: Target) -> Policy:
    """The schema policy of ``target`` (``evolve`` for a plain :class:`Target`)."""
    return target.schema_policy if isinstance(target, TableTarget) else DEFAULT_POLICY


class Replay:
    """A record batch stream that can be read again: the first pass is spooled to disk.

    Data already in memory needs no spool: :meth:`repeatable` reads it afresh each time.
    Use as a context manager; the spool is deleted on exit.
    """

    def __init__(self, data: pa.RecordBatchReader, *, spool: bool = True) -> None:
        self.schema = data.schema
        self._data: pa.RecordBatchReader | None = data
        self._dir: str | None = None
        self._complete = False
        self._spool = spool
        self._again: Callable[[], pa.RecordBatchReader] | None = None

    @classmethod
    def repeatable(cls, again: Callable[[], pa.RecordBatchReader]) -> Replay:
        """A replay of data that ``again`` streams anew on each call (a table in memory)."""
        replay = cls(again(), spool=False)
        replay._again = again
        return replay

    def __enter__(self) -> Replay:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)

    @property
    def _path(self) -> Path:
        if self._dir is None:
            self._dir = tempfile.mkdtemp(prefix="sluiceway-spool-")
        return Path(self._dir) / "batches.arrows"

    def stage(self, visit: Callable[[pa.RecordBatch], None] | None = None) -> None:
        """Consume the whole stream into the spool now, showing each batch to ``visit``."""
        for batch in self.reader(spool=True):
            if visit is not None:
                visit(batch)

    def reader(self, *, spool: bool = False) -> pa.RecordBatchReader:
        """The batches: streamed (and spooled) the first time, from the spool afterwards.

        Args:
            spool: spool the first pass even if the replay was made without spooling, for
                an attempt whose conflict the lake must retry itself.

        Raises:
            CommitConflictError: an earlier pass stopped half-way, so the spool is partial.
        """
        import pyarrow as pa

        if self._data is None and self._again is not None:
            return self._again()
        if self._data is None:
            if not self._complete:
                raise CommitConflictError(
                    "the input could not be replayed after a failed commit",
                    hint="retry the step",
                )
            return pa.ipc.open_stream(pa.memory_map(str(self._path)))
        data, self._data = self._data, None
        if self._again is not None or not (self._spool or spool):
            return data  # in memory: a second pass streams it again, no copy needed
        options = pa.ipc.IpcWriteOptions(compression="lz4")

        def tee() -> Iterator[pa.RecordBatch]:
            with pa.ipc.new_stream(str(self._path), self.schema, options=options) as sink:
                for batch in data:
                    sink.write_batch(batch)
                    yield batch
            self._complete = True

        return pa.RecordBatchReader.from_batches(self.schema, tee())


Rows: TypeAlias = "pa.RecordBatchReader | Replay"
"""What a materializer is given: a stream, or a :class:`Replay` that can read it again."""

WriteFn = Callable[["DeltaTable | None", "pa.RecordBatchReader", SchemaPlan], None]
"""Writes the conformed data for one attempt: (table or None, data, schema plan)."""


def commit_write(
    target: Target,
    data: pa.RecordBatchReader | Replay,
    ctx: WriteContext,
    *,
    operation: str,
    write: WriteFn,
    replaces_table: bool = False,
    count_removed: bool = False,
    replayable: bool = True,
) -> CommitResult:
    """Commit one batch exactly once: skip, plan, write, retry on conflict, read the result.

    Args:
        target: the table.
        data: the batches (lineage columns included), or an already staged :class:`Replay`.
        ctx: the batch being written.
        operation: the materialization's name, reported in the result.
        write: performs the delta-rs write for one attempt.
        replaces_table: the write replaces every row (lets a column's type widen).
        count_removed: compute ``rows_deleted`` from the versions before and after
            (delta-rs reports only removed *files* for overwrites).
        replayable: spool the input so a conflict can be retried here. Writes whose
            conflicts delta-rs resolves itself (blind appends to an existing table) pass
            ``False`` and save the spool's disk copy; the rare conflict left then surfaces
            as a transient :class:`CommitConflictError`, which the step's retry handles.
            The commit that creates the table is spooled regardless: concurrent creators
            conflict on the table's metadata, which delta-rs does not rebase.
    """
    replay = data if isinstance(data, Replay) else Replay(data, spool=replayable)
    target_name = str(target.name)

    def attempt() -> CommitResult:
        table = open_target(target)
        if already_committed(table, ctx):
            assert table is not None
            return CommitResult(target_name, table.version(), operation, skipped=True)
        plan = plan_write(
            target_name,
            _schema(table),
            replay.schema,
            policy_of(target),
            replaces_table=replaces_table,
            keeps=_keeps(target, table),
        )
        # Creating the table is never rebased by delta-rs (a concurrent creation changes the
        # metadata), so the first commit is spooled whatever the materialization says.
        rows = replay.reader(spool=table is None)
        write(table, conform(rows, plan.write_schema), plan)
        # write_deltalake moves a loaded table to the version it committed.
        version = int(table.version()) if table is not None else None
        return result(target, ctx, operation, version=version, count_removed=count_removed)

    with replay:
        return retry_on_conflict(attempt, what=f"{operation} to {target_name}")


def open_target(target: Target) -> DeltaTable | None:
    """``target`` at its latest version, or None before its first commit (GIL-friendly)."""
    if isinstance(target, TableTarget):
        return target.cache.open(target)
    return open_delta(target.uri, target.storage_options())


def write_options(target: Target, ctx: WriteContext, table: DeltaTable | None) -> dict[str, Any]:
    """The ``write_deltalake`` keywords every materialization passes (files, commit, layout)."""
    options: dict[str, Any] = {
        "target_file_size": target.target_file_size,
        "writer_properties": target.writer_properties(),
        "commit_properties": commit_properties(ctx, creates=table is None),
        "partition_by": list(target.partition_by) or None,
    }
    if table is None:
        options["storage_options"] = target.storage_options()
        options["configuration"] = dict(target.configuration) or None
    return options


def destination(target: Target, table: DeltaTable | None) -> DeltaTable | str:
    """What ``write_deltalake`` writes to: the loaded table, or the URI to create it at."""
    return table if table is not None else target.uri


def result(
    target: Target,
    ctx: WriteContext,
    operation: str,
    *,
    version: int | None = None,
    count_removed: bool = False,
) -> CommitResult:
    """The result of this batch's commit, read from its own commit file in the Delta log.

    ``version`` is the commit's version when the writer knows it. Otherwise the recent
    commits are searched for this batch's ``sluiceway.app_id``/``sluiceway.batch``. The
    commit file is read directly: deltalake 1.6's ``history()`` numbers entries from the
    version the table was loaded at, so with concurrent writers it can label a commit with
    another commit's version.
    """
    commit = (
        _find_commit(target, ctx) if version is None else (version, _commit_info(target, version))
    )
    version, info = commit
    metrics: dict[str, Any] = dict(info.get("operationMetrics") or {})
    added = int(metrics.get("num_added_rows", 0))
    deleted = int(metrics.get("num_deleted_rows", 0))
    if count_removed and version > 0:
        before, after = _rows(target, version - 1), _rows(target, version)
        deleted = max(0, before + added - after)
    return CommitResult(
        table=str(target.name),
        version=version,
        operation=operation,
        rows_added=added,
        rows_deleted=deleted,
        files_added=int(metrics.get("num_added_files", 0)),
        files_removed=int(metrics.get("num_removed_files", 0)),
        metrics=metrics,
    )


def _find_commit(target: Target, ctx: WriteContext) -> tuple[int, dict[str, Any]]:
    table = open_target(target)
    assert table is not None, "a commit was just written"
    latest = int(table.version())
    wanted = ctx.custom_metadata()
    keys = ("sluiceway.app_id", "sluiceway.batch")
    for version in range(latest, max(-1, latest - HISTORY_SEARCH), -1):
        info = _commit_info(target, version)
        if all(info.get(k) == wanted[k] for k in keys):
            return version, info
    return latest, {}


def _commit_info(target: Target, version: int) -> dict[str, Any]:
    """The ``commitInfo`` action of one commit (empty if the file is gone)."""
    filesystem = target.storage.filesystem(target.uri)
    try:
        with filesystem.open_input_stream(f"_delta_log/{version:020d}.json") as stream:
            lines = stream.read().decode("utf-8").splitlines()
    except FileNotFoundError:
        return {}
    for line in lines:
        action = json.loads(line) if line.strip() else {}
        if "commitInfo" in action:
            return dict(action["commitInfo"])
    return {}


def _rows(target: Target, version: int) -> int:
    """Rows in ``version``, from the log's per-file record counts (no data is read)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from deltalake import DeltaTable

    snapshot = DeltaTable(target.uri, version=version, storage_options=target.storage_options())
    actions = pa.table(snapshot.get_add_actions(flatten=True))
    if actions.num_rows == 0:
        return 0
    return int(pc.sum(actions.column("num_records")).as_py() or 0)


def _schema(table: DeltaTable | None) -> pa.Schema | None:
    import pyarrow as pa

    return None if table is None else pa.schema(table.schema().to_arrow())


def _keeps(target: Target, table: DeltaTable | None) -> str:
    version = target.schema_version if isinstance(target, TableTarget) else None
    if version:
        return f"schema version {version}"
    return f"its schema (table version {table.version()})" if table is not None else "its schema"
