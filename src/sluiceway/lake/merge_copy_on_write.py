"""Copy-on-write merge: the batch applied in Arrow, committed as one Delta transaction.

1. each file whose key range can hold a batch key is probed: its keys and hashes are read
   and matched with the batch's (:mod:`sluiceway.lake.merge_probe`);
2. a file with a changed row is rewritten right away (:mod:`sluiceway.lake.merge_rewrite`),
   small files two at a time (:func:`workers`); batch rows no file matched are written to
   new files;
3. one ``create_write_transaction`` removes the rewritten files and adds the new ones, with
   the batch's app transaction, so the batch is exactly-once as with MERGE.

Concurrency, as measured against delta-rs 1.6's conflict checker: this commit is rejected
when a concurrent commit removed any file (so two merges rewriting the same file never both
commit: the loser reloads and re-runs, like a MERGE), but not when a concurrent commit only
*added* files. Two batches inserting the same new key concurrently would then both commit
it, and the key would be in the table twice — a delta-rs MERGE is protected from this by its
read predicate, a plain write is not. So every commit that may insert into a table where
copy-on-write runs carries the table-wide app transaction :data:`INSERT_GUARD` (this path
when it inserts, MERGEs into unpartitioned tables always): of two such commits racing,
delta-rs rejects the second, which is then retried on the new version.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sluiceway.lake.commit import CommitResult, commit_properties
from sluiceway.lake.merge_files import Candidate, KeyIndex
from sluiceway.lake.merge_parquet import (
    BUFFERED_FILE_BYTES,
    FileFormat,
    Written,
    open_file,
    remove,
)
from sluiceway.lake.merge_probe import FileChanges, FileProbe, inserts, probe_file
from sluiceway.lake.merge_rewrite import rewrite, write_rows

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.fs as pafs
    from deltalake import CommitProperties, DeltaTable

    from sluiceway.lake.commit import WriteContext
    from sluiceway.lake.materializations.base import Target

INSERT_GUARD = "sluiceway.merge-inserts"
"""App id every possibly-inserting merge commit carries, so that racing inserts conflict."""
VERSION_SEARCH = 50
"""How many recent commits are searched for this batch's own commit after committing."""
DEFAULT_ROW_BYTES = 100
"""Compressed bytes per row assumed for a table that has no rows yet."""
SMALL_FILE_WORKERS = 2
"""Files probed and rewritten at once when all are small (each also reads ahead of writing).

Measured on 2 cores (``benchmarks/lake.py``): merging 1% of TPC-H SF1 into 20 files of
15 MB took 10.7 s two at a time, 15.1 s one at a time (plain MERGE: 13.4 s), for 773 vs
570 MB; merging 10% into three files of 130 MB took 11.9 s either way, but 1,302 vs 911 MB
two at a time. So two at a time only when every file is read whole
(:data:`~sluiceway.lake.merge_parquet.BUFFERED_FILE_BYTES`)."""


def guarded(ctx: WriteContext) -> CommitProperties:
    """The batch's commit properties plus :data:`INSERT_GUARD`."""
    from deltalake import Transaction

    properties = commit_properties(ctx)
    guard = Transaction(app_id=INSERT_GUARD, version=int(time.time() * 1000))
    properties.app_transactions = [*(properties.app_transactions or []), guard]
    return properties


@dataclass(frozen=True)
class _Outcome:
    """What one candidate file gave: its probe, and its new version if it changed."""

    probe: FileProbe
    written: Written | None


