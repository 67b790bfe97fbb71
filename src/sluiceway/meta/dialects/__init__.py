"""One adapter per database behind a small protocol, with capabilities as data.

The store and the event log never ask "is this PostgreSQL?"; they call the adapter
(serialize appends, announce them, watch for other processes' appends, lock migrations)
and read :class:`DialectCapabilities` when behaviour must differ. Adapters are imported
lazily by backend name, so a SQLite user never imports psycopg.
"""

from __future__ import annotations

import importlib
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import URL

from sluiceway.meta.errors import StoreConfigError

EVENTS_CHANNEL = "sluiceway_events"

#: Execution option of a session that will write: SQLite begins it IMMEDIATE.
WRITE_OPTION = "sluiceway_write"

_ADAPTERS = {
    "sqlite": "sluiceway.meta.dialects.sqlite:SqliteDialect",
    "postgresql": "sluiceway.meta.dialects.postgres:PostgresDialect",
}


@dataclass(frozen=True, slots=True)
class DialectCapabilities:
    """What a database can do for the store, as data the core code reads.

    Attributes:
        name: the backend name, for messages only.
        supports_listen_notify: other processes are woken by a push (LISTEN/NOTIFY)
            rather than by polling.
        supports_advisory_locks: locks are taken in the database rather than on a file.
        wakeup_poll_interval: seconds between checks for other processes' appends when
            there is no push; ``None`` when pushes make polling unnecessary.
        concurrent_writers: several connections can write at once (PostgreSQL), rather
            than the database serializing every write (SQLite).
    """

    name: str
    supports_listen_notify: bool
    supports_advisory_locks: bool
    wakeup_poll_interval: float | None
    concurrent_writers: bool


class ChangeWatcher(Protocol):
    """Waits for appends committed by other connections (and other processes)."""

    def wait(self, timeout: float) -> int | None:
        """Block up to ``timeout`` seconds; the latest event id if the log may have grown."""
        ...

    def close(self) -> None:
        """Release the watcher's connection."""
        ...


class StoreDialect(Protocol):
    """What the store needs from one database."""

    capabilities: DialectCapabilities

    #: Execution options for single-statement reads (e.g. autocommit: no BEGIN/COMMIT).
    read_options: dict[str, Any]

    def engine_options(self, url: URL) -> dict[str, Any]:
        """Keyword arguments for ``create_engine``."""
        ...

    def configure(self, engine: Engine) -> None:
        """Install per-connection settings (event listeners) on a new engine."""
        ...

    def migration_lock(self, engine: Engine) -> AbstractContextManager[None]:
        """Hold a lock that one process at a time may hold while migrating."""
        ...

    def before_append(self, connection: Connection) -> None:
        """Called in the append transaction before its INSERT: order ids by commit, and
        queue any announcement that is delivered at COMMIT."""
        ...

    def serialize(self, connection: Connection, name: str) -> None:
        """Make the rest of this write transaction run alone among those serialized under
        ``name`` (a check-then-write, such as claiming a run, done atomically)."""
        ...

    def after_append(self, connection: Connection, last_id: int) -> None:
        """Called in the append transaction after its INSERT, with the last id appended."""
        ...

    def watch(self, engine: Engine) -> ChangeWatcher:
        """A watcher of appends by other connections, on its own connection."""
        ...


def dialect_for(url: URL) -> StoreDialect:
    """The adapter for ``url``'s backend.

    Raises:
        StoreConfigError: the backend is not one the store supports.
    """
    backend = url.get_backend_name()
    target = _ADAPTERS.get(backend)
    if target is None:
        supported = ", ".join(sorted(_ADAPTERS))
        raise StoreConfigError(
            f"metadata store does not support {backend!r} databases",
            hint=f"use one of: {supported}",
        )
    module_name, _, class_name = target.partition(":")
    adapter: StoreDialect = getattr(importlib.import_module(module_name), class_name)()
    return adapter
