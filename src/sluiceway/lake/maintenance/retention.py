"""Retention: delete rows older than a table's ``retention.days``, archiving them first.

A table's metadata says ``retention: {days: 730, column: order_date, archive: true}``.
Rows whose ``column`` is before the cutoff (today, UTC, minus ``days``) are removed in one
Delta DELETE; when the table is partitioned by that column, the same delete drops whole
partitions without rewriting any file.

With ``archive: true`` the rows are first copied to the cold prefix
``{lake}/_archive/{env}/{layer}/{name}`` (a Delta table of its own). The copy and the delete
are two commits on two tables, so a crash can fall between them; both are therefore
idempotent per *retention batch*, the cutoff's day number since 1970-01-01:

* the archive write replaces the rows of its batch (``_sw_archive_batch = N``) instead of
  appending, so copying again after a crash never duplicates a row;
* the delete carries the app transaction (``sluiceway.retention``, N), so a batch that
  already completed is recognised and skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sluiceway.lake import predicates
from sluiceway.lake.errors import LakeError, clean_message
from sluiceway.lake.maintenance.common import EventSink, TableRef, send

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.dataset as pads
    from deltalake import DeltaTable, WriterProperties

APP_ID = "sluiceway.retention"
ARCHIVE_BATCH = "_sw_archive_batch"
ARCHIVE_PREFIX = "_archive"
_EPOCH = date(1970, 1, 1)

Cutoff = date | datetime | str
"""The cutoff in the retention column's own type."""


@dataclass(frozen=True)
class RetentionPolicy:
    """How long a table keeps rows: ``days`` by ``column``, and whether to archive them."""

    days: int
    column: str
    archive: bool = False

    @classmethod
    def parse(cls, value: object) -> RetentionPolicy | None:
        """A policy from the spec model, a mapping, or its JSON text (None when unset)."""
        if value is None or value == "":
            return None
        if isinstance(value, RetentionPolicy):
            return value
        data: Any = value
        if isinstance(value, str):
            try:
                data = json.loads(value)
            except ValueError:
                data = None
        if not isinstance(data, Mapping):
            data = {k: getattr(value, k, None) for k in ("days", "column", "archive")}
        if not isinstance(data.get("days"), int) or not data.get("column"):
            raise LakeError(
                f"retention {value!r} is not a policy",
                hint="write retention: {days: N, column: C, archive: true|false}",
            )
        return cls(int(data["days"]), str(data["column"]), bool(data.get("archive", False)))

    def cutoff(self, now: datetime | None = None) -> date:
        """Rows before this day (UTC) are removed."""
        today = (now or datetime.now(UTC)).astimezone(UTC).date()
        return today - timedelta(days=self.days)


@dataclass(frozen=True)
class RetentionResult:
    """What retention removed (or would, with ``dry_run``) from one table."""

    table: str
    cutoff: date
    batch: int
    column: str
    rows_deleted: int = 0
    rows_archived: int = 0
    partitions: list[str] = field(default_factory=list)
    files_removed: int = 0
    files_added: int = 0
    version: int | None = None
    archive_uri: str | None = None
    dry_run: bool = False
    already_applied: bool = False


def batch_number(cutoff: date) -> int:
    """The retention batch of a cutoff: its day number since 1970-01-01."""
    return (cutoff - _EPOCH).days


def archive_ref_uri(ref: TableRef) -> str:
    """The cold prefix holding a table's archived rows."""
    return ref.storage.uri(ARCHIVE_PREFIX, ref.env, ref.name.layer, ref.name.name)


def apply_retention(
    ref: TableRef,
    policy: RetentionPolicy,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    emit: EventSink | None = None,
    writer_properties: WriterProperties | None = None,
) -> RetentionResult:
    """Archive (if configured) and delete the rows older than the policy's cutoff.

    Safe to re-run at any point: a completed batch is skipped, a half-done one finishes.
    Emits ``table.retention_applied`` when rows were deleted. ``writer_properties`` (the
    table's codec) apply to the archive and to the files the delete rewrites.
    """
    from sluiceway.events.types import TableRetentionApplied

    table = ref.open()
    cutoff = policy.cutoff(now)
    batch = batch_number(cutoff)
    archive_uri = archive_ref_uri(ref) if policy.archive else None
    result = RetentionResult(str(ref.name), cutoff, batch, policy.column, archive_uri=archive_uri)
    done = table.transaction_version(APP_ID)
    if done is not None and int(done) >= batch:
        return _replace(result, already_applied=True, dry_run=dry_run, version=table.version())
    value = _cutoff_value(table, policy.column, cutoff, str(ref.name))
    dataset = _dataset(ref, table)
    old_rows = dataset.count_rows(filter=_expression(policy.column, value))
    partitions = _partitions(table, dataset, policy.column, value) if old_rows else []
    result = _replace(result, partitions=partitions, version=table.version(), dry_run=dry_run)
    if dry_run or old_rows == 0:
        return _replace(
            result, rows_deleted=old_rows, rows_archived=old_rows if policy.archive else 0
        )
    archived, metrics, version = _archive_and_delete(
        ref, policy, batch, value, now, writer_properties
    )
    deleted = int(metrics.get("num_deleted_rows", 0))
    result = _replace(
        result,
        rows_deleted=deleted,
        rows_archived=archived,
        files_removed=int(metrics.get("num_removed_files", 0)),
        files_added=int(metrics.get("num_added_files", 0)),
        version=version,
    )
    send(
        emit,
        TableRetentionApplied(
            table=result.table,
            cutoff=cutoff.isoformat(),
            column=policy.column,
            rows_deleted=deleted,
            rows_archived=archived,
            version=version,
            archive=archive_uri,
        ),
    )
    return result


