"""The event log: append typed events durably, read them back in id order.

``append`` returns only after the transaction has committed, so an event is durable
before anyone acts on it; then it wakes this process's waiters (other processes are woken
by the store's dialect: NOTIFY on PostgreSQL, polling on SQLite). Ids are strictly
increasing in commit order on every supported database, so ``read(after_id=cursor)``
never skips an event (see :mod:`sluiceway.meta.dialects.postgres` for how).

A producer that may see the same fact twice (a restarted schedule, two watchers racing, a
file listed again) passes a ``dedup_key``: the event is appended at most once per key, and
a duplicate append returns ``None`` instead of a second event.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, TypeVar, overload

from sluiceway.events import notify
from sluiceway.events.base import Event, from_record, to_new_event

if TYPE_CHECKING:
    from sluiceway.meta.events import EventRecord, NewEvent
    from sluiceway.meta.store import MetaStore

E = TypeVar("E", bound=Event)

DEFAULT_LIMIT = 1000


class EventLog:
    """Typed access to a store's event log. Cheap to create: it holds no connection."""

    def __init__(self, store: MetaStore) -> None:
        self.store = store

    @overload
    def append(self, event: E) -> E: ...

    @overload
    def append(self, event: E, *, dedup_key: str) -> E | None: ...

    def append(self, event: E, *, dedup_key: str | None = None) -> E | None:
        """Append one event; returns it with its ``id`` set, once committed.

        Args:
            event: the event to append.
            dedup_key: if given, append only when no event with this key is in the log
                (on any database, even when several processes race to append it).

        Returns:
            The appended event; ``None`` if ``dedup_key`` was already used (the earlier
            event is :meth:`find`'s).
        """
        if dedup_key is None:
            return self.append_many([event])[0]
        new = dataclasses.replace(to_new_event(event), dedup_key=dedup_key)
        record, appended = self.store.events.append_unique(new)
        if not appended:
            return None
        notify.announce(self.store.key, record.id)
        return event.model_copy(update={"id": record.id})

    def find(self, dedup_key: str) -> Event | None:
        """The event appended with ``dedup_key``, if any."""
        record = self.store.events.find(dedup_key)
        return None if record is None else from_record(record)

    def newest(
        self,
        types: Iterable[str] | None = None,
        *,
        pipeline: str | None = None,
        before_id: int | None = None,
        limit: int = 100,
    ) -> list[Event]:
        """Events (of the given types, for ``pipeline``) below ``before_id``, newest first."""
        records = self.store.events.newest(
            types, pipeline=pipeline, before_id=before_id, limit=limit
        )
        return [from_record(r) for r in records]

    def append_many(self, events: Sequence[E]) -> list[E]:
        """Append events in one transaction, in order; all or none are committed."""
        if not events:
            return []
        records = self.store.events.append([to_new_event(e) for e in events])
        notify.announce(self.store.key, records[-1].id)
        return [e.model_copy(update={"id": r.id}) for e, r in zip(events, records, strict=True)]

    def read(
        self,
        after_id: int = 0,
        types: Iterable[str] | None = None,
        limit: int = DEFAULT_LIMIT,
    ) -> list[Event]:
        """Events with an id above ``after_id`` (of the given types), oldest first."""
        return [from_record(r) for r in self.store.events.read(after_id, types, limit)]

    def tail(self, limit: int, types: Iterable[str] | None = None) -> list[Event]:
        """The last ``limit`` events (of the given types), oldest first."""
        return [from_record(r) for r in self.store.events.tail(limit, types)]

    def latest_id(self) -> int:
        """The highest id in the log (0 when empty)."""
        return self.store.events.latest_id()


def staged(
    store: MetaStore, *events: Event
) -> tuple[list[NewEvent], Callable[[list[EventRecord]], None]]:
    """``events`` in storage form for a repository to append in its own transaction, and
    the callback that wakes this process's waiters once that transaction committed."""

    def appended(records: list[EventRecord]) -> None:
        if records:
            notify.announce(store.key, records[-1].id)

    return [to_new_event(e) for e in events], appended


@overload
def emit(store: MetaStore, event: E) -> E: ...


@overload
def emit(store: MetaStore, event: E, *, dedup_key: str) -> E | None: ...


def emit(store: MetaStore, event: E, *, dedup_key: str | None = None) -> E | None:
    """Append ``event`` to ``store``'s log: the one-liner for recording a state change.

    With ``dedup_key``, the event is appended at most once per key; ``None`` is returned for
    a duplicate (see :meth:`EventLog.append`).
    """
    if dedup_key is None:
        return EventLog(store).append(event)
    return EventLog(store).append(event, dedup_key=dedup_key)
