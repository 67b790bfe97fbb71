"""The storage side of the event log: rows in, rows out, and consumers' cursors.

Typed events live in :mod:`sluiceway.events`; this module only moves plain records. An
append is one transaction that the dialect brackets: ``before_append`` (PostgreSQL takes an
advisory lock so ids commit in id order, and queues its NOTIFY) and ``after_append``
(given the last id, for adapters that want it). An append returns only after COMMIT, so an
event is durable before anyone acts on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from sluiceway.meta.models import EventCursorRow, EventRow, utcnow

if TYPE_CHECKING:
    from sluiceway.meta.store import MetaStore

_EVENTS = cast(Table, EventRow.__table__)
_CURSORS = cast(Table, EventCursorRow.__table__)


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
        rows = [
            {
                "type": e.type,
                "time": e.time,
                "run_id": e.run_id,
                "pipeline": e.pipeline,
                "step": e.step,
                "table_name": e.table,
                "payload": e.payload,
            }
            for e in events
        ]
        dialect = self._store.dialect
        statement = insert(_EVENTS).returning(_EVENTS.c.id, sort_by_parameter_order=True)
        with self._store.connection(write=True) as connection:
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