def archive_rows(
    ref: TableRef,
    table: DeltaTable,
    policy: RetentionPolicy,
    batch: int,
    *,
    now: datetime | None = None,
    writer_properties: WriterProperties | None = None,
) -> int:
    """Copy the rows before the cutoff to the archive as batch ``batch``; returns the count.

    The write replaces whatever batch ``batch`` already holds in the archive, so a copy
    repeated after a crash leaves each row there once.
    """
    from deltalake import CommitProperties, Transaction, write_deltalake

    cutoff = policy.cutoff(now)
    value = _cutoff_value(table, policy.column, cutoff, str(ref.name))
    dataset = _dataset(ref, table)
    expression = _expression(policy.column, value)
    count = dataset.count_rows(filter=expression)
    reader = _with_batch(dataset.scanner(filter=expression).to_reader(), batch)
    properties = CommitProperties(
        custom_metadata={"sluiceway.app_id": APP_ID, "sluiceway.batch": str(batch)},
        app_transactions=[Transaction(app_id=APP_ID, version=batch)],
    )
    options: dict[str, Any] = {
        "mode": "overwrite",
        "predicate": predicates.compare(ARCHIVE_BATCH, "=", batch),
        "schema_mode": "merge",
        "storage_options": ref.storage.storage_options(),
        "commit_properties": properties,
    }
    if writer_properties is not None:
        options["writer_properties"] = writer_properties
    try:
        write_deltalake(archive_ref_uri(ref), reader, **options)
    except Exception as exc:
        raise LakeError(f"archiving old rows of {ref.name} failed: {clean_message(exc)}") from exc
    return count


def _archive_and_delete(
    ref: TableRef,
    policy: RetentionPolicy,
    batch: int,
    value: Cutoff,
    now: datetime | None,
    writer_properties: WriterProperties | None,
) -> tuple[int, dict[str, Any], int]:
    """Archive then delete from one snapshot, as one DELETE commit tagged with the batch.

    Both steps read the same snapshot, so the delete removes only rows the archive holds:
    when another writer adds rows meanwhile, delta-rs refuses the delete ("a concurrent
    transaction added new data") and the retry archives and deletes again from a fresh
    snapshot — the archive write replaces its batch, so repeating it is harmless.
    """
    from deltalake import CommitProperties, Transaction

    from sluiceway.lake.commit import retry_on_conflict

    predicate = predicates.compare(policy.column, "<", value)
    properties = CommitProperties(
        custom_metadata={"sluiceway.app_id": APP_ID, "sluiceway.batch": str(batch)},
        app_transactions=[Transaction(app_id=APP_ID, version=batch)],
    )

    def attempt() -> tuple[int, dict[str, Any], int]:
        table = ref.open()
        done = table.transaction_version(APP_ID)
        if done is not None and int(done) >= batch:
            return 0, {}, table.version()
        archived = (
            archive_rows(ref, table, policy, batch, now=now, writer_properties=writer_properties)
            if policy.archive
            else 0
        )
        metrics = table.delete(
            predicate, commit_properties=properties, writer_properties=writer_properties
        )
        return archived, dict(metrics), table.version()

    return retry_on_conflict(attempt, what=f"retention on {ref.name}")


def _dataset(ref: TableRef, table: DeltaTable) -> pads.Dataset:
    return table.to_pyarrow_dataset(filesystem=ref.storage.filesystem(ref.uri))


def _cutoff_value(table: DeltaTable, column: str, cutoff: date, name: str) -> Cutoff:
    """The cutoff in the column's own type: a date, a midnight timestamp, or ISO text."""
    import pyarrow as pa

    schema = pa.schema(table.schema().to_arrow())
    if column not in schema.names:
        raise LakeError(
            f"{name}: the retention column {column!r} is not in the table",
            hint="fix retention.column in the table's metadata",
        )
    kind = schema.field(column).type
    if pa.types.is_date(kind):
        return cutoff
    if pa.types.is_timestamp(kind):
        midnight = datetime(cutoff.year, cutoff.month, cutoff.day)
        return midnight.replace(tzinfo=UTC) if kind.tz else midnight
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return cutoff.isoformat()  # ISO dates sort as text
    raise LakeError(
        f"{name}: the retention column {column!r} has type {kind}, not a date or timestamp",
        hint="use a date or timestamp column for retention",
    )


def _expression(column: str, value: Cutoff) -> pads.Expression:
    import pyarrow.compute as pc

    return pc.field(column) < value


def _partitions(table: DeltaTable, dataset: pads.Dataset, column: str, value: Cutoff) -> list[str]:
    """The partitions a delete drops whole, when the table is partitioned by ``column``."""
    if column not in table.metadata().partition_columns:
        return []
    values = dataset.to_table(columns=[column], filter=_expression(column, value)).column(column)
    return sorted({f"{column}={v}" for v in values.unique().to_pylist()})


def _with_batch(reader: pa.RecordBatchReader, batch: int) -> pa.RecordBatchReader:
    import pyarrow as pa

    keep = [f for f in reader.schema if f.name != ARCHIVE_BATCH]
    schema = pa.schema([*keep, pa.field(ARCHIVE_BATCH, pa.int64(), nullable=False)])

    def batches() -> Iterator[pa.RecordBatch]:
        for chunk in reader:
            columns = [chunk.column(f.name) for f in keep]
            columns.append(pa.array([batch] * chunk.num_rows, pa.int64()))
            yield pa.RecordBatch.from_arrays(columns, schema=schema)

    return pa.RecordBatchReader.from_batches(schema, batches())


def _replace(result: RetentionResult, **changes: Any) -> RetentionResult:
    from dataclasses import replace

    return replace(result, **changes)
