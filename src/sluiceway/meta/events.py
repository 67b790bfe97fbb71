"""The storage side of the event log: rows in, rows out, and consumers' cursors.

Typed events live in :mod:`sluiceway.events`; this module only moves plain records. An
append is one transaction that the dialect brackets: ``before_append`` (PostgreSQL takes an
advisory lock so ids commit in id order, and queues its NOTIFY) and ``after_append``
(given the last id, for adapters that want it). An append returns only after COMMIT, so an
event is durable before anyone acts on it.

An event may carry a ``dedup_key``: :meth:`EventStore.append_unique` appends it only if no
event with that key exists. The check runs inside the append transaction, after the
dialect has serialized appends, and a unique index backs it, so two racing producers (two
watchers, or one restarted) append a fact once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from sluiceway.meta.models import EventCursorRow, EventRow, utcnow

if TYPE_CHECKING:
    from sluiceway.meta.store import MetaStore

_EVENTS = cast(Table, EventRow.__table__)
_CURSORS = cast(Table, EventCursorRow.__table__)

DEDUP_KEY_LENGTH = 255
"""Longest key stored as written; longer keys keep a prefix and end with their SHA-256."""


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append: common fields as columns, the rest in ``payload``."""

    type: str
    time: datetime = field(default_factory=utcnow)
    run_id: str | None = None
    pipeline: str | None = None
    step: str | None = None
    table: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    dedup_key: str | None = None


@dataclass(frozen=True, slots=True)
class EventRecord:
    """An appended event with its id: the position consumers keep in their cursors."""

    id: int
    type: str
    time: datetime
    run_id: str | None
    pipeline: str | None
    step: str | None
    table: str | None
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Cursor:
    """How far one consumer has handled the log."""

    consumer: str
    position: int
    updated_at: datetime


