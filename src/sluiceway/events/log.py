"""The event log: append typed events durably, read them back in id order.

``append`` returns only after the transaction has committed, so an event is durable
before anyone acts on it; then it wakes this process's waiters (other processes are woken
by the store's dialect: NOTIFY on PostgreSQL, polling on SQLite). Ids are strictly
increasing in commit order on every supported database, so ``read(after_id=cursor)``
never skips an event (see :mod:`sluiceway.meta.dialects.postgres` for how).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, TypeVar

from sluiceway.events import notify
from sluiceway.events.base import Event, from_record, to_new_event

if TYPE_CHECKING:
    from sluiceway.meta.store import MetaStore

E = TypeVar("E", bound=Event)

DEFAULT_LIMIT = 1000


class EventLog:
    """Typed access to a store's event log. Cheap to create: it holds no connection."""

    def __init__(self, store: MetaStore) -> None:
        self.store = store

    def append(self, event: E) -> E:
        """Append one event; returns it with its ``id`` set, once committed."""
        return self.append_many([event])[0]

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


def emit(store: MetaStore, event: E) -> E:
    """Append ``event`` to ``store``'s log: the one-liner for recording a state change."""
    return EventLog(store).append(event)
