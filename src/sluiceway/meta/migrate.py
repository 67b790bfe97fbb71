"""Bring a metadata store to the schema this code expects, forward only.

Opening a store that is already current costs one query: the revision in
``alembic_version`` is compared with :data:`HEAD_REVISION` and Alembic is not even imported.
Otherwise the upgrade runs under the dialect's migration lock (an advisory lock on
PostgreSQL, a file lock on SQLite), so two processes opening a new store at once do not
race. A store at a revision this code does not know was migrated by a newer Sluiceway and
is refused: running old code on a newer schema could corrupt it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from sluiceway.meta.errors import StoreTooNewError

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Connection

    from sluiceway.meta.dialects import StoreDialect

#: The newest migration in ``migrations/versions``; a test keeps it equal to Alembic's head.
HEAD_REVISION = "0007"

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


@dataclass(frozen=True, slots=True)
class Migration:
    """A migration that was applied when the store was opened."""

    from_revision: str | None
    to_revision: str


def read_revision(engine: Engine) -> str | None:
    """The store's revision, or ``None`` for an empty database."""
    with engine.connect() as connection:
        try:
            row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
        except DBAPIError as exc:
            if _is_missing_table(exc):
                return None
            raise
    return None if row is None else str(row[0])


def _is_missing_table(exc: DBAPIError) -> bool:
    message = str(exc.orig).lower()
    return "no such table" in message or "does not exist" in message


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration built in code: no ``alembic.ini`` is needed."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


def known_revisions() -> list[str]:
    """Every revision in the migration scripts, oldest first."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config())
    return [script.revision for script in reversed(list(scripts.walk_revisions()))]


def ensure_schema(engine: Engine, dialect: StoreDialect, masked_url: str) -> Migration | None:
    """Upgrade the store to :data:`HEAD_REVISION` if it is behind.

    Returns:
        The migration applied, or ``None`` if the store was already current.

    Raises:
        StoreTooNewError: the store's revision is unknown to this code.
    """
    if read_revision(engine) == HEAD_REVISION:
        return None
    with dialect.migration_lock(engine):
        current = read_revision(engine)  # another process may have migrated meanwhile
        if current == HEAD_REVISION:
            return None
        if current is not None and current not in known_revisions():
            raise StoreTooNewError(
                f"metadata store {masked_url} is at revision {current}, newer than this "
                "sluiceway; upgrade sluiceway",
                hint=f"this version knows revisions up to {HEAD_REVISION}",
            )
        _upgrade(engine)
    return Migration(from_revision=current, to_revision=HEAD_REVISION)


def _upgrade(engine: Engine) -> None:
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
