"""The file ledger: every file an ingest step has seen, and what became of it.

Exactly-once file ingestion rests on one question: "is this the same file delivered
again?". A delivery is identified by (pipeline, step, uri, fingerprint), where the
fingerprint is the object store's ETag if there is one (it changes exactly when the bytes
change) and otherwise mtime + size (a local file rewritten in place gets a new mtime).
So the same object listed twice is one ledger entry, while a file replaced under the same
name is a new delivery. Identical bytes under a different name are found by content hash,
and the ingest step can mark that delivery ``duplicate``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from sluiceway.meta.errors import ConflictError, InvalidTransitionError, NotFoundError
from sluiceway.meta.models import FileLedgerRow, utcnow

if TYPE_CHECKING:
    from sluiceway.meta.store import MetaStore

FileStatus = Literal["seen", "loaded", "failed", "duplicate", "skipped"]

# Which statuses a delivery may move to from each status (loaded is final).
_NEXT: dict[str, frozenset[str]] = {
    "seen": frozenset({"loaded", "failed", "duplicate", "skipped"}),
    "failed": frozenset({"loaded", "failed", "skipped", "duplicate"}),
    "loaded": frozenset(),
    "duplicate": frozenset({"loaded", "skipped"}),
    "skipped": frozenset({"loaded", "skipped"}),
}


def fingerprint(*, size: int, mtime: datetime | None = None, etag: str | None = None) -> str:
    """What distinguishes two deliveries of the same path: ETag, else mtime and size."""
    if etag:
        return f"etag:{etag.strip(chr(34))}"
    stamp = mtime.astimezone(UTC).isoformat() if mtime is not None else "-"
    return f"mtime:{stamp}:size:{size}"


@dataclass(frozen=True, slots=True)
class FileRecord:
    """One delivery of one file to one ingest step."""

    id: int
    pipeline: str
    step: str
    uri: str
    fingerprint: str
    size: int
    mtime: datetime | None
    etag: str | None
    content_hash: str | None
    status: str
    batch: int | None
    table_version: int | None
    rows_read: int | None
    rows_loaded: int | None
    rows_quarantined: int | None
    error: str | None
    first_seen_at: datetime
    loaded_at: datetime | None


@dataclass(frozen=True, slots=True)
class Observation:
    """The result of :meth:`LedgerRepo.observe`: the record, and whether it is new."""

    record: FileRecord
    is_new: bool


class LedgerRepo:
    """Records file deliveries and their outcomes."""

    def __init__(self, store: MetaStore) -> None:
        self._store = store

    def observe(
        self,
        pipeline: str,
        step: str,
        uri: str,
        *,
        size: int,
        mtime: datetime | None = None,
        etag: str | None = None,
        content_hash: str | None = None,
    ) -> Observation:
        """Record a delivery as ``seen``, or return the existing record of the same delivery.

        Safe to call from two workers at once: the unique key decides, and the loser gets
        the winner's record with ``is_new=False``.
        """
        key = fingerprint(size=size, mtime=mtime, etag=etag)
        existing = self.find(pipeline, step, uri, key)
        if existing is not None:
            return Observation(existing, is_new=False)
        row = FileLedgerRow(
            pipeline=pipeline,
            step=step,
            uri=uri,
            fingerprint=key,
            size=size,
            mtime=mtime,
            etag=etag,
            content_hash=content_hash,
            status="seen",
            first_seen_at=utcnow(),
        )
        try:
            with self._store.session(write=True) as session:
                session.add(row)
                session.flush()
                return Observation(_record(row), is_new=True)
        except ConflictError:
            existing = self.find(pipeline, step, uri, key)
            if existing is None:
                raise
            return Observation(existing, is_new=False)

    def find(self, pipeline: str, step: str, uri: str, key: str) -> FileRecord | None:
        """The delivery of ``uri`` with fingerprint ``key`` (see :func:`fingerprint`)."""
        query = select(FileLedgerRow).where(
            FileLedgerRow.pipeline == pipeline,
            FileLedgerRow.step == step,
            FileLedgerRow.uri == uri,
            FileLedgerRow.fingerprint == key,
        )
        with self._store.session() as session:
            row = session.scalars(query).first()
            return None if row is None else _record(row)

    def by_path(self, pipeline: str, step: str, uri: str) -> list[FileRecord]:
        """Every delivery of ``uri`` to this step, oldest first."""
        query = (
            select(FileLedgerRow)
            .where(
                FileLedgerRow.pipeline == pipeline,
                FileLedgerRow.step == step,
                FileLedgerRow.uri == uri,
            )
            .order_by(FileLedgerRow.id)
        )
        return self._many(query)

    def by_content_hash(
        self,
        pipeline: str,
        step: str,
        content_hash: str,
        statuses: Iterable[FileStatus] = ("loaded",),
    ) -> list[FileRecord]:
        """Deliveries of the same bytes to this step (by default: those already loaded)."""
        return self._for_step(pipeline, step, statuses, FileLedgerRow.content_hash == content_hash)

    def with_status(
        self, pipeline: str, step: str, statuses: Iterable[FileStatus]
    ) -> list[FileRecord]:
        """Deliveries to this step in the given statuses (e.g. ``seen`` and ``failed``)."""
        return self._for_step(pipeline, step, statuses)

    def _for_step(
        self,
        pipeline: str,
        step: str,
        statuses: Iterable[FileStatus],
        *conditions: ColumnElement[bool],
    ) -> list[FileRecord]:
        query = (
            select(FileLedgerRow)
            .where(
                FileLedgerRow.pipeline == pipeline,
                FileLedgerRow.step == step,
                FileLedgerRow.status.in_(list(statuses)),
                *conditions,
            )
            .order_by(FileLedgerRow.id)
        )
        return self._many(query)

    def mark_loaded(
        self,
        record_id: int,
        *,
        batch: int,
        table_version: int | None,
        rows_read: int,
        rows_loaded: int,
        rows_quarantined: int = 0,
    ) -> FileRecord:
        """Record that the delivery was committed in ``batch``; idempotent for that batch."""
        with self._store.session(write=True) as session:
            row = _get(session, record_id)
            if row.status == "loaded" and row.batch == batch:
                return _record(row)
            _check(row, "loaded")
            row.status = "loaded"
            row.batch = batch
            row.table_version = table_version
            row.rows_read = rows_read
            row.rows_loaded = rows_loaded
            row.rows_quarantined = rows_quarantined
            row.error = None
            row.loaded_at = utcnow()
            session.flush()
            return _record(row)

    def claim(self, record_id: int, batch: int, content_hash: str | None = None) -> FileRecord:
        """Name the batch that will commit this ``seen`` delivery, before anything is written.

        After a crash, a delivery still ``seen`` with a batch is either in the table (that
        batch committed: only the ledger update was lost) or not (the batch is redone under
        the same number, so whatever it already committed elsewhere is not written twice).
        """
        with self._store.session(write=True) as session:
            row = _get(session, record_id)
            if row.status != "seen":
                raise InvalidTransitionError(
                    f"file {row.uri} is {row.status}; it cannot be claimed"
                )
            row.batch = batch
            if content_hash is not None:
                row.content_hash = content_hash
            session.flush()
            return _record(row)

    def mark_failed(self, record_id: int, error: str) -> FileRecord:
        """Record that loading the delivery failed (it may be retried)."""
        return self._mark(record_id, "failed", error)

    def mark(self, record_id: int, status: FileStatus, reason: str | None = None) -> FileRecord:
        """Mark the delivery ``duplicate`` or ``skipped`` (with a reason)."""
        return self._mark(record_id, status, reason)

    def _mark(self, record_id: int, status: str, error: str | None) -> FileRecord:
        with self._store.session(write=True) as session:
            row = _get(session, record_id)
            _check(row, status)
            row.status = status
            row.error = error
            session.flush()
            return _record(row)

    def _many(self, query: Select[Any]) -> list[FileRecord]:
        with self._store.session() as session:
            return [_record(row) for row in session.scalars(query)]


def _get(session: Session, record_id: int) -> FileLedgerRow:
    row = session.get(FileLedgerRow, record_id)
    if row is None:
        raise NotFoundError(f"no file ledger record with id {record_id}")
    return row


def _check(row: FileLedgerRow, to: str) -> None:
    if to not in _NEXT[row.status]:
        raise InvalidTransitionError(f"file {row.uri} is {row.status}; it cannot become {to}")


def _record(row: FileLedgerRow) -> FileRecord:
    return FileRecord(
        id=row.id,
        pipeline=row.pipeline,
        step=row.step,
        uri=row.uri,
        fingerprint=row.fingerprint,
        size=row.size,
        mtime=row.mtime,
        etag=row.etag,
        content_hash=row.content_hash,
        status=row.status,
        batch=row.batch,
        table_version=row.table_version,
        rows_read=row.rows_read,
        rows_loaded=row.rows_loaded,
        rows_quarantined=row.rows_quarantined,
        error=row.error,
        first_seen_at=row.first_seen_at,
        loaded_at=row.loaded_at,
    )
