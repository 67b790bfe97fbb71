"""The metadata store: one engine, sessions, and a repository per aggregate.

``open_store(url)`` opens and migrates; ``open_project_store(project)`` resolves the
project's ``metadata`` setting first (``${env:NAME}`` references, SQLite paths relative to
the project). The store is deliberately thin: each aggregate's behaviour lives in its own
repository module, and database differences live in :mod:`sluiceway.meta.dialects`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from sluiceway.meta.catalog import CatalogRepo
from sluiceway.meta.checks import CheckRepo
from sluiceway.meta.dialects import WRITE_OPTION, DialectCapabilities, dialect_for
from sluiceway.meta.errors import MetaError, StoreConfigError, translate
from sluiceway.meta.events import EventStore, NewEvent
from sluiceway.meta.ledger import LedgerRepo
from sluiceway.meta.metrics import MetricRepo
from sluiceway.meta.migrate import Migration, ensure_schema
from sluiceway.meta.runs import RunRepo
from sluiceway.meta.urls import mask_url, password_of, project_metadata_url


class MetaStore:
    """An open metadata store.

    Attributes:
        url: the SQLAlchemy URL, password included: never print it, use ``masked_url``.
        masked_url: the URL with the password hidden, for messages.
        engine: the SQLAlchemy engine.
        dialect: the database adapter (locks, wake-ups, per-connection settings).
        migration: the migration applied when the store was opened, if any.
    """

    def __init__(self, url: str) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise StoreConfigError(f"metadata URL {mask_url(url)!r} is not valid") from exc
        self.url = url
        self.masked_url = mask_url(url)
        self._secret = password_of(url)
        self.dialect = dialect_for(parsed)
        self.engine = create_engine(parsed, **self.dialect.engine_options(parsed))
        self.dialect.configure(self.engine)
        self._write_engine = self.engine.execution_options(**{WRITE_OPTION: True})
        self._read_engine = self.engine.execution_options(**self.dialect.read_options)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(self._write_engine, expire_on_commit=False)
        self.migration: Migration | None = None
        self.catalog = CatalogRepo(self)
        self.runs = RunRepo(self)
        self.events = EventStore(self)
        self.ledger = LedgerRepo(self)
        self.checks = CheckRepo(self)
        self.metrics = MetricRepo(self)

    @property
    def dialect_capabilities(self) -> DialectCapabilities:
        """What this database can do (LISTEN/NOTIFY, advisory locks, polling interval)."""
        return self.dialect.capabilities

    @property
    def key(self) -> str:
        """Identity of the database, for per-process registries (no password in it)."""
        return self.masked_url

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Translate driver errors raised inside the block into :class:`MetaError`."""
        try:
            yield
        except MetaError:
            raise
        except SQLAlchemyError as exc:
            raise translate(exc, self.masked_url, self._secret) from exc

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error.

        Args:
            write: the transaction will write after reading; on SQLite it then takes the
                write lock up front, so it waits for other writers instead of failing.
        """
        factory = self._write_sessions if write else self._sessions
        with self.errors(), factory.begin() as session:
            yield session

    @contextmanager
    def connection(self, *, write: bool = False) -> Iterator[Connection]:
        """A Core connection in one transaction, for bulk statements (event appends)."""
        engine = self._write_engine if write else self.engine
        with self.errors(), engine.begin() as connection:
            yield connection

    @contextmanager
    def reader(self) -> Iterator[Connection]:
        """A Core connection for one read-only statement (autocommit where that is cheaper).

        Use :meth:`connection` or :meth:`session` when several statements must see one
        snapshot.
        """
        with self.errors(), self._read_engine.connect() as connection:
            yield connection

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> MetaStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"MetaStore({self.masked_url!r})"


def open_store(url: str, *, migrate: bool = True) -> MetaStore:
    """Open the store at ``url`` and bring its schema up to date.

    A migration applied here is recorded as a ``metadata.migrated`` event.

    Raises:
        StoreUnavailableError: the database cannot be reached.
        StoreTooNewError: the database was migrated by a newer Sluiceway.
    """
    store = MetaStore(url)
    try:
        if migrate:
            with store.errors():
                store.migration = ensure_schema(store.engine, store.dialect, store.masked_url)
            if store.migration is not None:
                store.events.append([_migrated_event(store.migration)])
    except BaseException:
        store.close()
        raise
    return store


def open_project_store(project: Any, environ: Mapping[str, str] | None = None) -> MetaStore:
    """Open the store named by ``project.settings.metadata`` (default: SQLite in the project).

    ``project`` needs ``root`` (a path) and ``settings.metadata`` (a URL, possibly with
    ``${env:NAME}`` references); relative SQLite paths are taken from ``project.root``.
    """
    return open_store(project_metadata_url(project, os.environ if environ is None else environ))


def _migrated_event(migration: Migration) -> NewEvent:
    return NewEvent(
        type="metadata.migrated",
        payload={"from_revision": migration.from_revision, "to_revision": migration.to_revision},
    )
