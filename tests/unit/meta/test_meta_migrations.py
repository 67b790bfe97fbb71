"""Migrations: a linear, numbered chain that matches the models, applied once, forward only."""

from __future__ import annotations

import importlib.util
import multiprocessing
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from sluiceway.meta.errors import StoreTooNewError
from sluiceway.meta.migrate import HEAD_REVISION, MIGRATIONS_DIR, alembic_config
from sluiceway.meta.models import Base
from sluiceway.meta.store import open_store


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def test_head_constant_matches_alembic() -> None:
    assert _scripts().get_heads() == [HEAD_REVISION]


def test_revisions_are_zero_padded_unique_and_linear() -> None:
    scripts = list(reversed(list(_scripts().walk_revisions())))
    ids = [s.revision for s in scripts]
    assert ids == [f"{n:04d}" for n in range(1, len(ids) + 1)]
    assert [s.down_revision for s in scripts] == [None, *ids[:-1]]
    files = sorted(p.name for p in (MIGRATIONS_DIR / "versions").glob("0*.py"))
    assert [name[:4] for name in files] == ids


def test_migrations_are_forward_only() -> None:
    for path in (MIGRATIONS_DIR / "versions").glob("0*.py"):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        with pytest.raises(NotImplementedError):
            module.downgrade()


def test_models_match_the_migrations(empty_metadata_url: str) -> None:
    open_store(empty_metadata_url).close()
    engine = create_engine(empty_metadata_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_a_newer_store_is_refused(empty_metadata_url: str) -> None:
    open_store(empty_metadata_url).close()
    engine = create_engine(empty_metadata_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StoreTooNewError, match="at revision 9999, newer than this sluiceway"):
        open_store(empty_metadata_url)


def test_opening_a_current_store_does_not_load_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    open_store(url).close()
    code = (
        "import sys; from sluiceway.meta.store import open_store; "
        f"open_store({url!r}).close(); print('alembic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _open(url: str) -> str | None:
    store = open_store(url)
    try:
        return None if store.migration is None else store.migration.to_revision
    finally:
        store.close()


def test_concurrent_opens_of_a_new_store_migrate_once(empty_metadata_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        results = pool.map(_open, [empty_metadata_url] * 4)
    assert sorted(results, key=str) == [HEAD_REVISION, None, None, None]
    with open_store(empty_metadata_url) as store:
        assert [e.type for e in store.events.read()] == ["metadata.migrated"]