class EventStore:
    """Appends and reads event rows; keeps consumer cursors."""

    def __init__(self, store: MetaStore) -> None:
        self._store = store

    def append(self, events: Sequence[NewEvent]) -> list[EventRecord]:
        """Append ``events`` in one transaction, in order; committed when this returns."""
        if not events:
            return []
        with self._store.connection(write=True) as connection:
            return self.append_in(connection, events)

    def append_in(self, connection: Connection, events: Sequence[NewEvent]) -> list[EventRecord]:
        """Append ``events`` inside the caller's write transaction, committed with it.

        A state change and its event then commit together (a step's record and
        ``step.started``): one transaction instead of two, and never one without the other.
        """
        if not events:
            return []
        rows = [_row(e) for e in events]
        dialect = self._store.dialect
        statement = insert(_EVENTS).returning(_EVENTS.c.id, sort_by_parameter_order=True)
        dialect.before_append(connection)
        if len(rows) == 1:
            ids = [connection.execute(statement, rows[0]).scalar_one()]
        else:
            ids = list(connection.execute(statement, rows).scalars())
        dialect.after_append(connection, ids[-1])
        return [
            EventRecord(i, e.type, e.time, e.run_id, e.pipeline, e.step, e.table, e.payload)
            for i, e in zip(ids, events, strict=True)
        ]

    def append_unique(self, event: NewEvent) -> tuple[EventRecord, bool]:
        """Append ``event`` unless an event with its ``dedup_key`` is already in the log.

        Returns:
            The stored event and True, or the event appended earlier with that key and False.

        Raises:
            ValueError: ``event`` has no ``dedup_key``.
        """
        if event.dedup_key is None:
            raise ValueError("append_unique needs an event with a dedup_key")
        key = stored_key(event.dedup_key)
        row = _row(event)
        dialect = self._store.dialect
        statement = insert(_EVENTS).returning(_EVENTS.c.id)
        existing = select(_EVENTS).where(_EVENTS.c.dedup_key == key)
        with self._store.connection(write=True) as connection:
            # After before_append no other append can commit until this one ends (an
            # advisory lock on PostgreSQL, the write lock on SQLite): look, then insert.
            dialect.before_append(connection)
            found = connection.execute(existing).mappings().first()
            if found is not None:
                return _record(found), False
            try:
                with connection.begin_nested():
                    new_id = connection.execute(statement, row).scalar_one()
            except IntegrityError:  # a dialect that does not serialize appends lost a race
                found = connection.execute(existing).mappings().first()
                if found is None:
                    raise
                return _record(found), False
            dialect.after_append(connection, new_id)
        record = EventRecord(
            id=new_id,
            type=event.type,
            time=event.time,
            run_id=event.run_id,
            pipeline=event.pipeline,
            step=event.step,
            table=event.table,
            payload=event.payload,
        )
        return record, True

    def find(self, dedup_key: str) -> EventRecord | None:
        """The event appended with ``dedup_key``, if any."""
        query = select(_EVENTS).where(_EVENTS.c.dedup_key == stored_key(dedup_key))
        with self._store.reader() as connection:
            first = connection.execute(query).mappings().first()
        return None if first is None else _record(first)

    def newest(
        self,
        types: Iterable[str] | None = None,
        *,
        pipeline: str | None = None,
        before_id: int | None = None,
        limit: int = 100,
    ) -> list[EventRecord]:
        """Events (of the given types, for ``pipeline``) below ``before_id``, newest first.

        For "what happened last" questions, e.g. the last tick of a schedule; page further
        back by passing the smallest id returned as the next ``before_id``.
        """
        query = _filter_types(select(_EVENTS), types)
        if pipeline is not None:
            query = query.where(_EVENTS.c.pipeline == pipeline)
        if before_id is not None:
            query = query.where(_EVENTS.c.id < before_id)
        query = query.order_by(_EVENTS.c.id.desc()).limit(limit)
        with self._store.reader() as connection:
            return [_record(row) for row in connection.execute(query).mappings()]

    def read(
        self, after_id: int = 0, types: Iterable[str] | None = None, limit: int = 1000
    ) -> list[EventRecord]:
        """Events with id greater than ``after_id``, oldest first, at most ``limit``."""
        query = select(_EVENTS).where(_EVENTS.c.id > after_id)
        query = _filter_types(query, types).order_by(_EVENTS.c.id).limit(limit)
        with self._store.reader() as connection:
            return [_record(row) for row in connection.execute(query).mappings()]

    def tail(self, limit: int, types: Iterable[str] | None = None) -> list[EventRecord]:
        """The last ``limit`` events, oldest first."""
        query = _filter_types(select(_EVENTS), types).order_by(_EVENTS.c.id.desc()).limit(limit)
        with self._store.reader() as connection:
            rows = [_record(row) for row in connection.execute(query).mappings()]
        return rows[::-1]

    def get(self, event_id: int) -> EventRecord | None:
        """One event by id."""
        with self._store.reader() as connection:
            row = connection.execute(select(_EVENTS).where(_EVENTS.c.id == event_id)).mappings()
            first = row.first()
        return None if first is None else _record(first)

    def latest_id(self) -> int:
        """The highest id appended so far (0 for an empty log)."""
        with self._store.reader() as connection:
            value = connection.execute(select(func.max(_EVENTS.c.id))).scalar()
        return int(value or 0)

    def cursor(self, consumer: str) -> int:
        """The position of ``consumer`` (0 if it has never advanced)."""
        query = select(_CURSORS.c.position).where(_CURSORS.c.consumer == consumer)
        with self._store.reader() as connection:
            value = connection.execute(query).scalar()
        return int(value or 0)

    def cursors(self) -> list[Cursor]:
        """Every consumer's cursor, by name."""
        query = select(_CURSORS).order_by(_CURSORS.c.consumer)
        with self._store.reader() as connection:
            return [
                Cursor(r["consumer"], int(r["position"]), r["updated_at"])
                for r in connection.execute(query).mappings()
            ]

    def advance_cursor(self, consumer: str, position: int) -> None:
        """Move ``consumer`` forward to ``position``; never backwards (a stale worker's
        late write cannot undo a newer one)."""
        now = utcnow()
        forward = (
            update(_CURSORS)
            .where(_CURSORS.c.consumer == consumer, _CURSORS.c.position < position)
            .values(position=position, updated_at=now)
        )
        with self._store.connection(write=True) as connection:
            if connection.execute(forward).rowcount:
                return
            exists = select(_CURSORS.c.position).where(_CURSORS.c.consumer == consumer)
            if connection.execute(exists).first() is not None:
                return  # already at or past position
            try:
                with connection.begin_nested():
                    connection.execute(
                        insert(_CURSORS).values(
                            consumer=consumer, position=position, updated_at=now
                        )
                    )
            except IntegrityError:
                connection.execute(forward)  # created concurrently: move it forward

    def reset_cursor(self, consumer: str, position: int = 0) -> None:
        """Set ``consumer``'s cursor to ``position``, backwards too (to replay the log)."""
        with self._store.connection(write=True) as connection:
            connection.execute(_CURSORS.delete().where(_CURSORS.c.consumer == consumer))
            connection.execute(
                insert(_CURSORS).values(consumer=consumer, position=position, updated_at=utcnow())
            )


def stored_key(dedup_key: str) -> str:
    """``dedup_key`` as stored: unchanged up to 255 characters, else a prefix and its hash.

    Keys often hold a URI, which may be longer than an index entry should be; the hash keeps
    distinct long keys distinct.
    """
    if len(dedup_key) <= DEDUP_KEY_LENGTH:
        return dedup_key
    digest = hashlib.sha256(dedup_key.encode("utf-8")).hexdigest()
    return f"{dedup_key[: DEDUP_KEY_LENGTH - len(digest) - 1]}#{digest}"


def _row(event: NewEvent) -> dict[str, Any]:
    return {
        "type": event.type,
        "time": event.time,
        "run_id": event.run_id,
        "pipeline": event.pipeline,
        "step": event.step,
        "table_name": event.table,
        "payload": event.payload,
        "dedup_key": None if event.dedup_key is None else stored_key(event.dedup_key),
    }


def _filter_types(query: Any, types: Iterable[str] | None) -> Any:
    if types is None:
        return query
    wanted = sorted(set(types))
    return query.where(_EVENTS.c.type.in_(wanted)) if wanted else query


def _record(row: Any) -> EventRecord:
    return EventRecord(
        id=int(row["id"]),
        type=row["type"],
        time=row["time"],
        run_id=row["run_id"],
        pipeline=row["pipeline"],
        step=row["step"],
        table=row["table_name"],
        payload=row["payload"] or {},
    )