def apply(
    table: DeltaTable,
    target: Target,
    source: pa.Table,
    keys: list[str],
    ctx: WriteContext,
    *,
    found: list[Candidate],
    index: KeyIndex,
    actions: pa.Table,
    operation: str,
) -> CommitResult:
    """Probe and rewrite the ``found`` files, write the inserts, commit them as batch ``ctx``.

    ``index`` holds the batch's :func:`~sluiceway.lake.merge_probe.sorted_keys`, and
    ``actions`` are the table's add actions. ``table`` must still be at the version
    ``found`` was read from: the commit is checked against everything committed since.
    """
    import pyarrow as pa

    filesystem = target.storage.filesystem(target.uri)
    form = FileFormat(
        pa.schema(table.schema().to_arrow()), target.compression_level, target.compression
    )

    def one(candidate: Candidate) -> _Outcome:
        with open_file(filesystem, candidate.file) as parquet:
            probe = probe_file(parquet, candidate, index, keys)
            if probe.changes is None:
                return _Outcome(probe, None)
            return _Outcome(probe, rewrite(parquet, probe.changes, source, filesystem, form))

    outcomes = _each(filesystem, found, one)
    written = [o.written for o in outcomes if o.written is not None]
    changed = [o.probe.changes for o in outcomes if o.probe.changes is not None]
    new = inserts(source.num_rows, [o.probe for o in outcomes])
    try:
        if len(new):
            per_file = _rows_per_file(actions, target.target_file_size)
            written += write_rows(filesystem, source.take(new), form, per_file)
        _commit(table, changed, written, ctx, inserts=len(new) > 0)
    except BaseException:
        remove(filesystem, written)
        raise
    updated = sum(o.probe.updated for o in outcomes)
    return CommitResult(
        table=str(target.name),
        version=_committed_version(table, filesystem, ctx),
        operation=operation,
        rows_added=len(new),
        rows_updated=updated,
        rows_unchanged=max(0, source.num_rows - len(new) - updated),
        files_added=len(written),
        files_removed=len(changed),
        metrics={
            "num_source_rows": source.num_rows,
            "num_target_rows_inserted": len(new),
            "num_target_rows_updated": updated,
            "num_target_rows_copied": sum(c.file.rows for c in changed) - updated,
            "num_target_files_scanned": len(found),
            "num_target_files_skipped_during_scan": int(actions.num_rows) - len(found),
            "num_target_files_added": len(written),
            "num_target_files_removed": len(changed),
        },
    )


def workers(found: list[Candidate]) -> int:
    """How many files to rewrite at once: see :data:`SMALL_FILE_WORKERS`."""
    small = all(c.file.size <= BUFFERED_FILE_BYTES for c in found)
    return SMALL_FILE_WORKERS if small else 1


def _each(
    filesystem: pafs.FileSystem, found: list[Candidate], one: Callable[[Candidate], _Outcome]
) -> list[_Outcome]:
    """``one`` for every file, :func:`workers` at a time; on an error, nothing written stays."""
    import pyarrow as pa

    outcomes: list[_Outcome] = []
    failure: BaseException | None = None
    with ThreadPoolExecutor(max_workers=workers(found), thread_name_prefix="merge-file") as pool:
        for future in [pool.submit(one, candidate) for candidate in found]:
            try:
                outcomes.append(future.result())
            except BaseException as exc:
                failure = failure or exc
            pa.default_memory_pool().release_unused()  # freed slices back to the system
    if failure is not None:
        remove(filesystem, [o.written for o in outcomes if o.written is not None])
        raise failure
    return outcomes


def _commit(
    table: DeltaTable,
    changes: list[FileChanges],
    written: list[Written],
    ctx: WriteContext,
    *,
    inserts: bool,
) -> None:
    from deltalake.transaction import AddAction, RemoveAction

    now = int(time.time() * 1000)
    actions: list[Any] = [
        RemoveAction(
            path=change.file.location,
            data_change=True,
            deletion_timestamp=now,
            size=change.file.size,
            partition_values={},
        )
        for change in changes
    ]
    actions += [
        AddAction(
            path=item.path,
            size=item.size,
            partition_values={},
            modification_time=now,
            data_change=True,
            stats=item.stats,
        )
        for item in written
    ]
    table.create_write_transaction(
        actions,
        mode="append",
        schema=table.schema(),
        commit_properties=guarded(ctx) if inserts else commit_properties(ctx),
    )


def _committed_version(table: DeltaTable, filesystem: pafs.FileSystem, ctx: WriteContext) -> int:
    """The version of batch ``ctx``'s commit: the newest commit carrying its app transaction.

    ``create_write_transaction`` does not move ``table`` to the version it committed, and
    concurrent writers may have committed before and after it, so the log is read back.
    """
    table.update_incremental()
    latest = table.version()
    for version in range(latest, max(-1, latest - VERSION_SEARCH), -1):
        try:
            with filesystem.open_input_stream(f"_delta_log/{version:020d}.json") as stream:
                lines = stream.read().decode("utf-8").splitlines()
        except FileNotFoundError:  # cleaned up after a checkpoint: older still are too
            break
        for line in lines:
            txn = json.loads(line).get("txn") if line.strip() else None
            if txn and txn.get("appId") == ctx.app_id and txn.get("version") == ctx.batch:
                return version
    return latest


def _rows_per_file(actions: pa.Table, target_size: int) -> int:
    """How many rows make a file of ``target_size`` bytes, judged by the table's files."""
    import pyarrow.compute as pc

    rows = int(pc.sum(actions.column("num_records")).as_py() or 0) if actions.num_rows else 0
    size = int(pc.sum(actions.column("size_bytes")).as_py() or 0) if actions.num_rows else 0
    per_row = size / rows if rows and size else DEFAULT_ROW_BYTES
    return max(1, int(target_size / per_row))
