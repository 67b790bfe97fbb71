"""SQLite: the embedded default, tuned for one writer and many readers.

Every connection gets WAL (readers never block the writer), ``synchronous=NORMAL`` (durable
across process crashes, fsync at checkpoints), a busy timeout and foreign keys. The
pysqlite driver's implicit transactions are turned off and ``BEGIN`` is issued by us, so a
write session can ask for ``BEGIN IMMEDIATE`` and never fail half-way on a lock upgrade.

SQLite serializes writes, so event ids are assigned and committed in the same order with no
extra lock; other processes notice appends by polling ``PRAGMA data_version``, which
changes only when another connection commits and costs no I/O.
"""

from __future__ import annotations

import fcntl
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import URL
from sqlalchemy.pool import StaticPool

from sluiceway.meta.dialects import WRITE_OPTION, DialectCapabilities

BUSY_TIMEOUT_MS = 30_000
POLL_INTERVAL = 0.05


def _is_memory(url: URL) -> bool:
    return not url.database or url.database == ":memory:"


class SqliteDialect:
    """The SQLite adapter."""

    capabilities = DialectCapabilities(
        name="sqlite",
        supports_listen_notify=False,
        supports_advisory_locks=False,
        wakeup_poll_interval=POLL_INTERVAL,
        concurrent_writers=False,
    )
    # BEGIN is free in-process; keep pysqlite's transaction handling as configured below.
    read_options: dict[str, Any] = {}

    def __init__(self) -> None:
        self._path: Path | None = None
        self._memory_lock = threading.Lock()

    def engine_options(self, url: URL) -> dict[str, Any]:
        """One shared connection for in-memory databases, a pool for files."""
        if _is_memory(url):
            return {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        self._path = Path(str(url.database))
        return {"connect_args": {"timeout": BUSY_TIMEOUT_MS / 1000}}

    def configure(self, engine: Engine) -> None:
        """Set the pragmas on every new connection and take over ``BEGIN``."""

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Connection) -> None:
            write = connection.get_execution_options().get(WRITE_OPTION, False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    @contextmanager
    def migration_lock(self, engine: Engine) -> Iterator[None]:
        """An exclusive ``fcntl`` lock on a file beside the database."""
        if self._path is None:
            with self._memory_lock:
                yield
            return
        lock_path = self._path.with_name(self._path.name + ".migrate.lock")
        with lock_path.open("a+") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def before_append(self, connection: Connection) -> None:
        """Nothing: SQLite already holds one write lock from INSERT to COMMIT."""

    def serialize(self, connection: Connection, name: str) -> None:
        """Nothing: a write transaction takes SQLite's one write lock at BEGIN."""

    def after_append(self, connection: Connection, last_id: int) -> None:
        """Nothing: other processes poll (see :class:`DataVersionWatcher`)."""

    def watch(self, engine: Engine) -> DataVersionWatcher:
        """A poller of ``PRAGMA data_version`` on its own connection."""
        if self._path is None:
            raise NotImplementedError("an in-memory store is private to one process")
        return DataVersionWatcher(self._path)


class DataVersionWatcher:
    """Polls ``PRAGMA data_version`` and reads the latest event id when it changes."""

    def __init__(self, path: Path, interval: float = POLL_INTERVAL) -> None:
        self._connection = sqlite3.connect(
            str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
        )
        self._connection.isolation_level = None
        self._interval = interval
        self._version = self._data_version()

    def _data_version(self) -> int:
        row = self._connection.execute("PRAGMA data_version").fetchone()
        return int(row[0])

    def wait(self, timeout: float) -> int | None:
        """Poll until another connection commits or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        while True:
            version = self._data_version()
            if version != self._version:
                self._version = version
                row = self._connection.execute("SELECT max(id) FROM events").fetchone()
                return int(row[0]) if row and row[0] is not None else 0
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            time.sleep(min(self._interval, remaining))

    def close(self) -> None:
        """Close the polling connection."""
        self._connection.close()
