"""PostgreSQL through psycopg 3: advisory locks and LISTEN/NOTIFY.

Identity values are handed out at INSERT time but become visible at COMMIT, so two
concurrent appenders can commit ids out of order, and a consumer reading ``id > cursor``
would skip the late-committing lower id forever. Each append transaction therefore takes
one transaction-level advisory lock before inserting: appends are serialized (one at a time
per database; they are short, and batching amortizes the lock) and ids commit in order.

The same statement queues a ``NOTIFY``: PostgreSQL delivers it only when (and if) the
transaction commits, wherever in the transaction it was sent, so listeners are never woken
for an event they cannot yet read, and the append pays no extra round trip for it. The
listener reads ``max(id)`` when woken (notifications of one transaction are coalesced).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL

from sluiceway.meta.dialects import EVENTS_CHANNEL, DialectCapabilities

# Arbitrary, fixed 64-bit keys: the same in every process that opens the store.
MIGRATION_LOCK_KEY = 0x5157_0001
APPEND_LOCK_KEY = 0x5157_0002
SERIAL_LOCK_KEYS = {"claims": 0x5157_0003}


class PostgresDialect:
    """The PostgreSQL adapter."""

    capabilities = DialectCapabilities(
        name="postgresql",
        supports_listen_notify=True,
        supports_advisory_locks=True,
        wakeup_poll_interval=None,
        concurrent_writers=True,
    )
    # A lone SELECT needs no transaction: autocommit saves the BEGIN and COMMIT round trips.
    read_options: dict[str, Any] = {"isolation_level": "AUTOCOMMIT"}

    def engine_options(self, url: URL) -> dict[str, Any]:
        """Check pooled connections before use: servers restart, proxies drop idle ones."""
        return {"pool_pre_ping": True}

    def configure(self, engine: Engine) -> None:
        """Nothing per connection: the server's defaults are right."""

    @contextmanager
    def migration_lock(self, engine: Engine) -> Iterator[None]:
        """A session-level advisory lock on a connection held for the migration."""
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
                connection.commit()

    def before_append(self, connection: Connection) -> None:
        """Serialize appends so ids commit in id order, and queue the NOTIFY.

        The lock is released, and the notification delivered, at COMMIT (or dropped at
        ROLLBACK); one round trip does both.
        """
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:k), pg_notify(:channel, '')"),
            {"k": APPEND_LOCK_KEY, "channel": EVENTS_CHANNEL},
        )

    def serialize(self, connection: Connection, name: str) -> None:
        """A transaction-level advisory lock for ``name``, released at COMMIT."""
        key = SERIAL_LOCK_KEYS[name]
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})

    def after_append(self, connection: Connection, last_id: int) -> None:
        """Nothing: the NOTIFY was queued by :meth:`before_append`."""

    def watch(self, engine: Engine) -> ListenWatcher:
        """A LISTEN on its own connection, outside the pool."""
        return ListenWatcher(engine)


class ListenWatcher:
    """Waits for NOTIFY on the events channel on a dedicated autocommit connection."""

    def __init__(self, engine: Engine) -> None:
        raw = engine.raw_connection()
        self._connection: Any = cast(Any, raw.driver_connection)
        raw.detach()  # this connection lives outside the pool until close()
        self._raw = raw
        self._connection.autocommit = True
        self._connection.execute(f"LISTEN {EVENTS_CHANNEL}")

    def wait(self, timeout: float) -> int | None:
        """The latest event id once notified within ``timeout`` seconds, else ``None``."""
        notified = list(self._connection.notifies(timeout=timeout, stop_after=1))
        if not notified:
            return None
        row = self._connection.execute("SELECT max(id) FROM events").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def close(self) -> None:
        """Close the listening connection."""
        self._raw.close()
