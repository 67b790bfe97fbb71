"""Opening stores: migrations on open, SQLite settings, capabilities, error translation."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from sluiceway.errors import TransientError
from sluiceway.meta.errors import ConflictError, StoreConfigError, StoreUnavailableError
from sluiceway.meta.migrate import HEAD_REVISION
from sluiceway.meta.models import RunRow, utcnow
from sluiceway.meta.store import open_project_store, open_store


def test_opening_an_empty_database_migrates_and_records_an_event(
    empty_metadata_url: str,
) -> None:
    with open_store(empty_metadata_url) as store:
        assert store.migration is not None
        assert (store.migration.from_revision, store.migration.to_revision) == (
            None,
            HEAD_REVISION,
        )
        events = store.events.read()
        assert [(e.type, e.payload) for e in events] == [
            ("metadata.migrated", {"from_revision": None, "to_revision": HEAD_REVISION})
        ]
    with open_store(empty_metadata_url) as again:
        assert again.migration is None
        assert again.events.latest_id() == 1  # no second migration event


def test_capabilities_are_data(store, metadata_backend: str) -> None:
    caps = store.dialect_capabilities
    assert caps.supports_listen_notify is (metadata_backend == "postgres")
    assert caps.supports_advisory_locks is (metadata_backend == "postgres")
    assert (caps.wakeup_poll_interval is None) is caps.supports_listen_notify


def test_sqlite_connections_get_wal_and_pragmas(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'm.db'}") as store, store.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


def test_session_rolls_back_on_error(store) -> None:
    with pytest.raises(RuntimeError), store.session() as session:
        session.execute(
            text("INSERT INTO event_cursors (consumer, position, updated_at) VALUES ('x', 1, :t)"),
            {"t": utcnow()},
        )
        raise RuntimeError("boom")
    assert store.events.cursors() == []


def test_integrity_errors_become_conflicts(store) -> None:
    store.runs.create("p", run_id="r1")
    with pytest.raises(ConflictError):
        store.runs.create("p", run_id="r1")
    with store.session() as session:
        assert session.get(RunRow, "r1") is not None


def test_unreachable_postgres_is_transient_and_masks_the_password() -> None:
    with pytest.raises(StoreUnavailableError) as info:
        open_store("postgresql+psycopg://sw:hunter2@127.0.0.1:1/sw?connect_timeout=2")
    assert isinstance(info.value, TransientError)
    assert "hunter2" not in str(info.value)
    assert "sw:***@127.0.0.1:1/sw" in str(info.value)


def test_unsupported_backend_is_a_config_error() -> None:
    with pytest.raises(StoreConfigError, match="does not support 'mysql'"):
        open_store("mysql://u@h/db")


def test_project_store_lives_in_the_project_folder(tmp_path: Path) -> None:
    project = SimpleNamespace(root=tmp_path, settings=SimpleNamespace(metadata=None))
    with open_project_store(project, environ={}) as store:
        assert store.events.latest_id() == 1
    assert (tmp_path / ".sluiceway" / "metadata.db").is_file()


def test_store_repr_never_shows_the_password() -> None:
    from sluiceway.meta.store import MetaStore

    store = MetaStore("postgresql+psycopg://sw:hunter2@127.0.0.1:1/sw")
    assert "hunter2" not in repr(store) and "hunter2" not in store.key
    store.close()


def test_in_memory_sqlite_works() -> None:
    with open_store("sqlite://") as store:
        store.runs.create("p")
        assert len(store.runs.recent()) == 1
